"""tanh and sigmoid units on the grid, computed from ``e^(s z)`` (the grid evaluator's exp forms).

NumPy's float32 exp is markedly cheaper than its tanh on CPUs without AVX-512, and
``tanh z = 1 - 2 / (e^(2z) + 1)``, ``sigmoid z = 1 / (e^(-z) + 1)`` are accurate to a few float32 ulps
in absolute terms. The scale ``s`` (2 for tanh, -1 for sigmoid) rides on the grid's float32 copy of the
weights, so a layer's matmul already gives ``s W^T a``. Two ways to spend fewer passes:

* ``BiasFold``: a layer after the first folds its bias into the final division, with ``r = e^(-s b)``
  per unit: ``e^(s z) = E / r``, so tanh z = 1 - 2 r / (E + r), sigmoid z = r / (E + r).
* ``SeparableFirstLayer``: on a 2-D grid whose features do not mix x1 and x2, the first layer's
  ``e^(s z)`` at row i, column j is a product of a column factor and a row factor: 2 G exponentials per
  unit and one batched matmul instead of G^2 exponentials.

Overflow of exp gives ``E = inf``, which lands on the right limit (``r`` is never 0 or inf, so there is
no 0/0 or inf/inf); the grid evaluator silences that warning around its passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .features import feature_map
from .network import Network
from .params import LayerBlock

#: e^(s z) per unit name: tanh (s = 2) and sigmoid (s = -1).
EXP_SCALE = {"tanh": 2.0, "sigmoid": -1.0}
# Bound on |s b| (and on the per-axis parts of the first layer) for the factored forms: every factor then
# lies in [e^-40, e^40], products in [e^-80, e^80], normal float32 numbers away from overflow.
EXP_LIMIT = 40.0

Floats = NDArray[np.floating[Any]]


def from_exp_plus_one(name: str, h: Floats) -> None:
    """tanh z = 1 - 2 / (e^(2z) + 1) or sigmoid z = 1 / (e^(-z) + 1), in place, from ``h = e^(s z) + 1``."""
    np.divide(-2.0 if name == "tanh" else 1.0, h, out=h)
    if name == "tanh":
        h += 1.0


class BiasFold:
    """``r = e^(-s b)`` and the numerators ``m`` (-2 r for tanh, r for sigmoid) of every tanh/sigmoid
    layer after the first (``layers``), all computed by ``prepare`` in a handful of calls per evaluation.
    ``names[l]``: layer l's unit; ``cols[l]``: its number of units; ``dtype``: the grid's."""

    def __init__(self, blocks: Sequence[LayerBlock], names: Sequence[str], layers: Sequence[int],
                 dtype: np.dtype[Any]):
        biases = [blocks[l].biases for l in layers]
        self._index = np.array([i for s in biases for i in range(s.start, s.stop)], dtype=np.intp)
        units = [names[l] for l in layers for _ in range(blocks[l].shape[1])]
        self._scale = np.array([-EXP_SCALE[u] for u in units])
        self._mult = np.array([-2.0 if u == "tanh" else 1.0 for u in units], dtype=dtype)
        self._r, self._m = np.empty(len(units), dtype=dtype), np.empty(len(units), dtype=dtype)
        self.r: dict[int, Floats] = {}  # per layer: (units, 1) views
        self.m: dict[int, Floats] = {}
        pos = 0
        for l in layers:
            cols = blocks[l].shape[1]
            self.r[l], self.m[l] = self._r[pos:pos + cols, None], self._m[pos:pos + cols, None]
            pos += cols

    def prepare(self, net: Network) -> bool:
        """Compute ``r`` and ``m`` from ``net``'s biases; False (nothing folded) when there are no such
        layers or some ``|s b|`` is beyond ``EXP_LIMIT``."""
        if not self._index.size:
            return False
        nsb = net.flat[self._index] * self._scale
        if float(np.max(np.abs(nsb))) >= EXP_LIMIT:
            return False
        np.exp(nsb, out=self._r, casting="same_kind")
        np.multiply(self._r, self._mult, out=self._m)
        return True

    def finish(self, l: int, name: str, h: Floats, folded: bool) -> None:
        """Layer ``l``'s unit ``name`` in place on ``h`` ``(units, N)``, which holds ``s W^T a`` (without
        the bias when ``folded``, with it otherwise)."""
        np.exp(h, out=h)
        if folded:
            h += self.r[l]
            np.divide(self.m[l], h, out=h)
            if name == "tanh":
                h += 1.0
        else:
            h += 1.0
            from_exp_plus_one(name, h)


class SeparableFirstLayer:
    """The first tanh/sigmoid layer of a ``size`` x ``size`` grid over ``box`` from per-axis factors.

    ``axes``: per-axis features, float64 ``(2 G, F + 1)``, or None when the grid cannot be factored (1-D
    grids, and the product feature x1 x2, which mixes the two coordinates). Rows ``j < G`` hold ``C[j]``,
    rows ``G + i`` hold ``R[i]``, with ``inputs[i * G + j] = C[j] + R[i]`` up to float64 rounding: every
    feature reads x1 only (its value goes to C) or x2 only (to R), and a constant is moved from C to R so
    that both halves have the same mean (the factors e^(s C w) and e^(s R w) then stay close to each
    other in size). The last column is 1/2: with ``[W; b]`` the bias is split evenly between the halves.
    """

    def __init__(self, axis: NDArray[np.float64], features: tuple[str, ...], one_d: bool):
        self.size = g = axis.size
        self.axes: NDArray[np.float64] | None = None
        self._buffers: tuple[Floats, Floats] | None = None
        if one_d or "x1x2" in features:
            return
        zero = np.zeros(g)
        by_column = feature_map(np.stack([axis, zero], axis=1), features)
        by_row = feature_map(np.stack([zero, axis[::-1]], axis=1), features)
        shift = (by_column.mean(axis=0) - by_row.mean(axis=0)) / 2
        halves = np.vstack([by_column - shift, by_row + shift])
        self.axes = np.hstack([halves, np.full((2 * g, 1), 0.5)])

    def evaluate(self, net: Network, name: str, h: Floats) -> bool:
        """Layer 0 of ``net`` (unit ``name``) into ``h`` ``(units, G*G)``; False (nothing written) when
        the grid cannot be factored or a part is beyond ``EXP_LIMIT``.

        The pre-activation at row i, column j is ``A[j] + B[i]`` per unit (``A`` from the x1 features,
        ``B`` from the x2 features, each with half the bias), so ``e^(s z) = e^(s A[j]) e^(s B[i])``, and
        one batched matmul ``[e^(sB), 1] @ [e^(sA); 1]`` writes ``e^(s z) + 1`` at every point.
        """
        if self.axes is None:
            return False
        g = self.size
        parts = self.axes @ net.layer_blocks()[0].wb(net.flat)  # (2G, units): A; B
        parts *= EXP_SCALE[name]
        if max(float(parts.max()), -float(parts.min())) >= EXP_LIMIT:
            return False
        units = h.shape[0]
        if self._buffers is None or self._buffers[0].shape[0] != units or self._buffers[0].dtype != h.dtype:
            # rows [e^(sB), 1] (units, G, 2) and columns [e^(sA); 1] (units, 2, G); the ones stay put
            self._buffers = (np.ones((units, g, 2), dtype=h.dtype), np.ones((units, 2, g), dtype=h.dtype))
        rows, columns = self._buffers
        np.exp(parts[g:].T, out=rows[:, :, 0], casting="same_kind")
        np.exp(parts[:g].T, out=columns[:, 0, :], casting="same_kind")
        np.matmul(rows, columns, out=h.reshape(units, g, g))  # e^(s z) + 1
        from_exp_plus_one(name, h)
        return True
