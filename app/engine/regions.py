"""Linear regions of piecewise-linear networks: exact count, region map, theoretical bound.

A *linear region* here is an activation region: a maximal set of inputs on which every hidden unit stays
on the same linear piece (the sign of ``z`` for rectifiers, which of the three pieces for hard tanh, which
piece wins for maxout). When the network sees the raw input plane each such set is convex (every
pre-activation is affine once the earlier pieces are fixed), so counting regions in the view box and
counting distinct activation patterns are the same thing, and a grid of sample points can only miss
regions, never invent them. With other input features (x1^2, sin x1, ...) a pattern's set in the plane
may fall apart into several pieces; patterns are still what is counted, so the count is a lower bound.

* ``region_count``: exact, through the ``regioncam`` package (Rust) when it imports and the network sees
  the raw input plane; otherwise the number of distinct patterns on a fine grid, a lower bound.
* ``region_polygons``: the exact partition as convex polygons with the region boundaries between them
  (regioncam; raw input plane or x1 alone, at most ``POLYGON_LIMIT`` cells), what the page draws as paths.
* ``region_map`` + ``RegionTracker``: a region id per grid cell, stable from frame to frame; the page's
  fallback picture where there are no polygons. The tracker also numbers the polygons' regions.
* ``theoretical_bound``: Zaslavsky's maximum for one layer, Montufar et al.'s lower bound on the maximal
  number for deep rectifier networks.
* ``upper_bound``: a ceiling no network of the architecture can exceed (the "max" the page shows beside
  the count); for one hidden layer of rectifiers it equals ``theoretical_bound``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from math import comb, prod

import numpy as np

from . import activations as act
from .errors import FieldError
from .features import feature_map, is_identity, validate_features
from .grid import GridEvaluator, _check_box, _check_size, grid_points, is_one_d
from .network import Network

try:  # Exact counting; wheels exist for manylinux x86_64 only (see pyproject.toml).
    import regioncam
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    regioncam = None

MAX_ID = 65535  #: region ids are uint16; this value marks cells beyond the tracker's capacity
_CHUNK = 20000  # rows per forward pass when computing patterns, to bound memory for wide nets
_SINGLE_KINK = {"relu", "leaky_relu", "prelu", "rrelu", "abs"}


@dataclass(frozen=True)
class RegionInfo:
    """``count``: regions in the view box (None when undefined); ``bound``: ``theoretical_bound`` for the
    architecture, what the best network of this shape is known to reach (None when it does not apply);
    ``upper``: ``upper_bound``, what no network of this shape can exceed (None when it does not apply);
    ``exact``: count is exact (else a lower bound)."""

    count: int | None
    bound: int | None
    exact: bool
    note: str
    upper: int | None = None

    def to_dict(self) -> dict:
        return {"count": self.count, "bound": self.bound, "upper": self.upper, "exact": self.exact,
                "note": self.note}


# --- theoretical bound ----------------------------------------------------------------------------
def theoretical_bound(sizes) -> int:
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
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise FieldError("sizes",
                         f"sizes: expected [inputs, hidden..., outputs] of positive integers, got {sizes}")
    hidden = sizes[1:-1]
    if not hidden:
        return 1
    d = min([sizes[0], *hidden[:-1]])
    folds = prod((n // d) ** d for n in hidden[:-1])
    return folds * sum(comb(hidden[-1], j) for j in range(d + 1))


_CUTS_PER_UNIT = {"relu": 1, "leaky_relu": 1, "prelu": 1, "rrelu": 1, "abs": 1, "hard_tanh": 2, "linear": 0}


def upper_bound(sizes, activations, maxout_k: int = 2) -> int:
    """A number of linear regions that no network of this architecture can exceed, on all of ``R^n0``.

    Within one region of the earlier layers, every pre-activation of layer ``l`` is affine in the input, so
    the layer's units cut that region along at most ``h_l`` hyperplanes: one per unit for single-kink units
    (relu, leaky, prelu, rrelu, abs), two for hard tanh (z = -1 and z = 1), ``C(k, 2)`` for a maxout unit of
    ``k`` pieces (where two pieces tie), none for linear units. ``h`` hyperplanes cut a region of ``R^n0``
    into at most ``sum_{j=0}^{n0} C(h, j)`` pieces (Zaslavsky), so the count is at most
    ``prod_l sum_{j=0}^{n0} C(h_l, j)`` (the product form of Montufar 2017 and Serra et al. 2018, without
    their refinement for narrow layers). For one hidden layer of rectifiers it is the exact maximum and
    equals ``theoretical_bound``.
    """
    sizes = [int(s) for s in sizes]
    hidden = sizes[1:-1]
    names = [activations] * len(hidden) if isinstance(activations, str) else list(activations)
    if len(names) != len(hidden):
        raise FieldError("activations", f"activations: {len(names)} names for {len(hidden)} hidden layers")
    n0, total = sizes[0], 1
    for n, name in zip(hidden, names, strict=True):
        if name == "maxout":
            cuts = n * comb(int(maxout_k), 2)
        elif name in _CUTS_PER_UNIT:
            cuts = n * _CUTS_PER_UNIT[name]
        else:
            raise FieldError("activations", f"activations: {name!r} is not piecewise linear, no region bound")
        total *= sum(comb(cuts, j) for j in range(n0 + 1))
    return total


# --- activation patterns --------------------------------------------------------------------------
def _pattern_bits(net: Network, X: np.ndarray) -> np.ndarray:
    """Boolean activation pattern ``(n, bits)`` of inputs ``X`` ``(n, n0)`` (network inputs)."""
    fwd = net.forward(X)
    k = net.options["maxout_k"]
    cols = []
    for l, name in enumerate(net.activations):
        z = fwd.z[l]
        if name in _SINGLE_KINK:
            cols.append(z > 0)
        elif name == "hard_tanh":
            cols += [z > 1.0, z < -1.0]
        elif name == "maxout":
            winner = z.reshape(z.shape[0], -1, k).argmax(axis=2)
            cols += [((winner >> bit) & 1).astype(bool) for bit in range(int(k - 1).bit_length())]
        elif name != "linear":
            raise ValueError(f"activation {name!r} is not piecewise linear: no activation pattern")
    if not cols:
        return np.zeros((X.shape[0], 1), dtype=bool)
    return np.concatenate(cols, axis=1)


def activation_patterns(net: Network, X) -> np.ndarray:
    """Packed activation patterns ``(n, nbytes)`` uint8 of network inputs ``X`` ``(n, n0)``; equal rows
    mean the same linear region. Computed in float64 with ``net.forward``, in chunks."""
    if not net.piecewise_linear:
        raise ValueError("activation patterns need a piecewise-linear network; this one has "
                         f"activations {net.activations}")
    X = np.asarray(X, dtype=float)
    parts = [np.packbits(_pattern_bits(net, X[i:i + _CHUNK]), axis=1) for i in range(0, len(X), _CHUNK)]
    if not parts:
        return np.zeros((0, 1), dtype=np.uint8)
    return np.ascontiguousarray(np.concatenate(parts, axis=0))


def _as_keys(packed: np.ndarray) -> np.ndarray:
    """One opaque ``void`` scalar per row, so rows can be compared, sorted and hashed as units."""
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def count_patterns(net: Network, X) -> int:
    """Number of distinct activation patterns among the inputs ``X`` ``(n, n0)``."""
    return int(np.unique(_as_keys(activation_patterns(net, X))).size)


# --- exact count through regioncam ----------------------------------------------------------------
def _residual(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray):
    """regioncam block x -> x + relu(x @ w1 + b1) @ w2: adds kinks without ending the affine pass-through."""
    f32 = np.float32
    nn = regioncam.nn
    return nn.Residual(nn.Sequential(
        nn.Linear(np.ascontiguousarray(w1, f32), np.ascontiguousarray(b1, f32)), nn.ReLU(),
        nn.Linear(np.ascontiguousarray(w2, f32), np.zeros(w2.shape[1], f32))))


def _add_unit(rc, name: str, units: int, params: dict, options: dict, k: int) -> None:
    """Append hidden unit ``name`` (on the last ``units``-wide layer of ``rc``), composed from what
    regioncam has: relu, leaky relu, linear layers and residual blocks."""
    eye = np.eye(units)
    if name == "relu":
        rc.relu()
    elif name == "leaky_relu":
        rc.leaky_relu(float(options["leaky_slope"]))
    elif name == "rrelu":
        rc.leaky_relu(float(act.RRELU_MEAN))  # evaluation-time slope
    elif name == "abs":
        rc.leaky_relu(-1.0)  # |z| is a leaky relu of slope -1
    elif name == "prelu":
        # prelu_a(z) = z + (1 - a) relu(-z), one slope per unit.
        rc.add(_residual(-eye, np.zeros(units), np.diag(1.0 - np.asarray(params["slope"], float))))
    elif name == "hard_tanh":
        # clip(z, -1, 1) = z - relu(z - 1) + relu(-z - 1).
        rc.add(_residual(np.hstack([eye, -eye]), -np.ones(2 * units), np.vstack([-eye, eye])))
    elif name == "maxout":
        # Slots j*k + p hold piece p of unit j; slot j*k accumulates the running max:
        # m <- m + relu(z_p - m) = max(m, z_p).
        cols = units * k
        for p in range(1, k):
            w1 = np.zeros((cols, units))
            w2 = np.zeros((units, cols))
            for j in range(units):
                w1[j * k + p, j] = 1.0
                w1[j * k, j] = -1.0
                w2[j, j * k] = 1.0
            rc.add(_residual(w1, np.zeros(units), w2))
    elif name != "linear":
        raise ValueError(f"activation {name!r} is not piecewise linear")


class _OverBudget(Exception):
    """The partition passed the region budget (see ``region_count``'s ``budget``)."""


def _regioncam_partition(net: Network, box: tuple[float, float], one_d: bool, budget: int | None = None,
                         max_cells: int | None = None):
    """regioncam's partition of the view box (or segment) by ``net``'s hidden units (identity features),
    and ``(c, s)``: its coordinates ``u`` are the input ``x = c + s u``. Raises ``_OverBudget`` once there
    are provably more than ``budget`` regions, ``PolygonsUnavailable`` once there are more than
    ``max_cells`` cells (both stop before the later layers multiply the memory)."""
    rc = regioncam.Regioncam1D(size=2.0) if one_d else regioncam.Regioncam(size=1.0)
    # Read back the square regioncam starts from (its size convention differs between 1-D and 2-D) and
    # fold the affine map from it onto the view box into the first layer: x = c + s u.
    start = np.asarray(rc.inputs if one_d else rc.vertex_inputs, dtype=float).ravel()
    u_lo, u_hi = float(start.min()), float(start.max())
    lo, hi = box
    s = (hi - lo) / (u_hi - u_lo)
    c = lo - s * u_lo
    k = net.options["maxout_k"]
    prev_maxout = False
    for l, name in enumerate(net.activations):
        W, b = np.array(net.weights[l], dtype=float), np.array(net.biases[l], dtype=float)
        if l == 0:
            b = b + c * W.sum(axis=0)
            W = s * W
        if prev_maxout:  # the previous layer left unit j's value in slot j*k
            expanded = np.zeros((W.shape[0] * k, W.shape[1]))
            expanded[::k] = W
            W = expanded
        rc.linear(W.astype(np.float32), b.astype(np.float32))
        _add_unit(rc, name, net.sizes[l + 1], net.unit_params[l], net.options, k)
        prev_maxout = name == "maxout"
        # regioncam's memory grows with its cells (~16 kB each behind 8 layers of 64): past the budget,
        # stop once the whole network's patterns at one point per cell (a lower bound of its regions,
        # since later layers only split cells) prove there are more regions than the budget.
        if budget is not None and not one_d and rc.num_faces > budget and \
                count_patterns(net, c + s * _cell_points(rc, one_d)) > budget:
            raise _OverBudget
        if max_cells is not None and not one_d and l < len(net.activations) - 1 and rc.num_faces > max_cells:
            # later layers only split cells: stop before they multiply the memory
            raise PolygonsUnavailable(f"at least {rc.num_faces} cells, more than the limit of {max_cells}")
    return rc, c, s


def _regioncam_count(net: Network, box: tuple[float, float], one_d: bool, budget: int | None = None) -> int:
    """Exact number of activation regions of ``net`` (identity features) in the box (or on the segment);
    raises ``_OverBudget`` once there are provably more than ``budget``."""
    rc, c, s = _regioncam_partition(net, box, one_d, budget)
    # regioncam's cells refine the activation regions: its float32 geometry leaves slivers of area ~1e-14
    # where a line passes (almost) through a vertex, and the running max of maxout also splits where two
    # losing pieces swap order. Every region holds at least one cell, and the pattern at a point inside a
    # cell (computed in float64) is that of a real region, so the distinct patterns of the cells count
    # the regions.
    return count_patterns(net, c + s * _cell_points(rc, one_d))


def _cell_points(rc, one_d: bool) -> np.ndarray:
    """One point inside every cell of a regioncam partition (its coordinates), ``(cells, dims)``."""
    if one_d:
        v = np.unique(np.asarray(rc.inputs, dtype=float).ravel())
        return ((v[:-1] + v[1:]) / 2)[:, None]
    vertices, offsets, indices = _cells(rc)
    return _centroids(vertices, offsets, indices)


def _cells(rc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 2-D partition's vertices ``(V, 2)`` (regioncam coordinates), and its cells as ``offsets``
    ``(F + 1,)`` into the vertex ``indices`` ``(N,)`` going round each cell."""
    vertices = np.asarray(rc.vertex_inputs, dtype=float)
    ids = [np.asarray(face.vertex_ids, dtype=np.intp) for face in rc.faces]
    offsets = np.zeros(len(ids) + 1, dtype=np.intp)
    np.cumsum([len(i) for i in ids], out=offsets[1:])
    return vertices, offsets, np.concatenate(ids) if ids else np.zeros(0, np.intp)


def _centroids(vertices: np.ndarray, offsets: np.ndarray, indices: np.ndarray) -> np.ndarray:
    # Cells are convex polygons, so the mean of a cell's vertices lies inside it.
    counts = np.diff(offsets)
    return np.add.reduceat(vertices[indices], offsets[:-1], axis=0) / counts[:, None]


# --- counting -------------------------------------------------------------------------------------
def region_count(net: Network, box=(-6.0, 6.0), features=("x1", "x2"), method: str = "auto",
                 resolution: int = 400, budget: int | None = None) -> RegionInfo:
    """Number of linear regions of ``net`` in the view box ``[lo, hi]^2`` (a segment for 1-D data).

    ``method``: "auto" (exact through regioncam when possible, else the grid), "exact" (raise
    RuntimeError when impossible) or "grid" (distinct activation patterns on ``resolution`` x
    ``resolution`` cell centres, a lower bound). Smooth units give ``count=None``. With non-identity
    input features, patterns are counted on the grid in the input plane (the network is piecewise linear
    in its features, not in ``(x1, x2)``; one pattern may show as several pieces) and no bound is given.
    ``budget``: the exact count stops once there are more regions than this (it bounds the memory) and
    reports ``count=budget``, not exact, with a note saying "more than".
    """
    box = _check_box(box)
    features = validate_features(features)
    resolution = _check_size(resolution, "resolution")
    if method not in ("auto", "exact", "grid"):
        raise FieldError("method", f"method: expected 'auto', 'exact' or 'grid', got {method!r}")
    if net.sizes[0] != len(features):
        raise ValueError(f"network has {net.sizes[0]} inputs but {len(features)} features {list(features)}")
    if not net.piecewise_linear:
        smooth = sorted({n for n in net.activations if not act.ACTIVATIONS[n].piecewise_linear})
        if method == "exact":
            raise RuntimeError(f"no exact region count: {', '.join(smooth)} units are not piecewise linear")
        return RegionInfo(None, None, False, f"not piecewise linear ({', '.join(smooth)} units)")
    if not np.all(np.isfinite(net.flat)):
        if method == "exact":
            raise RuntimeError("no exact region count: the network's parameters are not finite")
        return RegionInfo(None, None, False, "no count: the network's parameters are not finite (diverged)")
    identity = is_identity(features)
    one_d = is_one_d(features)
    upper = upper_bound(net.sizes, net.activations, net.options["maxout_k"]) if identity else None
    bound, bound_note = None, "bound: Montufar et al. (2014)"
    if not identity:
        bound_note = "no bound: the features are not the identity"
    elif not set(net.activations) <= _SINGLE_KINK:
        bound_note = "no bound: it is stated for rectifier units (relu, leaky, prelu, rrelu, abs)"
    else:
        bound = theoretical_bound(net.sizes)
    if method != "grid":
        reason = None
        if regioncam is None:
            reason = "regioncam is not installed"
        elif not identity:
            reason = "the features are not the identity"
        if reason is None:
            try:
                count = _regioncam_count(net, box, one_d, budget)
                return RegionInfo(count, bound, True, f"exact (regioncam); {bound_note}", upper)
            except _OverBudget:
                note = f"more than {budget} regions: the exact count stops there to bound its memory"
                return RegionInfo(budget, bound, False, f"{note}; {bound_note}", upper)
            except Exception as exc:  # a failure of the optional exact path must not lose the count
                if method == "exact":
                    raise RuntimeError(f"no exact region count: regioncam failed: {exc}") from exc
                reason = f"regioncam failed ({exc})"
        if method == "exact":
            raise RuntimeError(f"no exact region count: {reason}")
    X = feature_map(grid_points(box, resolution, one_d), features)
    count = count_patterns(net, X)
    where = f"{resolution} points" if one_d else f"a {resolution}x{resolution} grid"
    plane = "" if identity else " in the input plane (features are not the identity)"
    why = f" ({reason})" if method == "auto" and identity and reason else ""
    note = f"lower bound: distinct activation patterns on {where}{plane}{why}; {bound_note}"
    return RegionInfo(count, bound, False, note, upper)


# --- exact polygons ------------------------------------------------------------------------------
POLYGON_LIMIT = 4096  #: most cells a partition may have to be drawn as polygons; beyond, the grid map


class PolygonsUnavailable(RuntimeError):
    """The exact polygons cannot be made for this network (the message says why); draw the grid map."""


@dataclass(frozen=True)
class RegionPolygons:
    """The exact partition of the view box into linear regions, as convex polygons (regioncam's cells).

    ``vertices`` ``(V, 2)`` float64: points ``(x1, x2)`` of the box. ``offsets`` ``(F + 1,)`` and
    ``indices`` ``(N,)``: cell ``f`` is the polygon ``vertices[indices[offsets[f]:offsets[f + 1]]]``, its
    corners in order round it. ``patterns`` ``(F, nbytes)`` uint8: each cell's packed activation pattern;
    equal rows are one region (a region may be made of several cells: regioncam also cuts along kinks of
    the units it composes, e.g. inside a maxout). ``edges`` ``(E, 2)``: the vertex pairs of the cell sides
    between two different regions, i.e. the region boundaries, without the box's own sides and the sides
    between two cells of one region. ``seconds``: what making them took.
    """

    vertices: np.ndarray
    offsets: np.ndarray
    indices: np.ndarray
    patterns: np.ndarray
    edges: np.ndarray
    seconds: float = 0.0

    @property
    def cells(self) -> int:
        return len(self.offsets) - 1

    @property
    def count(self) -> int:
        """The exact number of linear regions in the box (distinct patterns)."""
        return int(np.unique(_as_keys(self.patterns)).size)

    def to_lists(self, ids: np.ndarray) -> dict[str, list]:
        """Plain flat lists, as the frame's ``region_*`` arrays hold them (docs/protocol.md): ``vertices``
        (x1, x2 pairs, 6 decimals), ``cells``, ``corners``, ``ids`` (``ids``: a region id per cell, e.g.
        from ``RegionTracker.ids(self.patterns)``), ``edges`` (vertex pairs)."""
        return {"vertices": np.round(self.vertices, 6).ravel().tolist(), "cells": self.offsets.tolist(),
                "corners": self.indices.tolist(), "ids": np.asarray(ids).tolist(),
                "edges": self.edges.ravel().tolist()}


def region_polygons(net: Network, box=(-6.0, 6.0), features=("x1", "x2"),
                    limit: int | None = None) -> RegionPolygons:
    """The linear regions of ``net`` in the view box ``[lo, hi]^2`` as exact polygons (see
    ``RegionPolygons``), through regioncam. Raises ``PolygonsUnavailable`` naming the reason when they
    cannot be made: regioncam not installed, smooth units, non-finite parameters, input features other
    than ``(x1, x2)`` or ``(x1,)`` (the regions are then curved in the plane), or more than ``limit`` cells
    (default ``POLYGON_LIMIT``). With the one feature ``x1`` the regions are vertical strips of the box."""
    start = time.perf_counter()
    box = _check_box(box)
    features = validate_features(features)
    limit = POLYGON_LIMIT if limit is None else limit
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise FieldError("limit", f"limit: expected a positive integer, got {limit!r}")
    if regioncam is None:
        raise PolygonsUnavailable("regioncam is not installed")
    one_d = is_one_d(features)
    if not is_identity(features):
        raise PolygonsUnavailable(f"the input features {list(features)} are not (x1, x2) or (x1): regions "
                                  "are not polygons in the plane")
    if not net.piecewise_linear:
        raise PolygonsUnavailable(f"not piecewise linear ({', '.join(net.activations)} units)")
    if not np.all(np.isfinite(net.flat)):
        raise PolygonsUnavailable("the network's parameters are not finite (diverged)")
    if net.sizes[0] != len(features):
        raise ValueError(f"network has {net.sizes[0]} inputs but {len(features)} features {list(features)}")
    if one_d:
        return _strips(net, box, limit, start)
    rc, c, s = _regioncam_partition(net, box, one_d=False, max_cells=limit)
    if rc.num_faces > limit:
        raise PolygonsUnavailable(f"{rc.num_faces} cells, more than the limit of {limit}")
    vertices, offsets, indices = _cells(rc)
    vertices = np.clip(c + s * vertices, box[0], box[1])  # float32 geometry may stray past the box by 1e-7
    patterns = activation_patterns(net, _centroids(vertices, offsets, indices))
    return RegionPolygons(vertices, offsets, indices, patterns, _boundaries(offsets, indices, patterns),
                          time.perf_counter() - start)


def _strips(net: Network, box: tuple[float, float], limit: int, start: float) -> RegionPolygons:
    """1-D data (the plane's x1 only): the regions are vertical strips of the box, one per segment."""
    rc, c, s = _regioncam_partition(net, box, one_d=True)
    x = np.clip(np.unique(c + s * np.asarray(rc.inputs, dtype=float).ravel()), box[0], box[1])
    cells = len(x) - 1
    if cells > limit:
        raise PolygonsUnavailable(f"{cells} cells, more than the limit of {limit}")
    vertices = np.stack([np.repeat(x, 2), np.tile(box, len(x))], axis=1)  # (x_k, lo), (x_k, hi)
    k = 2 * np.arange(cells)
    indices = np.stack([k, k + 2, k + 3, k + 1], axis=1).ravel()
    patterns = activation_patterns(net, ((x[:-1] + x[1:]) / 2)[:, None])
    differ = np.nonzero(np.any(patterns[:-1] != patterns[1:], axis=1))[0]
    edges = np.stack([2 * differ + 2, 2 * differ + 3], axis=1)
    return RegionPolygons(vertices, 4 * np.arange(cells + 1), indices, patterns, edges,
                          time.perf_counter() - start)


def _boundaries(offsets: np.ndarray, indices: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """The cell sides ``(E, 2)`` (vertex pairs) shared by two cells of different patterns."""
    if len(indices) == 0:
        return np.zeros((0, 2), np.intp)
    counts = np.diff(offsets)
    cell = np.repeat(np.arange(len(counts)), counts)
    following = np.arange(len(indices)) + 1
    following[offsets[1:] - 1] = offsets[:-1]  # the last corner of a cell joins its first
    a, b = indices, indices[following]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.argsort(lo * (int(indices.max()) + 1) + hi, kind="stable")
    lo, hi, cell = lo[order], hi[order], cell[order]
    # an inner side is listed twice, once by each cell; a side of the box once
    shared = np.nonzero((lo[:-1] == lo[1:]) & (hi[:-1] == hi[1:]))[0]
    _, region = np.unique(_as_keys(patterns), return_inverse=True)
    region = region.ravel()
    between = shared[region[cell[shared]] != region[cell[shared + 1]]]
    return np.stack([lo[between], hi[between]], axis=1)


# --- region map -----------------------------------------------------------------------------------
class RegionTracker:
    """Gives each activation pattern a region id that persists across frames, so colours do not flicker.

    Ids are ``0 .. capacity - 1`` in order of first appearance (row-major); ``MAX_ID`` (65535) marks a
    cell whose pattern found no free id. When the ids run out, patterns absent from the current frame are
    forgotten and their ids reused. A change of network structure (pattern width) starts afresh.
    """

    def __init__(self, capacity: int = MAX_ID):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_ID:
            raise FieldError("capacity", f"capacity: expected an integer in 1..{MAX_ID}, got {capacity!r}")
        self.capacity = capacity
        self.reset()

    def reset(self) -> None:
        """Forget every pattern."""
        self._ids: dict[bytes, int] = {}
        self._free: list[int] = []
        self._next = 0
        self._width: int | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self, packed: np.ndarray) -> np.ndarray:
        """Region id ``(n,)`` uint16 for each packed pattern row of ``packed`` ``(n, nbytes)`` uint8."""
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        if packed.ndim != 2:
            raise FieldError("patterns", f"patterns: expected a 2-D uint8 array, got shape {packed.shape}")
        if packed.shape[1] != self._width:
            self.reset()
            self._width = packed.shape[1]
        uniq, first, inverse = np.unique(_as_keys(packed), return_index=True, return_inverse=True)
        keys = [u.tobytes() for u in uniq]
        new = sorted((i for i, key in enumerate(keys) if key not in self._ids), key=lambda i: first[i])
        if len(new) > self._available():
            self._evict(set(keys))
        for i in new:
            self._assign(keys[i])
        table = np.array([self._ids.get(key, MAX_ID) for key in keys], dtype=np.uint16)
        return table[inverse.ravel()]

    def _available(self) -> int:
        return len(self._free) + self.capacity - self._next

    def _evict(self, keep: set[bytes]) -> None:
        for key in [key for key in self._ids if key not in keep]:
            self._free.append(self._ids.pop(key))
        self._free.sort(reverse=True)  # pop() hands out the smallest free id first

    def _assign(self, key: bytes) -> None:
        if self._free:
            self._ids[key] = self._free.pop()
        elif self._next < self.capacity:
            self._ids[key] = self._next
            self._next += 1


def region_map(net: Network, grid, tracker: RegionTracker | None = None) -> np.ndarray:
    """Region id per grid cell, uint16.

    ``grid`` is a ``GridEvaluator`` (result shape ``grid.shape``: ``(G, G)`` row 0 at the top, or
    ``(G,)``) or an array of network inputs ``(n, n0)`` (result ``(n,)``). Pass the same ``tracker``
    every frame to keep ids stable while training; without one, ids number the regions in order of first
    appearance.
    """
    tracker = tracker if tracker is not None else RegionTracker()
    if isinstance(grid, GridEvaluator):
        return tracker.ids(activation_patterns(net, grid.inputs)).reshape(grid.shape)
    X = np.asarray(grid, dtype=float)
    if X.ndim != 2 or X.shape[1] != net.sizes[0]:
        raise FieldError("grid",
                         f"grid: expected a GridEvaluator or network inputs of shape (n, {net.sizes[0]}), "
                         f"got shape {list(X.shape)}")
    return tracker.ids(activation_patterns(net, X))
