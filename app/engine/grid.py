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

Where the time goes, and what keeps it down (every full pass over ``(units, G*G)`` counts; a float32
exp costs about ten cheap passes on CPUs without AVX-512):

* All parameters are copied to the grid's dtype in one call, tanh/sigmoid layers pre-multiplied by
  their scale ``s`` (tanh and sigmoid are computed from ``e^(s z)``, cheaper than NumPy's tanh).
* The first layer's bias rides on a constant row of ones under the inputs (a free row in the matmul).
* A tanh/sigmoid first layer on a 2-D grid whose features do not mix x1 and x2 is separable:
  ``e^(s z)`` at row i, column j is a product of a column factor and a row factor, so it needs 2 G
  exponentials per unit and one batched matmul instead of G^2 exponentials (``_separable``).
* Later tanh/sigmoid layers fold the bias into the final division (``_exp_layer``); relu is one clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import activations as act
from .errors import FieldError
from .features import NEEDS_X2, feature_map, validate_features
from .network import Network

# Units evaluated from e^(s z): tanh (s = 2) and sigmoid (s = -1); s rides on the float32 weight copies.
_EXP_SCALE = {"tanh": 2.0, "sigmoid": -1.0}
# Bound on |s b| (and on the per-axis parts of the first layer) for the factored forms below: every factor
# then lies in [e^-40, e^40], products in [e^-80, e^80], normal float32 numbers away from overflow.
_EXP_LIMIT = 40.0
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


def _check_box(box) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in box)
    except (TypeError, ValueError):
        raise FieldError("box", f"box: expected a pair (lo, hi) of numbers, got {box!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise FieldError("box", f"box: expected finite lo < hi, got ({lo}, {hi})")
    return lo, hi


def _check_size(size, name: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise FieldError(name, f"{name}: expected an integer >= 2, got {size!r}")
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
        self.n_points = n = self.inputs.shape[0]
        # Unit-major copy for the fast pass, row f is feature f over all points, plus a last row of ones
        # so that the first layer's matmul adds its bias too.
        f = len(self.features)
        self._inputs_1 = np.ones((f + 1, n), dtype=self.dtype)
        self._inputs_1[:f] = self.inputs.T
        self._inputs_t = self._inputs_1[:f]
        self._axes = self._axis_features()
        self._key = None

    def _axis_features(self) -> np.ndarray | None:
        """Per-axis features for the separable first layer, float64 ``(2 G, F + 1)``, or None for 1-D
        grids and for the product feature x1 x2, which mixes the two coordinates.

        Rows ``j < G`` hold ``C[j]``, rows ``G + i`` hold ``R[i]``, with ``inputs[i * G + j] = C[j] + R[i]``
        up to float64 rounding: every feature reads x1 only (its value goes to C) or x2 only (to R), and a
        constant is moved from C to R so that both halves have the same mean (the factors e^(s C w) and
        e^(s R w) then stay close to each other in size). The last column is 1/2: with ``[W; b]`` the
        bias is split evenly between the halves.
        """
        if self.one_d or "x1x2" in self.features:
            return None
        axis, zero = grid_axis(self.box, self.size), np.zeros(self.size)
        by_column = feature_map(np.stack([axis, zero], axis=1), self.features)
        by_row = feature_map(np.stack([zero, axis[::-1]], axis=1), self.features)
        shift = (by_column.mean(axis=0) - by_row.mean(axis=0)) / 2
        halves = np.vstack([by_column - shift, by_row + shift])
        return np.hstack([halves, np.full((2 * self.size, 1), 0.5)])

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
        # All parameters in the grid's dtype, in ONE buffer laid out like net.flat, tanh and sigmoid
        # layers multiplied by their scale s: one call per evaluation prepares every layer.
        self._params = np.empty(net.flat.size, dtype=dt)
        self._scales = np.ones(net.flat.size)
        self._wT, self._bias = [], []  # per layer: W^T (units, fan_in) and b (units, 1), views
        for l, (ws, bs, _) in enumerate(net._slices):
            fan_in, cols = net.weights[l].shape
            kind, unit = net.kinds[l], _unit_name(net, l)
            if kind in ("affine", "output") and unit in _EXP_SCALE:
                self._scales[ws.start:bs.stop] = _EXP_SCALE[unit]
            if l == 0 and kind != "rbf":  # [W; b]^T: the inputs' last row of ones adds the bias
                self._wT.append(self._params[ws.start:bs.stop].reshape(fan_in + 1, cols).T)
            else:
                self._wT.append(self._params[ws].reshape(fan_in, cols).T)
            self._bias.append(self._params[bs][:, None])
        cols = [w.shape[1] for w in net.weights]
        # The biases of tanh/sigmoid layers after the first, gathered so that one call per evaluation
        # turns them into r = e^(-s b) and the numerators m (-2 r for tanh, r for sigmoid); see _exp_layer.
        folded = [l for l in range(1, net.depth) if net.kinds[l] in ("affine", "output")
                  and _unit_name(net, l) in _EXP_SCALE]
        self._fold_index = np.array([i for l in folded for i in range(net._slices[l][1].start,
                                                                     net._slices[l][1].stop)], dtype=np.intp)
        units = [_unit_name(net, l) for l in folded for _ in range(cols[l])]
        self._fold_scale = np.array([-_EXP_SCALE[u] for u in units])
        self._fold_mult = np.array([-2.0 if u == "tanh" else 1.0 for u in units], dtype=dt)
        self._fold_r, self._fold_m = np.empty(len(units), dtype=dt), np.empty(len(units), dtype=dt)
        self._r, self._m, pos = {}, {}, 0
        for l in folded:
            self._r[l] = self._fold_r[pos:pos + cols[l], None]
            self._m[l] = self._fold_m[pos:pos + cols[l], None]
            pos += cols[l]
        self._row = np.empty((1, n), dtype=dt)  # per-point scalars: softmax max/sum, rbf |a|^2
        # Scratch, only for the units that need it: maxout pieces, |z| for the leaky rectifiers.
        need = [c if kind == "maxout" or net.activations[l] in _LEAKY else 0
                for l, (c, kind) in enumerate(zip(cols[:-1], net.kinds[:-1], strict=True))]
        self._scratch = np.empty((max(need, default=0), n), dtype=dt)
        # Factors of the separable first layer (see _separable): rows [e^(sB), 1], columns [e^(sA); 1].
        self._sep = None
        if self._axes is not None and net.depth > 1 and net.activations[0] in _EXP_SCALE \
                and net.kinds[0] == "affine":
            g = self.size
            self._sep = (np.ones((cols[0], g, 2), dtype=dt), np.ones((cols[0], 2, g), dtype=dt))
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
        fold = self._prepare(net)
        a = self._inputs_1
        # exp overflows to inf on saturated units, which is the right limit (see _exp_layer).
        with np.errstate(over="ignore"):
            for l in range(net.depth):
                a = self._layer(net, l, a, fold)
        return self._result

    def evaluate_steps(self, net: Network):
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
            raise ValueError(f"network has {net.sizes[0]} inputs but the grid maps {len(self.features)} "
                             f"features {list(self.features)}")
        if self._key != self._structure(net):
            self._allocate(net)
        np.multiply(net.flat, self._scales, out=self._params, casting="same_kind")
        return self._fold_biases(net)

    def _layer(self, net: Network, l: int, a: np.ndarray, fold: bool) -> np.ndarray:
        """Layer ``l`` from its input ``a`` ``(fan_in, N)``; returns its output buffer ``(units, N)``."""
        kind, unit = net.kinds[l], _unit_name(net, l)
        h = self._output if kind == "output" else self._hidden[self._offsets[l]:self._offsets[l + 1]]
        if kind == "rbf":
            self._rbf(l, net, self._inputs_t if l == 0 else a, h)
        elif kind == "maxout":
            self._maxout(l, net, a, h)
        elif unit in _EXP_SCALE:
            if not (l == 0 and self._sep is not None and self._separable(net, unit, h)):
                self._exp_layer(l, unit, a, h, fold and l > 0)
        else:
            self._affine(l, a, h)
            if kind == "output":
                self._output_unit(unit, h)
            else:
                self._unit(unit, h, net.unit_params[l], net.options)
        return h

    def _affine(self, l: int, a: np.ndarray, z: np.ndarray, bias: bool = True) -> None:
        """``z = s (W^T a + b)`` ``(units, N)`` from the scaled parameter copy. Without ``bias`` the
        bias is left out, except on the first layer, whose matmul adds it (its input has a row of ones)."""
        np.matmul(self._wT[l], a, out=z)
        if bias and l > 0:
            z += self._bias[l]

    def _fold_biases(self, net: Network) -> bool:
        """``r = e^(-s b)`` and the numerators for every tanh/sigmoid layer after the first, in a handful
        of calls; False (nothing folded) when some ``|s b|`` is beyond ``_EXP_LIMIT``."""
        if not self._fold_index.size:
            return False
        nsb = net.flat[self._fold_index] * self._fold_scale
        if float(np.max(np.abs(nsb))) >= _EXP_LIMIT:
            return False
        np.exp(nsb, out=self._fold_r, casting="same_kind")
        np.multiply(self._fold_r, self._fold_mult, out=self._fold_m)
        return True

    def _exp_layer(self, l: int, name: str, a: np.ndarray, h: np.ndarray, fold: bool) -> None:
        """tanh or sigmoid layer (hidden or output) into ``h``, from ``E = e^(s W^T a)``.

        With ``fold``, ``r = e^(-s b)`` per unit gives ``e^(s z) = E / r``, so tanh z = 1 - 2 r / (E + r)
        and sigmoid z = r / (E + r): the bias costs no pass of its own. Otherwise (a bias too large for
        that, or the first layer, whose matmul adds the bias) ``r = 1``.

        NumPy's float32 exp is markedly cheaper than its tanh on CPUs without AVX-512, and these forms are
        accurate to a few float32 ulps in absolute terms. Overflow of exp gives E = inf, which lands on
        the right limit (r is never 0 or inf, so there is no 0/0 or inf/inf).
        """
        self._affine(l, a, h, bias=not fold)
        np.exp(h, out=h)
        if fold:
            h += self._r[l]
            np.divide(self._m[l], h, out=h)
            if name == "tanh":
                h += 1.0
        else:
            h += 1.0
            _from_exp_plus_one(name, h)

    def _separable(self, net: Network, name: str, h: np.ndarray) -> bool:
        """The first tanh/sigmoid layer from per-axis factors; False (nothing written) when out of range.

        When no feature mixes x1 and x2, the pre-activation at row i, column j is ``A[j] + B[i]`` per unit
        (``A`` from the x1 features, ``B`` from the x2 features, each with half the bias; see
        ``_axis_features``), so ``e^(s z) = e^(s A[j]) e^(s B[i])``: 2 G exponentials per unit instead of
        G^2, and one batched matmul ``[e^(sB), 1] @ [e^(sA); 1]`` writes ``e^(s z) + 1`` at every point.
        """
        g = self.size
        ws, bs, _ = net._slices[0]
        parts = self._axes @ net.flat[ws.start:bs.stop].reshape(-1, net.sizes[1])  # (2G, units): A; B
        parts *= _EXP_SCALE[name]
        if max(float(parts.max()), -float(parts.min())) >= _EXP_LIMIT:
            return False
        rows, columns = self._sep
        np.exp(parts[g:].T, out=rows[:, :, 0], casting="same_kind")
        np.exp(parts[:g].T, out=columns[:, 0, :], casting="same_kind")
        np.matmul(rows, columns, out=h.reshape(h.shape[0], g, g))  # e^(s z) + 1
        _from_exp_plus_one(name, h)
        return True

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

    def _unit(self, name: str, h: np.ndarray, params: dict, options: dict) -> None:
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
            raise ValueError(f"unknown output {output!r}")


def _from_exp_plus_one(name: str, h: np.ndarray) -> None:
    """tanh z = 1 - 2 / (e^(2z) + 1) or sigmoid z = 1 / (e^(-z) + 1), in place, from ``h = e^(s z) + 1``."""
    np.divide(-2.0 if name == "tanh" else 1.0, h, out=h)
    if name == "tanh":
        h += 1.0


def _unit_name(net: Network, l: int) -> str:
    """Layer ``l``'s unit: the output activation on the output layer."""
    return net.output if net.kinds[l] == "output" else net.activations[l]


def thumbnail_index(size: int, thumb: int) -> np.ndarray:
    """Which of ``size`` grid rows (or columns) a thumbnail of ``thumb`` pixels samples: the grid cell
    holding each thumbnail cell's centre."""
    return ((np.arange(thumb) + 0.5) * size / thumb).astype(np.intp)


def thumbnails(result: GridResult, size: int) -> np.ndarray:
    """Every hidden unit subsampled to ``(units, T, T)`` (``(units, T)`` for 1-D grids), a new array."""
    grid = result.shape[0]
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= grid:
        raise FieldError("size", f"thumbnail size: expected an integer in 1..{grid}, got {size!r}")
    idx = thumbnail_index(grid, int(size))
    if len(result.shape) == 1:
        return result.maps[:, idx]
    return result.maps[:, idx[:, None], idx[None, :]]
