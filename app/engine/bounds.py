"""How many linear regions a piecewise-linear architecture can have: the known maximum and a ceiling.

* ``theoretical_bound``: Zaslavsky's maximum for one layer, Montufar et al.'s lower bound on the maximal
  number for deep rectifier networks (what the best network of the shape is known to reach).
* ``upper_bound``: a ceiling no network of the architecture can exceed (the "max" the page shows beside
  the count); for one hidden layer of rectifiers it equals ``theoretical_bound``.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import comb, prod

from .errors import FieldError


def _sizes(sizes: Iterable[int]) -> list[int]:
    checked = [int(s) for s in sizes]
    if len(checked) < 2 or any(s < 1 for s in checked):
        raise FieldError("sizes",
                         f"sizes: expected [inputs, hidden..., outputs] of positive integers, got {checked}")
    return checked


def theoretical_bound(sizes: Iterable[int]) -> int:
    """Theoretical number of linear regions for rectifier networks of the given widths.

    ``sizes`` is the network's full list ``[n0, n1, ..., nL, out]`` (as for ``Network``): ``n0`` inputs,
    hidden widths ``n1 .. nL``; the output layer adds no regions.

    * No hidden layer: 1 (the network is affine).
    * One hidden layer of ``n`` units: ``sum_{j=0}^{n0} C(n, j)``, the maximal number of regions of ``n``
      hyperplanes in general position in ``R^n0`` (Zaslavsky); e.g. ``[2, 8, 1] -> 1 + 8 + 28 = 37``.
    * ``L`` hidden layers (Montufar, Pascanu, Cho & Bengio 2014, "On the number of linear regions of deep
      neural networks", Theorem 4): the maximal number of regions is at least
      ``(prod_{i=1}^{L-1} floor(n_i / n0)^n0) * sum_{j=0}^{n0} C(n_L, j)``.

    The theorem assumes ``n_i >= n0``. When an earlier hidden layer is narrower, the formula is used with
    ``n0`` replaced by ``d = min(n0, n1, ..., n_{L-1})``: a network that ignores all but ``d`` inputs has
    exactly the regions of a ``d``-input network, so the result is still a valid lower bound on the
    maximum. For ``L = 1`` this is the one-layer formula.
    """
    widths = _sizes(sizes)
    hidden = widths[1:-1]
    if not hidden:
        return 1
    d = min([widths[0], *hidden[:-1]])
    folds = int(prod((n // d) ** d for n in hidden[:-1]))
    return folds * sum(comb(hidden[-1], j) for j in range(d + 1))


# Hyperplanes one unit adds inside a region of the earlier layers (maxout: C(k, 2), see upper_bound).
_CUTS_PER_UNIT = {"relu": 1, "leaky_relu": 1, "prelu": 1, "rrelu": 1, "abs": 1, "hard_tanh": 2, "linear": 0}


def upper_bound(sizes: Iterable[int], activations: str | Iterable[str], maxout_k: int = 2) -> int:
    """A number of linear regions that no network of this architecture can exceed, on all of ``R^n0``.

    ``activations``: one name for every hidden layer, or one name per hidden layer.

    Within one region of the earlier layers, every pre-activation of layer ``l`` is affine in the input, so
    the layer's units cut that region along at most ``h_l`` hyperplanes: one per unit for single-kink units
    (relu, leaky, prelu, rrelu, abs), two for hard tanh (z = -1 and z = 1), ``C(k, 2)`` for a maxout unit of
    ``k`` pieces (where two pieces tie), none for linear units. ``h`` hyperplanes cut a region of ``R^n0``
    into at most ``sum_{j=0}^{n0} C(h, j)`` pieces (Zaslavsky), so the count is at most
    ``prod_l sum_{j=0}^{n0} C(h_l, j)`` (the product form of Montufar 2017 and Serra et al. 2018, without
    their refinement for narrow layers). For one hidden layer of rectifiers it is the exact maximum and
    equals ``theoretical_bound``.
    """
    widths = _sizes(sizes)
    hidden = widths[1:-1]
    names = [activations] * len(hidden) if isinstance(activations, str) else list(activations)
    if len(names) != len(hidden):
        raise FieldError("activations", f"activations: {len(names)} names for {len(hidden)} hidden layers")
    n0, total = widths[0], 1
    for n, name in zip(hidden, names, strict=True):
        if name == "maxout":
            cuts = n * comb(int(maxout_k), 2)
        elif name in _CUTS_PER_UNIT:
            cuts = n * _CUTS_PER_UNIT[name]
        else:
            raise FieldError("activations", f"activations: {name!r} is not piecewise linear, no region bound")
        total *= sum(comb(cuts, j) for j in range(n0 + 1))
    return total
