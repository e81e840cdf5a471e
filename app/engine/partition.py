"""The exact partition of the view box into linear regions, through the ``regioncam`` package (Rust).

regioncam cuts a square (or a segment) along the kinks of a network's hidden units, layer after layer, and
gives the cells as convex polygons. Its units are relu and leaky relu; the others are composed from linear
layers and residual blocks (``_add_unit``). From the cells come:

* ``exact_count``: the exact number of linear regions (the distinct activation patterns of the cells);
* ``region_polygons``: the regions as polygons with the boundaries between them, what the page draws.

regioncam has wheels for manylinux x86_64 only; elsewhere ``regioncam`` is None, ``region_polygons`` raises
``PolygonsUnavailable`` and ``regions.region_count`` counts on a grid instead.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import activations as act
from .errors import FieldError
from .features import is_identity, validate_features
from .grid import check_box, is_one_d
from .network import Network
from .patterns import activation_patterns, count_patterns, maxout_pieces, pattern_keys

try:  # Exact counting; wheels exist for manylinux x86_64 only (see pyproject.toml).
    import regioncam
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    regioncam = None



def available() -> bool:
    """True when regioncam imports on this machine (read at call time: tests hide it)."""
    return regioncam is not None


POLYGON_LIMIT = 4096  #: most cells a partition may have to be drawn as polygons; beyond, the grid map


class PolygonsUnavailable(RuntimeError):
    """The exact polygons cannot be made for this network (the message says why); draw the grid map."""


class OverBudget(Exception):
    """The partition passed the region budget (see ``regions.region_count``'s ``budget``)."""


def _residual(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray) -> Any:
    """regioncam block x -> x + relu(x @ w1 + b1) @ w2: adds kinks without ending the affine pass-through."""
    f32 = np.float32
    nn = regioncam.nn
    return nn.Residual(nn.Sequential(
        nn.Linear(np.ascontiguousarray(w1, f32), np.ascontiguousarray(b1, f32)), nn.ReLU(),
        nn.Linear(np.ascontiguousarray(w2, f32), np.zeros(w2.shape[1], f32))))


def _add_unit(rc: Any, name: str, units: int, params: Mapping[Any, npt.ArrayLike], leaky_slope: float,
              k: int) -> None:
    """Append hidden unit ``name`` (on the last ``units``-wide layer of ``rc``), composed from what
    regioncam has: relu, leaky relu, linear layers and residual blocks. ``params``: the layer's unit
    parameters (prelu's learned ``slope`` ``(units,)``); ``k``: maxout's pieces per unit."""
    eye = np.eye(units)
    if name == "relu":
        rc.relu()
    elif name == "leaky_relu":
        rc.leaky_relu(leaky_slope)
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
        raise FieldError("activation", f"activation {name!r} is not piecewise linear")


def _partition(net: Network, box: tuple[float, float], one_d: bool, budget: int | None = None,
               max_cells: int | None = None) -> tuple[Any, float, float]:
    """regioncam's partition of the view box (or segment) by ``net``'s hidden units (identity features),
    and ``(c, s)``: its coordinates ``u`` are the input ``x = c + s u``. Raises ``OverBudget`` once there
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
    k = maxout_pieces(net)
    leaky_slope = net.options["leaky_slope"]
    if not isinstance(leaky_slope, (int, float)):  # Network checks it; this narrows the option's type
        raise TypeError(f"leaky_slope: expected a number, got {leaky_slope!r}")
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
        _add_unit(rc, name, net.sizes[l + 1], net.unit_params[l], float(leaky_slope), k)
        prev_maxout = name == "maxout"
        # regioncam's memory grows with its cells (~16 kB each behind 8 layers of 64): past the budget,
        # stop once the whole network's patterns at one point per cell (a lower bound of its regions,
        # since later layers only split cells) prove there are more regions than the budget.
        if budget is not None and not one_d and rc.num_faces > budget and \
                count_patterns(net, c + s * _cell_points(rc, one_d)) > budget:
            raise OverBudget
        if max_cells is not None and not one_d and l < len(net.activations) - 1 and rc.num_faces > max_cells:
            # later layers only split cells: stop before they multiply the memory
            raise PolygonsUnavailable(f"at least {rc.num_faces} cells, more than the limit of {max_cells}")
    return rc, c, s


def exact_count(net: Network, box: tuple[float, float], one_d: bool, budget: int | None = None) -> int:
    """Exact number of activation regions of ``net`` (identity features) in the box (or on the segment);
    raises ``OverBudget`` once there are provably more than ``budget``. Needs regioncam."""
    rc, c, s = _partition(net, box, one_d, budget)
    # regioncam's cells refine the activation regions: its float32 geometry leaves slivers of area ~1e-14
    # where a line passes (almost) through a vertex, and the running max of maxout also splits where two
    # losing pieces swap order. Every region holds at least one cell, and the pattern at a point inside a
    # cell (computed in float64) is that of a real region, so the distinct patterns of the cells count
    # the regions.
    return count_patterns(net, c + s * _cell_points(rc, one_d))


def _cell_points(rc: Any, one_d: bool) -> np.ndarray:
    """One point inside every cell of a regioncam partition (its coordinates), ``(cells, dims)``."""
    if one_d:
        v = np.unique(np.asarray(rc.inputs, dtype=float).ravel())
        middles: np.ndarray = ((v[:-1] + v[1:]) / 2)[:, None]
        return middles
    vertices, offsets, indices = _cells(rc)
    return _centroids(vertices, offsets, indices)


def _cells(rc: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    centroids: np.ndarray = np.add.reduceat(vertices[indices], offsets[:-1], axis=0) / counts[:, None]
    return centroids


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
        return int(np.unique(pattern_keys(self.patterns)).size)

    def to_lists(self, ids: np.ndarray) -> dict[str, list[Any]]:
        """Plain flat lists, as the frame's ``region_*`` arrays hold them (docs/protocol.md): ``vertices``
        (x1, x2 pairs, 6 decimals), ``cells``, ``corners``, ``ids`` (``ids``: a region id per cell, e.g.
        from ``RegionTracker.ids(self.patterns)``), ``edges`` (vertex pairs)."""
        return {"vertices": np.round(self.vertices, 6).ravel().tolist(), "cells": self.offsets.tolist(),
                "corners": self.indices.tolist(), "ids": np.asarray(ids).tolist(),
                "edges": self.edges.ravel().tolist()}


def region_polygons(net: Network, box: tuple[float, float] = (-6.0, 6.0),
                    features: tuple[str, ...] | list[str] = ("x1", "x2"),
                    limit: int | None = None) -> RegionPolygons:
    """The linear regions of ``net`` in the view box ``[lo, hi]^2`` as exact polygons (see
    ``RegionPolygons``), through regioncam. Raises ``PolygonsUnavailable`` naming the reason when they
    cannot be made: smooth units, non-finite parameters, input features other than ``(x1, x2)`` or
    ``(x1,)`` (the regions are then curved in the plane), more than ``limit`` cells (default
    ``POLYGON_LIMIT``), or regioncam not installed (named last, so a reason that holds on every machine
    is the one given). With the one feature ``x1`` the regions are vertical strips of the box."""
    start = time.perf_counter()
    box = check_box(box)
    features = validate_features(features)
    limit = POLYGON_LIMIT if limit is None else limit
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise FieldError("limit", f"limit: expected a positive integer, got {limit!r}")
    one_d = is_one_d(features)
    if not is_identity(features):
        raise PolygonsUnavailable(f"the input features {list(features)} are not (x1, x2) or (x1): regions "
                                  "are not polygons in the plane")
    if not net.piecewise_linear:
        raise PolygonsUnavailable(f"not piecewise linear ({', '.join(net.activations)} units)")
    if not np.all(np.isfinite(net.flat)):
        raise PolygonsUnavailable("the network's parameters are not finite (diverged)")
    if net.sizes[0] != len(features):
        raise FieldError("features",
                         f"network has {net.sizes[0]} inputs but {len(features)} features {list(features)}")
    if not available():
        raise PolygonsUnavailable("regioncam is not installed")
    if one_d:
        return _strips(net, box, limit, start)
    rc, c, s = _partition(net, box, one_d=False, max_cells=limit)
    if rc.num_faces > limit:
        raise PolygonsUnavailable(f"{rc.num_faces} cells, more than the limit of {limit}")
    vertices, offsets, indices = _cells(rc)
    vertices = np.clip(c + s * vertices, box[0], box[1])  # float32 geometry may stray past the box by 1e-7
    patterns = activation_patterns(net, _centroids(vertices, offsets, indices))
    return RegionPolygons(vertices, offsets, indices, patterns, _boundaries(offsets, indices, patterns),
                          time.perf_counter() - start)


def _strips(net: Network, box: tuple[float, float], limit: int, start: float) -> RegionPolygons:
    """1-D data (the plane's x1 only): the regions are vertical strips of the box, one per segment."""
    rc, c, s = _partition(net, box, one_d=True)
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
    _, region = np.unique(pattern_keys(patterns), return_inverse=True)
    region = region.ravel()
    between = shared[region[cell[shared]] != region[cell[shared + 1]]]
    return np.stack([lo[between], hi[between]], axis=1)
