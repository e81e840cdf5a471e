"""The loss landscape: a 2-D slice of the training loss around the current parameters.

The slice is ``L(theta + a * d1 + b * d2)`` on an ``r x r`` grid of ``(a, b)``, for two directions in
parameter space (flat vectors in the network's own order, ``net.flat``):

* **filter-normalised random directions** (Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the Loss
  Landscape of Neural Nets"): a Gaussian direction whose every filter (here: one unit's incoming weights,
  a column of ``W[l]``) is rescaled to the norm of that filter in the network; biases and per-unit
  parameters get no component. Without this, a direction's scale would be meaningless across layers and
  across networks.
* **principal directions of the trajectory**: the top two right singular vectors of the kept parameters
  minus the current ones, so that the path training took lies (mostly) in the slice.

Slices are computed with evaluation-mode forward passes on copies; the network passed in is never changed.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from . import outputs
from .errors import FieldError
from .network import Network

Vector = NDArray[np.float64]
MIN_RESOLUTION, MAX_RESOLUTION = 3, 201
# Below this, a direction is numerically zero relative to the parameters it moves: a slice along it
# would be flat for the wrong reason.
_ZERO_NORM = 1e-12


@dataclass(frozen=True)
class LossSlice:
    """A computed slice.

    ``alphas`` ``(r,)`` and ``betas`` ``(r,)`` are the grid's coordinates along ``d1`` and ``d2``;
    ``loss[i, j]`` ``(r, r)`` is the loss at ``(alphas[j], betas[i])`` (rows along d2, as a contour plot
    takes ``z``). ``center_loss`` is the loss at the current parameters (``a = b = 0``). ``path``
    ``(T, 2)`` is the kept trajectory projected onto the slice's plane (None without one), ``explained``
    the share of the trajectory's variance along each principal direction (None for random directions).
    """

    kind: Literal["random", "pca"]
    alphas: Vector
    betas: Vector
    loss: NDArray[np.float64]
    center_loss: float
    path: NDArray[np.float64] | None
    explained: tuple[float, float] | None


def filter_normalized_direction(net: Network, rng: np.random.Generator) -> Vector:
    """A random direction ``(P,)`` in ``net.flat``'s order, normalised filter by filter.

    Column ``j`` of layer ``l``'s block gets norm ``||W[l][:, j]||``; biases and per-unit parameters get
    zero. Raises ValueError when every filter of the network is zero (e.g. after a zero init): there is no
    scale to normalise to.
    """
    probe = net.copy()
    probe.flat[:] = 0.0
    for W, W_probe in zip(net.weights, probe.weights, strict=True):
        g = rng.standard_normal(W.shape)
        norms = np.linalg.norm(W, axis=0)
        g_norms = np.linalg.norm(g, axis=0)
        # a Gaussian column has norm zero with probability zero; the guard only keeps 0/0 out of the way
        W_probe[...] = g * (norms / np.where(g_norms > 0.0, g_norms, 1.0))
    direction = probe.flat.copy()
    if float(np.linalg.norm(direction)) <= _ZERO_NORM:
        raise FieldError("directions",
                         "every weight of the network is zero, so a filter-normalised direction has zero "
                         "norm: train a few steps or re-initialise before computing a random slice")
    return direction


def random_directions(net: Network, rng: np.random.Generator) -> tuple[Vector, Vector]:
    """Two independent filter-normalised directions ``(P,)`` each."""
    return filter_normalized_direction(net, rng), filter_normalized_direction(net, rng)


def trajectory_directions(trajectory: NDArray[np.float64], center: Vector
                          ) -> tuple[Vector, Vector, tuple[float, float]]:
    """The top two principal directions of ``trajectory - center``.

    ``trajectory`` ``(T, P)``: kept parameter vectors; ``center`` ``(P,)``: the parameters the slice is
    centred on. Returns two orthonormal directions and the share of the (uncentred) spread around
    ``center`` along each. Raises ValueError when the trajectory has fewer than two kept points besides the
    centre or never left one line.
    """
    traj = _matrix(trajectory, center.shape[0])
    offsets = traj - center
    moved = offsets[np.linalg.norm(offsets, axis=1) > _ZERO_NORM * max(1.0, float(np.linalg.norm(center)))]
    if moved.shape[0] < 2:
        raise FieldError("trajectory",
                         f"the kept trajectory has {moved.shape[0]} point(s) away from the current "
                         "parameters; principal directions need at least 2: train longer first")
    _, s, vt = np.linalg.svd(moved, full_matrices=False)
    total = float(np.sum(s * s))
    if s.shape[0] < 2 or s[1] <= _ZERO_NORM * s[0]:
        raise FieldError("trajectory",
                         "the kept trajectory lies on one line through the current parameters, so it "
                         "has only one principal direction: use random directions instead")
    d1, d2 = vt[0].copy(), vt[1].copy()
    return d1, d2, (float(s[0] ** 2) / total, float(s[1] ** 2) / total)


def project(points: NDArray[np.float64], center: Vector, d1: Vector, d2: Vector) -> NDArray[np.float64]:
    """Coordinates ``(T, 2)`` of ``points`` ``(T, P)`` in the plane ``center + a d1 + b d2``.

    Least squares, so directions need not be orthogonal (two random directions are only nearly so).
    """
    pts = _matrix(points, center.shape[0])
    basis = np.stack([_direction(d1, center.shape[0], 1), _direction(d2, center.shape[0], 2)], axis=1)
    coords, *_ = np.linalg.lstsq(basis, (pts - center).T, rcond=None)
    return np.ascontiguousarray(coords.T)


def loss_slice(net: Network, X: NDArray[np.float64], T: NDArray[np.float64], d1: Vector, d2: Vector,
               span: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0), resolution: int = 41,
               l1: float = 0.0, l2: float = 0.0) -> tuple[Vector, Vector, NDArray[np.float64]]:
    """The training loss on an ``r x r`` grid around ``net.flat``.

    ``X`` ``(n, n0)`` inputs (features already applied), ``T`` their targets (labels ``(n,)`` or encoded
    ``(n, K)``), ``span = (a_min, a_max, b_min, b_max)``. Returns ``(alphas (r,), betas (r,), loss (r, r))``
    with ``loss[i, j]`` at ``(alphas[j], betas[i])``; ``l1``/``l2`` add the regularization term, as the
    loss chart shows it. Non-finite losses (a slice that reaches a diverging region) stay NaN.
    """
    size = net.flat.shape[0]
    u, v = _direction(d1, size, 1), _direction(d2, size, 2)
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer) \
            or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise FieldError("resolution",
                         f"resolution must be a whole number from {MIN_RESOLUTION} to {MAX_RESOLUTION}, "
                         f"got {resolution!r}")
    a_lo, a_hi, b_lo, b_hi = (float(s) for s in span)
    if not all(np.isfinite([a_lo, a_hi, b_lo, b_hi])) or a_lo >= a_hi or b_lo >= b_hi:
        raise FieldError("span",
                         f"span must be finite (a_min, a_max, b_min, b_max) with min < max, got {span!r}")
    alphas = np.linspace(a_lo, a_hi, resolution)
    betas = np.linspace(b_lo, b_hi, resolution)
    loss = np.empty((resolution, resolution))
    for i, row in enumerate(loss_rows(net, X, T, u, v, alphas, betas, l1, l2)):
        loss[i] = row
    return alphas, betas, loss


def loss_rows(net: Network, X: NDArray[np.float64], T: NDArray[np.float64], d1: Vector, d2: Vector,
              alphas: Vector, betas: Vector, l1: float = 0.0, l2: float = 0.0
              ) -> Generator[Vector, None, None]:
    """The slice one row at a time: row ``i`` ``(len(alphas),)`` holds the losses at ``betas[i]``, so a
    server can compute a slice in pieces between other work. Arguments as for ``loss_slice`` (the
    directions are not checked again here)."""
    inputs = np.asarray(X, dtype=float)
    # targets are checked and encoded once: the loop then runs only forward passes
    targets = net.encode_targets(np.asarray(T, dtype=float)) if np.ndim(T) == 1 else np.asarray(T, float)
    net.forward(inputs[:1])  # the input shape is checked here, with its own error, before the loop
    probe = net.copy()
    center = net.flat.copy()
    for b in betas:
        row = np.empty(len(alphas))
        base = center + b * d2
        with np.errstate(all="ignore"):
            for j, a in enumerate(alphas):
                np.add(base, a * d1, out=probe.flat)
                fwd = probe.forward(inputs)
                value, _ = outputs.loss_and_delta(probe.output, probe.loss_name, fwd.z[-1], fwd.output,
                                                  targets)
                if l1 or l2:
                    value += probe.regularization(l1, l2)
                row[j] = value if np.isfinite(value) else np.nan
        yield row


def landscape(net: Network, X: NDArray[np.float64], T: NDArray[np.float64], *,
              kind: Literal["random", "pca"] = "random", rng: np.random.Generator | None = None,
              trajectory: NDArray[np.float64] | None = None, resolution: int = 41,
              radius: float = 1.0, l1: float = 0.0, l2: float = 0.0) -> LossSlice:
    """The whole view: directions, the slice and the projected path.

    ``kind="random"`` draws two filter-normalised directions from ``rng`` and spans ``[-radius, radius]``
    along each; ``kind="pca"`` takes the trajectory's principal directions and spans the projected path
    with a margin (at least ``radius`` times the step the path covered). ``trajectory`` ``(T, P)``: kept
    parameters in training order, the last near ``net.flat``.
    """
    if kind not in ("random", "pca"):
        raise FieldError("kind", f"kind must be 'random' or 'pca', got {kind!r}")
    if not (isinstance(radius, int | float) and np.isfinite(radius) and radius > 0):
        raise FieldError("radius", f"radius must be a positive number, got {radius!r}")
    center = net.flat.copy()
    explained: tuple[float, float] | None = None
    if kind == "random":
        d1, d2 = random_directions(net, rng if rng is not None else np.random.default_rng(0))
    else:
        if trajectory is None:
            raise FieldError("trajectory", "kind='pca' needs the kept trajectory (T, P)")
        d1, d2, explained = trajectory_directions(trajectory, center)
    path = project(trajectory, center, d1, d2) if trajectory is not None else None
    span = (-radius, radius, -radius, radius)
    if kind == "pca" and path is not None:
        span = span_around(path)
    alphas, betas, loss = loss_slice(net, X, T, d1, d2, span, resolution, l1, l2)
    targets = np.asarray(T, dtype=float)
    center_loss = net.loss(X, targets, l1=l1, l2=l2)
    return LossSlice(kind, alphas, betas, loss, float(center_loss), path, explained)


def span_around(path: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """A square-ish window holding the whole path and the origin, with a quarter of margin each side."""
    lo = np.minimum(path.min(axis=0), 0.0)
    hi = np.maximum(path.max(axis=0), 0.0)
    width = np.maximum(hi - lo, 1e-3)
    margin = 0.25 * width
    return (float(lo[0] - margin[0]), float(hi[0] + margin[0]),
            float(lo[1] - margin[1]), float(hi[1] + margin[1]))


def _direction(d: Vector, size: int, which: int) -> Vector:
    arr = np.asarray(d, dtype=float)
    if arr.shape != (size,):
        raise FieldError("directions",
                         f"direction {which} must have shape ({size},) like the network's parameters, "
                         f"got {list(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise FieldError("directions", f"direction {which} has non-finite entries")
    if float(np.linalg.norm(arr)) <= _ZERO_NORM:
        raise FieldError("directions", f"direction {which} has zero norm: a slice along it would not move")
    return arr


def _matrix(points: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != size:
        raise FieldError("trajectory", f"trajectory must have shape (T, {size}), got {list(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise FieldError("trajectory",
                         "trajectory has non-finite entries (a diverged run): rewind before it diverged")
    return arr
