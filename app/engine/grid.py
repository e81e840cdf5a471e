"""Evaluate the output and every hidden unit of a network on a G x G grid over the view box in one pass.

Layout (what the page paints and the protocol quantizes):

* Grid points are **cell centres**: the box ``[lo, hi]^2`` is cut into ``G x G`` equal cells and each value
  is taken at the middle of its cell, so a value is exactly the one its pixel stands for. Points are
  row-major, row 0 at the top (``x2`` near ``hi``), column 0 at the left (``x1`` near ``lo``); point
  ``i * G + j`` is row ``i``, column ``j``.
* For 1-D data (no feature reads ``x2``) the grid is a line of ``G`` cell centres along ``x1``.
* ``GridResult.hidden`` has shape ``(G*G, total_hidden_units)``, every hidden unit, layer after layer, in
  ONE buffer. Its memory is unit-major (Fortran order of that shape): each unit's map is one contiguous
  block, so ``result.maps[u]`` is a ``(G, G)`` view ready to paint, and the forward pass computes
  ``W^T a`` on ``(units, G*G)`` blocks, which is markedly faster in NumPy than ``(G*G, units)`` rows.

Buffers are allocated once per network structure and reused by every call: a ``GridResult`` is a set of
views that the next ``evaluate`` overwrites (copy what must be kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import activations as act
from .features import NEEDS_X2, feature_map, validate_features
from .network import Network

# Units computed in place with one or two ufunc calls; the others go through activations.forward.
_LEAKY = {"leaky_relu", "prelu", "rrelu"}
_SCRATCH = _LEAKY | {"relu"}
# Units evaluated from exp(scale * z), with the scale folded into the float32 copies of W and b.
_EXP_SCALE = {"tanh": 2.0, "sigmoid": -1.0}


def grid_axis(box: tuple[float, float], size: int) -> np.ndarray:
    """The ``size`` cell centres of ``[lo, hi]`` in increasing order, float64 ``(size,)``."""
    lo, hi = box
    step = (hi - lo) / size
    return lo + (np.arange(size) + 0.5) * step


def grid_points(box: tuple[float, float], size: int, one_d: bool = False) -> np.ndarray:
    """Raw input points of the grid, float64: ``(size*size, 2)`` (x1, x2) row-major with row 0 at the top,
    or ``(size, 1)`` for 1-D data."""
    axis = grid_axis(box, size)
    if one_d:
        return axis[:, None].copy()
    x1 = np.tile(axis, size)
    x2 = np.repeat(axis[::-1], size)
    return np.stack([x1, x2], axis=1)


def _check_box(box) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError(f"box: expected a pair (lo, hi) of numbers, got {box!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"box: expected finite lo < hi, got ({lo}, {hi})")
    return lo, hi


def _check_size(size, name: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"{name}: expected an integer >= 2, got {size!r}")
    return int(size)


def is_one_d(features) -> bool:
    """True when no feature reads ``x2``, so the data (and the grid) live on the ``x1`` line."""
    return not (set(validate_features(features)) & NEEDS_X2)


@dataclass
class GridResult:
    """One evaluation of a network on the grid (views into the evaluator's reused buffers).

    ``shape``: ``(G, G)``, or ``(G,)`` for 1-D data; ``N = prod(shape)`` points.
    ``output``: ``(N, K)`` output activations (probabilities for sigmoid/softmax).
    ``hidden``: ``(N, U)`` every hidden unit's activation, layers in order (unit-major memory).
    ``layers``: per hidden layer, an ``(N, units)`` view of ``hidden``.
    ``maps``: ``(U, *shape)`` the same memory as one map per unit.
    ``offsets``: first column of each hidden layer in ``hidden`` (``len(layers) + 1`` entries).
    """

    shape: tuple[int, ...]
    output: np.ndarray
    hidden: np.ndarray
    layers: list[np.ndarray]
    maps: np.ndarray
    offsets: list[int]

    @property
    def output_maps(self) -> np.ndarray:
        """``(K, *shape)`` one map per output unit (a view)."""
        return self.output.T.reshape(self.output.shape[1], *self.shape)


class GridEvaluator:
    """Evaluates networks on a fixed grid of ``size`` x ``size`` cell centres over ``box``.

    ``features`` are the network's input features (names from ``app.engine.features``); they are mapped
    once here, since the grid never moves. ``dtype`` float32 (default, fast) or float64.

    Holds mutable buffers: use one evaluator per session (not shared between threads). Example::

        grid = GridEvaluator(box=(-6, 6), size=100)
        result = grid.evaluate(net)       # result.output (10000, K), result.maps (units, 100, 100)
        thumbs = thumbnails(result, 20)   # (units, 20, 20)
    """

    def __init__(self, box=(-6.0, 6.0), size: int = 100, features=("x1", "x2"), dtype=np.float32):
        self.box = _check_box(box)
        self.size = _check_size(size)
        self.features = validate_features(features)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype: expected float32 or float64, got {self.dtype}")
        self.one_d = is_one_d(self.features)
        self.shape: tuple[int, ...] = (self.size,) if self.one_d else (self.size, self.size)
        #: network inputs ``(N, F)`` in float64 (what ``net.forward`` would see).
        self.inputs = feature_map(self.points, self.features)
        self.n_points = self.inputs.shape[0]
        # Unit-major copy for the fast pass: row f is feature f over all points.
        self._inputs_t = np.ascontiguousarray(self.inputs.T, dtype=self.dtype)
        self._key = None

    @property
    def points(self) -> np.ndarray:
        """Raw grid points, float64 ``(N, 2)`` (or ``(N, 1)`` for 1-D data); see ``grid_points``."""
        return grid_points(self.box, self.size, self.one_d)

    # --- buffers ----------------------------------------------------------------------------------
    def _structure(self, net: Network) -> tuple:
        return (tuple(net.sizes), tuple(net.activations), net.options["maxout_k"], net.output)

    def _allocate(self, net: Network) -> None:
        """Buffers for one network structure; reused until the structure changes."""
        n, dt = self.n_points, self.dtype
        widths = net.sizes[1:-1]
        self._offsets = [0, *np.cumsum(widths, dtype=int).tolist()]
        self._hidden = np.empty((self._offsets[-1], n), dtype=dt)
        self._output = np.empty((net.sizes[-1], n), dtype=dt)
        cols = [w.shape[1] for w in net.weights]
        self._w = [np.empty((c, w.shape[0]), dtype=dt) for c, w in zip(cols, net.weights, strict=True)]
        self._b = [np.empty((c, 1), dtype=dt) for c in cols]
        self._row = np.empty((1, n), dtype=dt)  # per-point scalars: softmax max/sum, rbf |a|^2
        # Scratch, only for the units that need it: maxout pieces, |z| for the rectifiers.
        need = [c if kind == "maxout" or net.activations[l] in _SCRATCH else 0
                for l, (c, kind) in enumerate(zip(cols[:-1], net.kinds[:-1], strict=True))]
        self._scratch = np.empty((max(need, default=0), n), dtype=dt)
        self._key = self._structure(net)
        hidden_t = self._hidden.T
        self._result = GridResult(
            shape=self.shape,
            output=self._output.T,
            hidden=hidden_t,
            layers=[hidden_t[:, a:b] for a, b in zip(self._offsets[:-1], self._offsets[1:], strict=True)],
            maps=self._hidden.reshape(self._offsets[-1], *self.shape),
            offsets=list(self._offsets),
        )

    # --- evaluation -------------------------------------------------------------------------------
    def evaluate(self, net: Network) -> GridResult:
        """Output and every hidden unit of ``net`` on the grid, in one batched forward pass.

        Raises ValueError when the network's input size differs from the number of features.
        """
        if net.sizes[0] != len(self.features):
            raise ValueError(f"network has {net.sizes[0]} inputs but the grid maps {len(self.features)} "
                             f"features {list(self.features)}")
        if self._key != self._structure(net):
            self._allocate(net)
        a = self._inputs_t
        for l in range(net.depth):
            kind = net.kinds[l]
            unit = net.output if kind == "output" else net.activations[l]
            # tanh and sigmoid are computed from exp(scale * z); the scale rides on the weight copies.
            scale = _EXP_SCALE.get(unit, 1.0) if kind in ("output", "affine") else 1.0
            np.multiply(net.weights[l].T, scale, out=self._w[l])
            np.multiply(net.biases[l][:, None], scale, out=self._b[l])
            if kind == "output":
                out = self._output
                np.matmul(self._w[l], a, out=out)
                out += self._b[l]
                self._output_unit(net.output, out)
                break
            h = self._hidden[self._offsets[l]:self._offsets[l + 1]]
            if kind == "maxout":
                self._maxout(l, a, h, net.options["maxout_k"])
            elif kind == "rbf":
                self._rbf(a, h, l, net.unit_params[l]["sigma"])
            else:
                np.matmul(self._w[l], a, out=h)
                h += self._b[l]
                self._unit(net.activations[l], h, net.unit_params[l], net.options)
            a = h
        return self._result

    def _maxout(self, l: int, a: np.ndarray, h: np.ndarray, k: int) -> None:
        # Pieces are unit-major (row j*k + p is piece p of unit j), so a (units, k, N) view maxes over k.
        z = self._scratch[: h.shape[0] * k]
        np.matmul(self._w[l], a, out=z)
        z += self._b[l]
        np.max(z.reshape(h.shape[0], k, -1), axis=1, out=h)

    def _rbf(self, a: np.ndarray, h: np.ndarray, l: int, sigma: np.ndarray) -> None:
        # ||a - w||^2 = |a|^2 - 2 w.a + |w|^2, clipped at 0 against rounding, over sigma^2; h = exp(-that).
        w = self._w[l]
        asq = self._row
        np.einsum("fn,fn->n", a, a, out=asq[0])
        np.matmul(w, a, out=h)
        h *= -2.0
        h += asq
        h += np.einsum("uf,uf->u", w, w)[:, None]
        np.maximum(h, 0.0, out=h)
        h *= (1.0 / (sigma * sigma)).astype(self.dtype)[:, None]
        np.negative(h, out=h)
        np.exp(h, out=h)

    def _unit(self, name: str, h: np.ndarray, params: dict, options: dict) -> None:
        """Apply the element-wise unit ``name`` to ``h`` ``(units, N)`` in place."""
        if name == "linear":
            return
        if name in _EXP_SCALE:
            _from_exp(name, h)
        elif name == "relu":
            # (z + |z|) / 2 is exact and about twice as fast as np.maximum, which has to check for NaN.
            tmp = self._scratch[: h.shape[0]]
            np.abs(h, out=tmp)
            h += tmp
            h *= 0.5
        elif name == "abs":
            np.abs(h, out=h)
        elif name == "hard_tanh":
            np.clip(h, -1.0, 1.0, out=h)
        elif name == "sine":
            np.sin(h, out=h)
        elif name in _LEAKY:
            # g(z) = (1 + s)/2 z + (1 - s)/2 |z| equals z for z > 0 and s z for z < 0 (ufuncs without
            # NaN checks, unlike np.minimum/np.where).
            if name == "prelu":
                s = np.asarray(params["slope"], dtype=self.dtype)[:, None]
            else:
                s = self.dtype.type(options["leaky_slope"] if name == "leaky_relu" else act.RRELU_MEAN)
            tmp = self._scratch[: h.shape[0]]
            np.abs(h, out=tmp)
            tmp *= (1 - s) / 2
            h *= (1 + s) / 2
            h += tmp
        else:
            # Rarer smooth units: reuse the network's own definition (allocates; shapes (N, units)).
            h[...] = act.forward(name, h.T, params, options).T

    def _output_unit(self, output: str, out: np.ndarray) -> None:
        """Output activation on ``out`` ``(K, N)`` in place (softmax over K)."""
        if output == "linear":
            return
        if output in _EXP_SCALE:
            _from_exp(output, out)
        elif output == "softmax":
            row = self._row
            np.max(out, axis=0, keepdims=True, out=row)
            out -= row
            np.exp(out, out=out)
            np.sum(out, axis=0, keepdims=True, out=row)
            out /= row
        else:
            raise ValueError(f"unknown output {output!r}")


def _from_exp(name: str, u: np.ndarray) -> None:
    """tanh or sigmoid in place from ``u = 2 z`` (tanh) or ``u = -z`` (sigmoid).

    NumPy's float32 exp is markedly cheaper than its tanh on CPUs without AVX-512 (both are scalar
    there), and ``tanh z = 1 - 2 / (e^(2z) + 1)``, ``sigmoid z = 1 / (1 + e^(-z))`` are accurate to a
    few float32 ulps in absolute terms. Overflow of exp gives inf, which lands on the right limit.
    """
    with np.errstate(over="ignore"):
        np.exp(u, out=u)
    u += 1.0
    if name == "tanh":
        np.divide(-2.0, u, out=u)
        u += 1.0
    else:
        np.reciprocal(u, out=u)


def thumbnail_index(size: int, thumb: int) -> np.ndarray:
    """Which of ``size`` grid rows (or columns) a thumbnail of ``thumb`` pixels samples: the grid cell
    holding each thumbnail cell's centre."""
    return ((np.arange(thumb) + 0.5) * size / thumb).astype(np.intp)


def thumbnails(result: GridResult, size: int) -> np.ndarray:
    """Every hidden unit subsampled to ``(units, T, T)`` (``(units, T)`` for 1-D grids), a new array."""
    grid = result.shape[0]
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= grid:
        raise ValueError(f"thumbnail size: expected an integer in 1..{grid}, got {size!r}")
    idx = thumbnail_index(grid, int(size))
    if len(result.shape) == 1:
        return result.maps[:, idx]
    return result.maps[:, idx[:, None], idx[None, :]]
