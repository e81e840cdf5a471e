"""Evaluate the output and every hidden unit of a network on a G x G grid over the view box in one pass.

Layout (what the page paints and the protocol quantizes):

* Grid points are **cell centres**: the box ``[lo, hi]^2`` is cut into ``G x G`` equal cells and each value
  is taken at the middle of its cell, so a value is exactly the one its pixel stands for. Points are
  row-major, row 0 at the top (``x2`` near ``hi``), column 0 at the left (``x1`` near ``lo``); point
  ``i * G + j`` is row ``i``, column ``j``.
* For 1-D data (no feature reads ``x2``) the grid is a line of ``G`` cell centres along ``x1``.
* Every hidden unit lives in ONE buffer, layer after layer, unit-major: each unit's map is one contiguous
  block (``result.unit_map(u)`` is a ``(G, G)`` view ready to paint), and the forward pass computes
  ``W^T a`` on ``(units, G*G)`` blocks, which is markedly faster in NumPy than ``(G*G, units)`` rows.
  Under each hidden layer's units the buffer holds a row of ones, so that the next layer's matmul with
  ``[W; b]^T`` adds its bias: no pass of its own per layer (about a sixth of a small tanh net's grid).
  ``GridResult.layers`` are views; ``hidden`` and ``maps`` gather the units without the ones rows.

Buffers are allocated once per network structure and reused by every call: a ``GridResult`` is a set of
views that the next ``evaluate`` overwrites (copy what must be kept).

Where the time goes, and what keeps it down (every full pass over ``(units, G*G)`` counts; a float32
exp costs about ten cheap passes on CPUs without AVX-512):

* tanh/sigmoid units take the faster of two paths on the CPU at hand, measured once per process
  (gridpath.py): from ``e^(s z)`` (below; cheaper where NumPy's tanh is not vectorised, AVX2) or
  NumPy's own ``np.tanh`` (vectorised on AVX-512). The first layer and the later ones choose separately.
* All parameters are copied to the grid's dtype in one call, tanh/sigmoid layers pre-multiplied by
  their scale (``s`` of ``e^(s z)``, or 1/2 for a sigmoid through ``np.tanh``).
* Every layer's bias rides on a constant row of ones under its inputs (a free row in the matmul).
* A tanh/sigmoid first layer on a 2-D grid whose features do not mix x1 and x2 is separable:
  ``e^(s z)`` at row i, column j is a product of a column factor and a row factor, so it needs 2 G
  exponentials per unit and one batched matmul instead of G^2 exponentials (gridexp.py; exp path).
* Later tanh/sigmoid layers fold the bias into the final division (gridexp.BiasFold; exp path); relu is
  one clip.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import activations as act
from .errors import FieldError
from .features import NEEDS_X2, feature_map, validate_features
from .gridexp import EXP_SCALE, BiasFold, SeparableFirstLayer
from .gridpath import NATIVE_SCALE, choice, native_finish
from .network import Network
from .params import Array

Floats = NDArray[np.floating[Any]]  # the grid computes in float32 (or float64)

_LEAKY = {"leaky_relu", "prelu", "rrelu"}


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


def check_box(box: Any) -> tuple[float, float]:
    """A view box ``(lo, hi)`` as two floats; ValueError naming ``box`` unless finite with lo < hi."""
    try:
        lo, hi = (float(v) for v in box)
    except (TypeError, ValueError):
        raise FieldError("box", f"box: expected a pair (lo, hi) of numbers, got {box!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise FieldError("box", f"box: expected finite lo < hi, got ({lo}, {hi})")
    return lo, hi


def check_size(size: object, name: str = "size") -> int:
    """A grid size as an int; ValueError naming ``name`` unless an integer >= 2."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise FieldError(name, f"{name}: expected an integer >= 2, got {size!r}")
    return int(size)


def is_one_d(features: Iterable[str]) -> bool:
    """True when no feature reads ``x2``, so the data (and the grid) live on the ``x1`` line."""
    return not (set(validate_features(features)) & NEEDS_X2)


@dataclass
class GridResult:
    """One evaluation of a network on the grid (views into the evaluator's reused buffers).

    ``shape``: ``(G, G)``, or ``(G,)`` for 1-D data; ``N = prod(shape)`` points.
    ``output``: ``(N, K)`` output activations (probabilities for sigmoid/softmax).
    ``layers``: per hidden layer, an ``(N, units)`` view (unit-major memory).
    ``planes``: ``(R, *shape)`` the evaluator's hidden buffer as maps: every unit's, and a row of ones
    under each layer (what the next layer's matmul reads for its bias).
    ``rows``: ``(U,)`` the row of ``planes`` holding hidden unit ``u`` (units numbered layer after layer).
    ``offsets``: first unit of each hidden layer (``len(layers) + 1`` entries).
    """

    shape: tuple[int, ...]
    output: np.ndarray
    layers: list[np.ndarray]
    planes: np.ndarray
    rows: NDArray[np.intp]
    offsets: list[int]

    @property
    def hidden(self) -> np.ndarray:
        """``(N, U)`` every hidden unit's activation, layers in order: a new array."""
        if not self.layers:
            return np.empty((self.output.shape[0], 0), dtype=self.output.dtype)
        return np.concatenate(self.layers, axis=1)

    @property
    def maps(self) -> np.ndarray:
        """``(U, *shape)`` one map per hidden unit: a new array (``unit_map`` for one, without a copy)."""
        return np.asarray(self.planes[self.rows])

    def unit_map(self, u: int) -> np.ndarray:
        """Hidden unit ``u``'s ``(*shape)`` map, a view."""
        return np.asarray(self.planes[int(self.rows[u])])  # asarray of a view is that view (typed)

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

    def __init__(self, box: tuple[float, float] = (-6.0, 6.0), size: int = 100,
                 features: Iterable[str] = ("x1", "x2"), dtype: DTypeLike = np.float32):
        self.box = check_box(box)
        self.size = check_size(size)
        self.features = validate_features(features)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise FieldError("dtype", f"dtype: expected float32 or float64, got {self.dtype}")
        self.one_d = is_one_d(self.features)
        self.shape: tuple[int, ...] = (self.size,) if self.one_d else (self.size, self.size)
        #: network inputs ``(N, F)`` in float64 (what ``net.forward`` would see).
        self.inputs = feature_map(self.points, self.features)
        self.n_points = n = self.inputs.shape[0]
        # Unit-major copy for the fast pass, row f is feature f over all points, plus a last row of ones
        # so that the first layer's matmul adds its bias too.
        f = len(self.features)
        self._inputs_1 = np.ones((f + 1, n), dtype=self.dtype)
        self._inputs_1[:f] = self.inputs.T
        self._inputs_t = self._inputs_1[:f]
        #: the separable first tanh/sigmoid layer (``separable.axes`` is None where it does not apply)
        self.separable = SeparableFirstLayer(grid_axis(self.box, self.size), self.features, self.one_d)
        self._key: tuple[object, ...] | None = None
        #: how tanh/sigmoid layers are computed in this process (gridpath.choice: measured once, or forced)
        self.path = choice()

    @property
    def points(self) -> np.ndarray:
        """Raw grid points, float64 ``(N, 2)`` (or ``(N, 1)`` for 1-D data); see ``grid_points``."""
        return grid_points(self.box, self.size, self.one_d)

    # --- buffers ----------------------------------------------------------------------------------
    def _structure(self, net: Network) -> tuple[object, ...]:
        # the path too: a grid whose path is changed (tests) lays its layers out again
        return (tuple(net.sizes), tuple(net.activations), net.options["maxout_k"], net.output, self.path)

    def _allocate(self, net: Network) -> None:
        """Buffers for one network structure; reused until the structure changes."""
        n, dt = self.n_points, self.dtype
        widths = net.sizes[1:-1]
        self._offsets = [0, *np.cumsum(widths, dtype=int).tolist()]
        # Layer l's units at rows starts[l] ..., then a row of ones: its units and that row are the next
        # layer's input (units + 1, N), whose matmul with [W; b]^T adds the bias.
        starts = [o + l for l, o in enumerate(self._offsets[:-1])]
        self._buffer = np.empty((self._offsets[-1] + len(widths), n), dtype=dt)
        self._units = [self._buffer[a:a + w] for a, w in zip(starts, widths, strict=True)]
        self._inputs = [self._buffer[a:a + w + 1] for a, w in zip(starts, widths, strict=True)]
        for a, w in zip(starts, widths, strict=True):
            self._buffer[a + w] = 1.0
        self._output = np.empty((net.sizes[-1], n), dtype=dt)
        # All parameters in the grid's dtype, in ONE buffer laid out like net.flat, tanh and sigmoid
        # layers multiplied by their scale s: one call per evaluation prepares every layer.
        self._params = np.empty(net.flat.size, dtype=dt)
        self._scales = np.ones(net.flat.size)
        self._wT = []  # per layer: [W; b]^T (units, fan_in + 1), an rbf layer's W^T (units, fan_in); views
        blocks = net.layer_blocks()
        names = [_unit_name(net, l) for l in range(net.depth)]
        # tanh/sigmoid layers through np.tanh (gridpath "tanh"); the others of them take the exp forms.
        paths = [self.path.first if l == 0 else self.path.later for l in range(net.depth)]
        self._native = [net.kinds[l] in ("affine", "output") and names[l] in EXP_SCALE and paths[l] == "tanh"
                        for l in range(net.depth)]
        for l, block in enumerate(blocks):
            kind, unit = block.kind, names[l]
            if kind in ("affine", "output") and unit in EXP_SCALE:
                self._scales[block.span] = (NATIVE_SCALE if self._native[l] else EXP_SCALE)[unit]
            if kind != "rbf":  # [W; b]^T: the inputs' last row of ones adds the bias
                self._wT.append(block.wb(self._params).T)
            else:
                self._wT.append(block.W(self._params).T)
        cols = [w.shape[1] for w in net.weights]
        # The biases of tanh/sigmoid layers after the first, folded into their division (gridexp.BiasFold).
        self._fold = BiasFold(blocks, names, [l for l in range(1, net.depth) if net.kinds[l] in
                                              ("affine", "output") and names[l] in EXP_SCALE
                                              and not self._native[l]], dt)
        self._row = np.empty((1, n), dtype=dt)  # per-point scalars: softmax max/sum, rbf |a|^2
        # Scratch, only for the units that need it: maxout pieces, |z| for the leaky rectifiers.
        need = [c if kind == "maxout" or net.activations[l] in _LEAKY else 0
                for l, (c, kind) in enumerate(zip(cols[:-1], net.kinds[:-1], strict=True))]
        self._scratch = np.empty((max(need, default=0), n), dtype=dt)
        self._factored = (net.depth > 1 and net.kinds[0] == "affine" and net.activations[0] in EXP_SCALE
                          and not self._native[0])
        self._key = self._structure(net)
        self._result = GridResult(
            shape=self.shape,
            output=self._output.T,
            layers=[u.T for u in self._units],
            planes=self._buffer.reshape(self._buffer.shape[0], *self.shape),
            rows=np.array([a + i for a, w in zip(starts, widths, strict=True) for i in range(w)],
                          dtype=np.intp),
            offsets=list(self._offsets),
        )

    # --- evaluation -------------------------------------------------------------------------------
    def evaluate(self, net: Network) -> GridResult:
        """Output and every hidden unit of ``net`` on the grid, in one batched forward pass.

        Raises ValueError when the network's input size differs from the number of features.
        """
        fold = self._prepare(net)
        a = self._inputs_1
        # exp overflows to inf on saturated units, which is the right limit (see _exp_layer).
        with np.errstate(over="ignore"):
            for l in range(net.depth):
                a = self._layer(net, l, a, fold)
        return self._result

    def evaluate_steps(self, net: Network) -> Generator[None, None, GridResult]:
        """``evaluate`` as a generator that yields after each layer and returns the ``GridResult``: a
        server runs a big network's pass in slices between other sessions' work. The parameters are read
        at the start, so training between the slices does not mix two networks; nothing else may use this
        evaluator until the generator is done (it fills the shared buffers)."""
        fold = self._prepare(net)
        a = self._inputs_1
        for l in range(net.depth):
            with np.errstate(over="ignore"):  # not across the pause: other work runs on the thread then
                a = self._layer(net, l, a, fold)
            if l < net.depth - 1:
                yield
        return self._result

    def _prepare(self, net: Network) -> bool:
        """Check the network, (re)allocate the buffers, copy the parameters; whether biases are folded."""
        if net.sizes[0] != len(self.features):
            raise FieldError("features",
                             f"network has {net.sizes[0]} inputs but the grid maps {len(self.features)} "
                             f"features {list(self.features)}")
        if self._key != self._structure(net):
            self._allocate(net)
        np.multiply(net.flat, self._scales, out=self._params, casting="same_kind")
        return self._fold.prepare(net)

    def _layer(self, net: Network, l: int, a: np.ndarray, fold: bool) -> np.ndarray:
        """Layer ``l`` from its input ``a`` ``(fan_in + 1, N)`` (a last row of ones); returns the next
        layer's input (its units and a row of ones, ``(units + 1, N)``), or the output ``(K, N)``."""
        kind, unit = net.kinds[l], _unit_name(net, l)
        h = self._output if kind == "output" else self._units[l]
        if kind == "rbf":
            self._rbf(l, net, a[:-1], h)
        elif kind == "maxout":
            self._maxout(l, net, a, h)
        elif self._native[l]:
            self._affine(l, a, h)
            native_finish(unit, h)
        elif unit in EXP_SCALE:
            if not (l == 0 and self._factored and self.separable.evaluate(net, unit, h)):
                self._affine(l, a, h, bias=not (fold and l > 0))
                self._fold.finish(l, unit, h, fold and l > 0)
        else:
            self._affine(l, a, h)
            if kind == "output":
                self._output_unit(unit, h)
            else:
                self._unit(unit, h, net.unit_params[l], net.options)
        return h if kind == "output" else self._inputs[l]

    def _affine(self, l: int, a: np.ndarray, z: np.ndarray, bias: bool = True) -> None:
        """``z = s (W^T a + b)`` ``(units, N)`` from the scaled parameter copy and ``a`` with its row of
        ones; without ``bias``, ``s W^T a`` (the matmul leaves out the ones row)."""
        if bias:
            np.matmul(self._wT[l], a, out=z)
        else:
            np.matmul(self._wT[l][:, :-1], a[:-1], out=z)

    def _maxout(self, l: int, net: Network, a: np.ndarray, h: np.ndarray) -> None:
        # Pieces are unit-major (row j*k + p is piece p of unit j), so a (units, k, N) view maxes over k.
        k = net.options["maxout_k"]
        z = self._scratch[: h.shape[0] * k]
        self._affine(l, a, z)
        np.max(z.reshape(h.shape[0], k, -1), axis=1, out=h)

    def _rbf(self, l: int, net: Network, a: np.ndarray, h: np.ndarray) -> None:
        # ||a - w||^2 = |a|^2 - 2 w.a + |w|^2, clipped at 0 against rounding, over sigma^2; h = exp(-that).
        sigma = net.unit_params[l]["sigma"]
        w = self._wT[l]
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

    def _unit(self, name: str, h: Floats, params: dict[str, Array], options: dict[str, Any]) -> None:
        """Apply the element-wise unit ``name`` (not tanh/sigmoid) to ``h`` ``(units, N)`` in place."""
        if name == "linear":
            return
        if name == "relu":
            # One clip pass: about twice as fast as np.maximum (which checks for NaN) or z + |z| (two).
            np.clip(h, 0.0, np.inf, out=h)
        elif name == "abs":
            np.abs(h, out=h)
        elif name == "hard_tanh":
            np.clip(h, -1.0, 1.0, out=h)
        elif name == "sine":
            np.sin(h, out=h)
        elif name in _LEAKY:
            # g(z) = (1 + s)/2 z + (1 - s)/2 |z| equals z for z > 0 and s z for z < 0 (ufuncs without
            # NaN checks, unlike np.minimum/np.where).
            s: Floats  # per unit (units, 1), or one slope in the grid's dtype
            if name == "prelu":
                s = np.asarray(params["slope"], dtype=self.dtype)[:, None]
            else:
                s = np.asarray(options["leaky_slope"] if name == "leaky_relu" else act.RRELU_MEAN,
                               dtype=self.dtype)
            tmp = self._scratch[: h.shape[0]]
            np.abs(h, out=tmp)
            tmp *= (1 - s) / 2
            h *= (1 + s) / 2
            h += tmp
        else:
            # Rarer smooth units: reuse the network's own definition (allocates; shapes (N, units)).
            h[...] = act.forward(name, h.T, params, options).T

    def _output_unit(self, output: str, out: np.ndarray) -> None:
        """Linear or softmax output activation on ``out`` ``(K, N)`` in place (softmax over K)."""
        if output == "linear":
            return
        if output == "softmax":
            row = self._row
            np.max(out, axis=0, keepdims=True, out=row)
            out -= row
            np.exp(out, out=out)
            np.sum(out, axis=0, keepdims=True, out=row)
            out /= row
        else:
            raise FieldError("output", f"unknown output {output!r}")


def _unit_name(net: Network, l: int) -> str:
    """Layer ``l``'s unit: the output activation on the output layer."""
    return net.output if net.kinds[l] == "output" else net.activations[l]


def thumbnail_index(size: int, thumb: int) -> np.ndarray:
    """Which of ``size`` grid rows (or columns) a thumbnail of ``thumb`` pixels samples: the grid cell
    holding each thumbnail cell's centre."""
    return ((np.arange(thumb) + 0.5) * size / thumb).astype(np.intp)


def thumbnails(result: GridResult, size: int, units: slice = slice(None)) -> np.ndarray:
    """Every hidden unit (or those of ``units``, a slice of the unit numbers) subsampled to
    ``(units, T, T)`` (``(units, T)`` for 1-D grids), a new array."""
    grid = result.shape[0]
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= grid:
        raise FieldError("size", f"thumbnail size: expected an integer in 1..{grid}, got {size!r}")
    idx = thumbnail_index(grid, int(size))
    rows = result.rows[units]
    planes: np.ndarray = result.planes
    if len(result.shape) == 1:
        return np.asarray(planes[rows[:, None], idx[None, :]])
    return np.asarray(planes[rows[:, None, None], idx[None, :, None], idx[None, None, :]])
