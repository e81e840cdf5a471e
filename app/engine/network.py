"""The multilayer perceptron: parameters, forward pass keeping every layer, backward pass with deltas.

Conventions (as on the lecture's slides, ``W^T x + b`` with ``W`` stored column-per-unit):

* ``sizes = [n0, n1, ..., nL]``: ``n0`` inputs, hidden layers ``n1 .. n(L-1)``, ``nL`` outputs.
* Layer ``l`` (``0 <= l < L``) maps activations ``a[l]`` of shape ``(n, sizes[l])`` to
  ``z[l] = a[l] @ weights[l] + biases[l]`` and ``a[l + 1] = g(z[l])``; ``weights[l]`` has shape
  ``(fan_in, fan_out)``. A maxout layer has ``fan_out * k`` columns (unit-major pieces); an rbf layer
  reads ``weights[l][:, j]`` as unit j's template and ignores its bias.
* All parameters live in one flat float64 buffer; ``weights``, ``biases`` and ``unit_params`` are views
  into it, so optimizers update everything with a handful of vectorised operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import activations as act
from . import outputs
from .errors import FieldError, FieldIndexError

INITS = ("playground", "glorot", "he", "zeros")
RECTIFIERS = {"relu", "leaky_relu", "prelu", "rrelu", "maxout"}
OPTION_DEFAULTS = {"leaky_slope": 0.01, "maxout_k": 2, "elu_alpha": 1.0, "relu_bias": None}


@dataclass
class Forward:
    """Every layer of one forward pass.

    ``z[l]``: pre-activation of layer ``l`` ``(n, units)``; ``a[l]``: its input (``a[0]`` is ``X``,
    ``a[-1]`` the output activations ``(n, K)``); ``slopes[l]``: rrelu slopes drawn in training or None.
    """

    z: list[np.ndarray]
    a: list[np.ndarray]
    slopes: list[np.ndarray | None]

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]


@dataclass
class Gradients:
    """Loss and gradients, with the same structure as the network's parameters.

    ``loss`` is the data loss, ``total`` adds the regularization term. ``deltas[l] = dL/dz[l]`` of shape
    ``(n, units)`` (the backprop view). ``flat`` is the gradient of all parameters in the network's flat
    order; ``weights``, ``biases`` and ``unit_params`` are views into it.
    """

    loss: float
    total: float
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    unit_params: list[dict[str, np.ndarray]]
    deltas: list[np.ndarray]
    forward: Forward
    flat: np.ndarray


class Network:
    """A fully connected feed-forward network (see the module docstring for shapes)."""

    def __init__(self, sizes, activation="relu", output="sigmoid", loss=None, init="glorot", seed=0,
                 rng: np.random.Generator | None = None, activation_options: dict | None = None):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise FieldError("sizes", "sizes needs at least an input and an output size, e.g. [2, 1]")
        if any(s < 1 for s in sizes):
            raise FieldError("sizes", f"every layer size must be >= 1, got {sizes}")
        self.sizes = sizes
        hidden = len(sizes) - 2
        names = [activation] * hidden if isinstance(activation, str) else list(activation)
        if len(names) != hidden:
            raise FieldError("activation",
                             f"activation list has {len(names)} entries for {hidden} hidden layers")
        self.activations = [act.get_activation(n).name for n in names]
        self.output, self.loss_name = outputs.check_pair(output, loss)
        if self.output == "softmax" and sizes[-1] < 2:
            raise FieldError("sizes", "a softmax output needs at least 2 units")
        if init not in INITS:
            raise FieldError("init", f"unknown init {init!r}; expected one of: {', '.join(INITS)}")
        self.init = init
        options = dict(OPTION_DEFAULTS)
        for key, value in (activation_options or {}).items():
            if key not in OPTION_DEFAULTS:
                raise FieldError("activation_options", f"unknown activation option {key!r}; expected one of: "
                                 f"{', '.join(OPTION_DEFAULTS)}")
            options[key] = value
        if int(options["maxout_k"]) < 1:
            raise FieldError("activation_options", "maxout_k must be >= 1")
        options["maxout_k"] = int(options["maxout_k"])
        self.options = options
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self._layout()
        self.initialize()

    # --- structure --------------------------------------------------------------------------------
    def _layout(self) -> None:
        """Carve the flat parameter buffer into per-layer views."""
        self.kinds: list[str] = []  # per layer: "affine" | "maxout" | "rbf" | "output"
        shapes = []
        for l in range(self.depth):
            fan_in, units = self.sizes[l], self.sizes[l + 1]
            if l == self.depth - 1:
                kind, pnames = "output", ()
            else:
                a = act.ACTIVATIONS[self.activations[l]]
                kind = {"maxout": "maxout", "rbf": "rbf"}.get(a.kind, "affine")
                pnames = a.param_names
            cols = units * self.options["maxout_k"] if kind == "maxout" else units
            self.kinds.append(kind)
            shapes.append(((fan_in, cols), (cols,), {p: (units,) for p in pnames}))
        total = sum(w[0] * w[1] + b[0] + sum(u[0] for u in ps.values()) for w, b, ps in shapes)
        self.flat = np.zeros(total)
        self.reg_mask = np.zeros(total)  # 1 where L1/L2 applies: weights of affine layers, not biases
        self.weights, self.biases, self.unit_params = [], [], []
        self._slices = []  # per layer: (w slice, b slice, {name: slice})
        pos = 0

        def take(count):
            nonlocal pos
            s = slice(pos, pos + count)
            pos += count
            return s

        for l, (wshape, bshape, pshapes) in enumerate(shapes):
            ws = take(wshape[0] * wshape[1])
            bs = take(bshape[0])
            ps = {name: take(shape[0]) for name, shape in pshapes.items()}
            self._slices.append((ws, bs, ps))
            self.weights.append(self.flat[ws].reshape(wshape))
            self.biases.append(self.flat[bs])
            self.unit_params.append({name: self.flat[s] for name, s in ps.items()})
            if self.kinds[l] != "rbf":
                self.reg_mask[ws] = 1.0

    @property
    def depth(self) -> int:
        """Number of weight layers L (hidden layers + 1)."""
        return len(self.sizes) - 1

    @property
    def piecewise_linear(self) -> bool:
        """True when every hidden unit is piecewise linear (so linear regions are defined)."""
        return all(act.ACTIVATIONS[n].piecewise_linear for n in self.activations)

    # --- initialisation ---------------------------------------------------------------------------
    def initialize(self, rng: np.random.Generator | None = None) -> None:
        """Draw fresh parameters from ``rng`` (default: the network's generator), layer by layer."""
        rng = rng if rng is not None else self.rng
        self.flat[:] = 0.0
        for l in range(self.depth):
            w, b, kind = self.weights[l], self.biases[l], self.kinds[l]
            fan_in, units = self.sizes[l], self.sizes[l + 1]
            if self.init == "zeros":
                pass
            elif kind == "rbf":
                # Templates spread over the region where 2-D inputs live; widths start at 1.5.
                w[:] = rng.uniform(-3.0, 3.0, size=w.shape)
            elif self.init == "playground":
                w[:] = rng.uniform(-0.5, 0.5, size=w.shape)
                b[:] = 0.1
            elif self.init == "glorot":
                limit = np.sqrt(6.0 / (fan_in + units))
                w[:] = rng.uniform(-limit, limit, size=w.shape)
            else:  # he
                w[:] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=w.shape)
            relu_bias = self.options["relu_bias"]
            if kind != "output" and self.activations[l] in RECTIFIERS and relu_bias is not None:
                b[:] = float(relu_bias)
            if kind == "rbf":
                b[:] = 0.0
            params = self.unit_params[l]
            if "slope" in params:
                params["slope"][:] = 0.25
            if "sigma" in params:
                params["sigma"][:] = 1.0 if self.init == "zeros" else 1.5

    # --- parameter access -------------------------------------------------------------------------
    def _check_layer(self, layer) -> int:
        if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 0 <= layer < self.depth:
            raise FieldIndexError("layer", f"layer must be an integer in 0..{self.depth - 1}, got {layer!r}")
        return int(layer)

    def _locate(self, kind: str, layer, index) -> tuple[np.ndarray, tuple]:
        l = self._check_layer(layer)
        if kind == "weight":
            arr = self.weights[l]
            idx = tuple(index) if isinstance(index, (list, tuple)) else None
            if idx is None or len(idx) != 2:
                raise FieldIndexError("index", "a weight index is a pair [i, j]")
        elif kind == "bias":
            arr, idx = self.biases[l], (index[0] if isinstance(index, (list, tuple)) and len(index) == 1
                                        else index,)
        elif kind in self.unit_params[l]:
            arr, idx = self.unit_params[l][kind], (index,)
        else:
            names = ["weight", "bias", *self.unit_params[l]]
            raise FieldError("kind",
                             f"layer {l} has no parameter kind {kind!r}; expected one of: {', '.join(names)}")
        for axis, i in enumerate(idx):
            if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not 0 <= i < arr.shape[axis]:
                raise FieldIndexError("index",
                                      f"{kind} index {list(idx)} is out of range for shape {list(arr.shape)} "
                                 f"in layer {l}")
        return arr, tuple(int(i) for i in idx)

    def get_param(self, kind: str, layer: int, index) -> float:
        """One number: ``kind`` "weight" (index ``(i, j)``), "bias" (``j``) or a unit parameter name."""
        arr, idx = self._locate(kind, layer, index)
        return float(arr[idx])

    def set_param(self, kind: str, layer: int, index, value: float) -> None:
        """Set one number (see ``get_param``); non-finite values and bad indices raise, naming them."""
        arr, idx = self._locate(kind, layer, index)
        value = float(value)
        if not np.isfinite(value):
            raise FieldError("value", f"{kind} value must be a finite number, got {value!r}")
        if kind == "sigma" and value <= 0:
            raise FieldError("value", "an rbf width (sigma) must be > 0")
        arr[idx] = value

    def set_parameters(self, weights=None, biases=None, unit_params=None) -> None:
        """Set all weights and/or biases (and unit parameters) at once from nested lists or arrays.

        Every shape is checked before anything is written, so a bad call changes nothing.
        """
        staged = []
        for name, given, current in (("weights", weights, self.weights), ("biases", biases, self.biases)):
            if given is None:
                continue
            if len(given) != self.depth:
                raise FieldError(name, f"{name} has {len(given)} layers, the network has {self.depth}")
            for l, (g, c) in enumerate(zip(given, current, strict=True)):
                arr = np.asarray(g, dtype=float)
                if arr.shape != c.shape:
                    raise FieldError(name,
                                     f"{name}[{l}] has shape {list(arr.shape)}, expected {list(c.shape)}")
                if not np.all(np.isfinite(arr)):
                    raise FieldError(name, f"{name}[{l}] contains a non-finite value")
                staged.append((c, arr))
        if unit_params is not None:
            if len(unit_params) != self.depth:
                raise FieldError("unit_params",
                                 f"unit_params has {len(unit_params)} layers, the network has {self.depth}")
            for l, given in enumerate(unit_params):
                for key, g in (given or {}).items():
                    if key not in self.unit_params[l]:
                        raise FieldError("unit_params", f"layer {l} has no unit parameter {key!r}")
                    arr = np.asarray(g, dtype=float)
                    if arr.shape != self.unit_params[l][key].shape or not np.all(np.isfinite(arr)):
                        raise FieldError("unit_params",
                                         f"unit_params[{l}][{key!r}] must be {self.sizes[l + 1]} "
                                         "finite numbers")
                    staged.append((self.unit_params[l][key], arr))
        for dst, src in staged:
            dst[...] = src

    def get_parameters(self) -> dict:
        """All parameters as plain nested lists (JSON-ready)."""
        return {"weights": [w.tolist() for w in self.weights], "biases": [b.tolist() for b in self.biases],
                "unit_params": [{k: v.tolist() for k, v in p.items()} for p in self.unit_params]}

    def copy(self) -> Network:
        """An independent network with the same config and parameters (and a copied generator state)."""
        clone = Network.__new__(Network)
        clone.__dict__.update({k: v for k, v in self.__dict__.items()
                               if k not in ("flat", "weights", "biases", "unit_params", "reg_mask")})
        clone.rng = np.random.Generator(type(self.rng.bit_generator)())
        clone.rng.bit_generator.state = self.rng.bit_generator.state
        clone._layout()
        clone.flat[:] = self.flat
        return clone

    # --- forward ----------------------------------------------------------------------------------
    def forward(self, X, train: bool = False, rng: np.random.Generator | None = None) -> Forward:
        """Run ``X`` ``(n, sizes[0])`` through every layer, keeping each ``z`` and ``a``.

        ``train=True`` draws randomized-ReLU slopes per unit and example from ``rng`` (default: the
        network's generator); at evaluation they use their mean slope.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise FieldError("X", f"inputs must have shape (n, {self.sizes[0]}), got {list(X.shape)}")
        a, zs, slopes = [X], [], []
        k = self.options["maxout_k"]
        for l in range(self.depth):
            W, b, kind, h_in = self.weights[l], self.biases[l], self.kinds[l], a[-1]
            s = None
            if kind == "rbf":
                z = _rbf_pre(h_in, W, self.unit_params[l]["sigma"])
                h = np.exp(-z)
            else:
                z = h_in @ W + b
                if kind == "output":
                    h = outputs.activate(self.output, z)
                elif kind == "maxout":
                    h = z.reshape(z.shape[0], -1, k).max(axis=2)
                else:
                    name = self.activations[l]
                    if name == "rrelu" and train:
                        s = (rng if rng is not None else self.rng).uniform(
                            act.RRELU_LOW, act.RRELU_HIGH, size=z.shape)
                    h = act.forward(name, z, self.unit_params[l], self.options, s)
            zs.append(z)
            a.append(h)
            slopes.append(s)
        return Forward(zs, a, slopes)

    def predict(self, X) -> np.ndarray:
        """Output activations ``(n, K)`` (probabilities for sigmoid and softmax)."""
        return self.forward(X).output

    # --- loss and backward ------------------------------------------------------------------------
    def encode_targets(self, y) -> np.ndarray:
        """Labels/targets ``(n,)`` -> ``(n, K)`` in this output's convention (see outputs.encode_targets)."""
        return outputs.encode_targets(self.output, y, self.sizes[-1], self.loss_name)

    def regularization(self, l1: float = 0.0, l2: float = 0.0) -> float:
        """The penalty ``l1 * sum|w| + l2 * 1/2 sum w^2`` over weights (never biases)."""
        w = self.flat * self.reg_mask
        return float(l1 * np.sum(np.abs(w)) + 0.5 * l2 * np.sum(w * w))

    def loss(self, X, T, l1: float = 0.0, l2: float = 0.0) -> float:
        """Mean data loss (plus regularization when rates are given) at evaluation."""
        T = self._targets(T)
        fwd = self.forward(X)
        value, _ = outputs.loss_and_delta(self.output, self.loss_name, fwd.z[-1], fwd.output, T)
        return value + (self.regularization(l1, l2) if (l1 or l2) else 0.0)

    def accuracy(self, X, y) -> float:
        """Fraction of examples whose predicted class equals the integer label ``y`` ``(n,)`` (a tie at the
        decision threshold, ``outputs.UNDECIDED``, is never correct)."""
        pred = outputs.predicted_class(self.output, self.predict(X))
        y = np.asarray(y)
        if self.output == "tanh":
            y = (y > 0).astype(int) if y.min() < 0 else y
        return float(np.mean(pred == y.astype(int)))

    def _targets(self, T) -> np.ndarray:
        # encoded targets are checked too: a sigmoid + cross-entropy target of 0.5 would make the loss and
        # its gradient disagree (outputs.check_targets)
        return self.encode_targets(np.asarray(T, dtype=float))

    def loss_and_gradients(self, X, T, l1: float = 0.0, l2: float = 0.0, train: bool = True,
                           rng: np.random.Generator | None = None,
                           out: np.ndarray | None = None, checked: bool = False) -> Gradients:
        """Loss and gradients of the mean loss over ``X`` ``(n, n0)`` with targets ``T``.

        ``T`` is ``(n, K)`` encoded, or ``(n,)`` labels that are encoded first; either is checked against
        the output unit and loss (ValueError) unless ``checked`` says it came from ``encode_targets``
        already (the Trainer's mini-batches). ``out`` is an optional flat buffer (shape of ``self.flat``)
        that receives the gradient without allocating.
        """
        T = T if checked else self._targets(T)
        fwd = self.forward(X, train=train, rng=rng)
        loss, dz = outputs.loss_and_delta(self.output, self.loss_name, fwd.z[-1], fwd.output, T)
        g = np.zeros_like(self.flat) if out is None else out
        deltas = self._backward(fwd, dz, g)
        total = loss
        if l1 or l2:
            total += self.regularization(l1, l2)
            if l1:
                g += l1 * np.sign(self.flat) * self.reg_mask
            if l2:
                g += l2 * self.flat * self.reg_mask
        views = self._views(g)
        return Gradients(loss, total, views[0], views[1], views[2], deltas, fwd, g)

    def _views(self, flat: np.ndarray):
        ws, bs, ps = [], [], []
        for l, (wsl, bsl, psl) in enumerate(self._slices):
            ws.append(flat[wsl].reshape(self.weights[l].shape))
            bs.append(flat[bsl])
            ps.append({k: flat[s] for k, s in psl.items()})
        return ws, bs, ps

    def _backward(self, fwd: Forward, dz: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
        """Backpropagate ``dz = dL/dz[L-1]`` through every layer, writing gradients into ``g``."""
        deltas: list[np.ndarray] = [None] * self.depth  # type: ignore[list-item]
        k = self.options["maxout_k"]
        for l in range(self.depth - 1, -1, -1):
            deltas[l] = dz
            wsl, bsl, psl = self._slices[l]
            W, a_in = self.weights[l], fwd.a[l]
            gW = g[wsl].reshape(W.shape)
            if self.kinds[l] == "rbf":
                sigma = self.unit_params[l]["sigma"]
                s2 = sigma * sigma
                gW[...] = -2.0 * (a_in.T @ dz - W * dz.sum(axis=0)) / s2
                g[psl["sigma"]] = -2.0 * np.sum(dz * fwd.z[l], axis=0) / sigma
                u = dz / s2
                da = 2.0 * (a_in * u.sum(axis=1, keepdims=True) - u @ W.T)
            else:
                np.matmul(a_in.T, dz, out=gW)
                g[bsl] = dz.sum(axis=0)
                da = dz @ W.T
            if l == 0:
                break
            # dL/da[l] -> dL/dz[l-1] through the hidden unit of layer l-1.
            prev, z_prev, h_prev = l - 1, fwd.z[l - 1], fwd.a[l]
            kind = self.kinds[prev]
            if kind == "maxout":
                n = z_prev.shape[0]
                pieces = z_prev.reshape(n, -1, k)
                winner = pieces.argmax(axis=2)
                dz = np.zeros_like(pieces)
                np.put_along_axis(dz, winner[:, :, None], da[:, :, None], axis=2)
                dz = dz.reshape(n, -1)
            elif kind == "rbf":
                dz = -h_prev * da
            else:
                name = self.activations[prev]
                params = self.unit_params[prev]
                dz = da * act.derivative(name, z_prev, h_prev, params, self.options, fwd.slopes[prev])
                if name == "prelu":
                    _, _, psl_prev = self._slices[prev]
                    g[psl_prev["slope"]] = np.sum(da * np.minimum(z_prev, 0.0), axis=0)
        return deltas


def _rbf_pre(a: np.ndarray, W: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Scaled squared distances ``||a_n - W[:, j]||^2 / sigma_j^2`` of shape ``(n, units)``."""
    d2 = np.sum(a * a, axis=1, keepdims=True) - 2.0 * (a @ W) + np.sum(W * W, axis=0)
    return np.maximum(d2, 0.0) / (sigma * sigma)
