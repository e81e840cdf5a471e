"""Space folding: how a hidden layer transforms the input plane.

The input plane's grid lines and the data points are run through the network and read at hidden layer
``l``: a 2-unit layer is drawn in its own coordinates ``(h^l_1, h^l_2)``; a wider one through the 2-D PCA
of that layer's activations on the data (the same projection for the lines and the points), a 1-unit layer
on a line. Layer 0 is the input plane itself. For XOR's hand-set ReLU network the four points land on three
places of the hidden plane, where a single line separates the classes: the fold the lecture draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .errors import FieldError
from .features import feature_map, validate_features
from .network import Network

Array = NDArray[np.float64]
MAX_LINES, MAX_SAMPLES = 101, 1001


@dataclass(frozen=True)
class Folded:
    """The input plane as seen by one layer.

    ``layer``: 0 (the input plane) to ``depth - 1`` (the last hidden layer); ``lines`` ``(m, s, 2)``: the
    ``m`` grid lines (first the lines of constant x1, then of constant x2), ``s`` samples each, mapped to
    2-D; ``points`` ``(n, 2)``: the data mapped the same way. ``projected`` says whether the coordinates
    are principal components (then ``basis`` ``(units, 2)`` and ``mean`` ``(units,)`` give the projection
    ``(h - mean) @ basis`` and ``explained`` the share of the data's variance along each) or the layer's
    own units (``units <= 2``; a 1-unit layer has 0 as its second coordinate).
    """

    layer: int
    units: int
    lines: Array
    points: Array
    projected: bool
    basis: Array | None
    mean: Array | None
    explained: tuple[float, float] | None


def grid_lines(box: tuple[float, float], count: int = 13, samples: int = 121) -> Array:
    """``count`` lines of constant x1 then ``count`` of constant x2 across the square ``box``.

    Shape ``(2 * count, samples, 2)``; finely sampled so that a fold shows as a bend, not a jump.
    """
    lo, hi = float(box[0]), float(box[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise FieldError("box", f"box must be a finite (low, high) with low < high, got {box!r}")
    if not 2 <= count <= MAX_LINES:
        raise FieldError("count", f"count (grid lines per axis) must be from 2 to {MAX_LINES}, got {count}")
    if not 2 <= samples <= MAX_SAMPLES:
        raise FieldError("samples",
                         f"samples (points per line) must be from 2 to {MAX_SAMPLES}, got {samples}")
    levels = np.linspace(lo, hi, count)
    along = np.linspace(lo, hi, samples)
    lines = np.empty((2 * count, samples, 2))
    lines[:count, :, 0] = levels[:, None]
    lines[:count, :, 1] = along[None, :]
    lines[count:, :, 0] = along[None, :]
    lines[count:, :, 1] = levels[:, None]
    return lines


def hidden_activations(net: Network, points: Array, layer: int, features: Sequence[str] = ("x1", "x2")
                       ) -> Array:
    """Activations ``(n, units)`` of hidden layer ``layer`` (1-based) for input points ``(n, 2)``.

    Layer 0 returns the points themselves. Evaluation mode (randomized ReLU at its mean slope).
    """
    names = validate_features(features)
    if len(names) != net.sizes[0]:
        raise FieldError("features",
                         f"the network takes {net.sizes[0]} inputs but {len(names)} features were named")
    _check_layer(net, layer)
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise FieldError("points", f"points must have shape (n, 2), got {list(pts.shape)}")
    if layer == 0:
        return pts.copy()
    return net.forward(feature_map(pts, names)).a[layer]


def fold(net: Network, data: Array, layer: int, features: Sequence[str] = ("x1", "x2"),
         box: tuple[float, float] = (-6.0, 6.0), count: int = 13, samples: int = 121) -> Folded:
    """Map the grid lines of ``box`` and the ``data`` points ``(n, 2)`` through layer ``layer``.

    Wider layers are projected on the top two principal components of the data's activations there (so
    the projection shows what separates the data, not what the empty corners of the plane do).
    """
    pts = np.asarray(data, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise FieldError("data",
                         f"data must be a non-empty (n, 2) array of input points, got {list(pts.shape)}")
    lines = grid_lines(box, count, samples)
    m, s, _ = lines.shape
    h_lines = hidden_activations(net, lines.reshape(m * s, 2), layer, features)
    h_points = hidden_activations(net, pts, layer, features)
    units = h_points.shape[1]
    if units <= 2:
        pad = 2 - units  # a 1-unit layer sits on a line: second coordinate 0
        mapped_lines = np.pad(h_lines, ((0, 0), (0, pad))).reshape(m, s, 2)
        mapped_points = np.pad(h_points, ((0, 0), (0, pad)))
        return Folded(layer, units, mapped_lines, mapped_points, False, None, None, None)
    mean, basis, explained = principal_plane(h_points)
    return Folded(layer, units, ((h_lines - mean) @ basis).reshape(m, s, 2), (h_points - mean) @ basis,
                  True, basis, mean, explained)


def principal_plane(H: Array) -> tuple[Array, Array, tuple[float, float]]:
    """Mean ``(u,)``, the top two principal axes ``(u, 2)`` of rows ``H`` ``(n, u)`` and their shares of
    the variance. Where the data spans fewer than two dimensions the missing axis is another unit
    direction orthogonal to the first, with share 0 (all points identical: shares (0, 0))."""
    mean = H.mean(axis=0)
    centred = H - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=True)
    var = s * s
    total = float(var.sum())
    shares = [float(v) / total if total > 0 else 0.0 for v in var[:2]]
    shares += [0.0] * (2 - len(shares))
    # SVD's sign is arbitrary: make each axis point where its largest entry is positive, so the picture
    # does not flip between frames when the network barely changed
    basis = vt[:2].T.copy()
    for k in range(2):
        if basis[np.argmax(np.abs(basis[:, k])), k] < 0:
            basis[:, k] *= -1.0
    return mean, basis, (shares[0], shares[1])


def _check_layer(net: Network, layer: int) -> None:
    last = net.depth - 1  # the last hidden layer; the output layer is what the main plot already shows
    if isinstance(layer, bool) or not isinstance(layer, int | np.integer) or not 0 <= layer <= last:
        raise FieldError("layer",
                         f"layer must be a whole number from 0 (the input plane) to {last} (the last hidden "
                         f"layer), got {layer!r}")
