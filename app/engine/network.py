"""The multilayer perceptron: parameters, forward pass keeping every layer, backward pass with deltas.

Conventions (as on the lecture's slides, ``W^T x + b`` with ``W`` stored column-per-unit):

* ``sizes = [n0, n1, ..., nL]``: ``n0`` inputs, hidden layers ``n1 .. n(L-1)``, ``nL`` outputs.
* Layer ``l`` (``0 <= l < L``) maps activations ``a[l]`` of shape ``(n, sizes[l])`` to
  ``z[l] = a[l] @ weights[l] + biases[l]`` and ``a[l + 1] = g(z[l])``; ``weights[l]`` has shape
  ``(fan_in, fan_out)``. A maxout layer has ``fan_out * k`` columns (unit-major pieces); an rbf layer
  reads ``weights[l][:, j]`` as unit j's template and ignores its bias.
* All parameters live in one flat float64 buffer; ``weights``, ``biases`` and ``unit_params`` are views
  into it, so optimizers update everything with a handful of vectorised operations. ``layer_blocks()``
  says where each layer's part sits in it (params.py), for code that works on the flat vector directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import activations as act
from . import outputs
from .errors import FieldError, FieldIndexError
from .params import INITS, Array, LayerBlock, initialize, penalty_mask, plan_blocks

__all__ = ["INITS", "OPTION_DEFAULTS", "Forward", "Gradients", "LayerBlock", "Network"]

OPTION_DEFAULTS: dict[str, Any] = {"leaky_slope": 0.01, "maxout_k": 2, "elu_alpha": 1.0, "relu_bias": None}
# A parameter's position: a weight's (i, j), a bias's or a unit parameter's j (or [j]).
Index = int | Sequence[int]


@dataclass
class Forward:
    """Every layer of one forward pass.

    ``z[l]``: pre-activation of layer ``l`` ``(n, units)``; ``a[l]``: its input (``a[0]`` is ``X``,
    ``a[-1]`` the output activations ``(n, K)``); ``slopes[l]``: rrelu slopes drawn in training or None.
    """

    z: list[Array]
    a: list[Array]
    slopes: list[Array | None]

    @property
    def output(self) -> Array:
        return self.a[-1]


@dataclass
class Gradients:
    """Loss and gradients, with the same structure as the network's parameters.

    ``loss`` is the data loss, ``total`` adds the regularization term. ``deltas[l] = dL/dz[l]`` of shape
    ``(n, units)`` (the backprop view). ``flat`` ``(P,)`` is ``d total / d net.flat``: the gradient of
    every parameter in the network's flat order (see ``Network.layer_blocks``), penalty included, the
    vector ``Optimizer.update`` takes; ``weights[l]`` ``(fan_in, cols)``, ``biases[l]`` ``(cols,)`` and
    ``unit_params[l]`` (name -> ``(units,)``) are views into it.
    """

    loss: float
    total: float
    weights: list[Array]
    biases: list[Array]
    unit_params: list[dict[str, Array]]
    deltas: list[Array]
    forward: Forward
    flat: Array


class Network:
    """A fully connected feed-forward network (see the module docstring for shapes)."""

    def __init__(self, sizes: Sequence[int], activation: str | Sequence[str] = "relu",
                 output: str = "sigmoid", loss: str | None = None, init: str = "glorot", seed: int = 0,
                 rng: np.random.Generator | None = None, activation_options: dict[str, Any] | None = None):
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
        """Carve a fresh flat parameter buffer into per-layer views (see params.py for the order)."""
        self._blocks = plan_blocks(self.sizes, self.activations, self.options["maxout_k"])
        #: per layer: "affine" | "maxout" | "rbf" | "output"
        self.kinds: list[str] = [block.kind for block in self._blocks]
        self.flat: Array = np.zeros(self._blocks[-1].end)
        #: 1 where L1/L2 applies: weights of every layer but rbf templates, never biases
        self.reg_mask: Array = penalty_mask(self._blocks)
        self.weights, self.biases, self.unit_params = self._views(self.flat)

    def layer_blocks(self) -> list[LayerBlock]:
        """Where each weight layer's parameters sit in ``flat`` (and in any vector of its shape, such as
        ``Gradients.flat``): one ``LayerBlock`` per layer, in order."""
        return list(self._blocks)

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
        initialize(self.flat, self._blocks, self.sizes, self.activations, self.init, self.options,
                   rng if rng is not None else self.rng)

    # --- parameter access -------------------------------------------------------------------------
    def _check_layer(self, layer: object) -> int:
        if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 0 <= layer < self.depth:
            raise FieldIndexError("layer", f"layer must be an integer in 0..{self.depth - 1}, got {layer!r}")
        return int(layer)

    def _locate(self, kind: str, layer: int, index: Index) -> tuple[Array, tuple[int, ...]]:
        l = self._check_layer(layer)
        idx: tuple[Any, ...] | None
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
        checked: list[int] = []
        for axis, i in enumerate(idx):
            if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not 0 <= i < arr.shape[axis]:
                raise FieldIndexError("index",
                                      f"{kind} index {list(idx)} is out of range for shape {list(arr.shape)} "
                                 f"in layer {l}")
            checked.append(int(i))
        return arr, tuple(checked)

    def get_param(self, kind: str, layer: int, index: Index) -> float:
        """One number: ``kind`` "weight" (index ``(i, j)``), "bias" (``j``) or a unit parameter name."""
        arr, idx = self._locate(kind, layer, index)
        return float(arr[idx])

    def set_param(self, kind: str, layer: int, index: Index, value: float) -> None:
        """Set one number (see ``get_param``); non-finite values and bad indices raise, naming them."""
        arr, idx = self._locate(kind, layer, index)
        value = float(value)
        if not np.isfinite(value):
            raise FieldError("value", f"{kind} value must be a finite number, got {value!r}")
        if kind == "sigma" and value <= 0:
            raise FieldError("value", "an rbf width (sigma) must be > 0")
        arr[idx] = value

    def set_parameters(self, weights: Sequence[ArrayLike] | None = None,
                       biases: Sequence[ArrayLike] | None = None,
                       unit_params: Sequence[dict[str, ArrayLike] | None] | None = None) -> None:
        """Set all weights and/or biases (and unit parameters) at once from nested lists or arrays.

        Every shape is checked before anything is written, so a bad call changes nothing.
        """
        staged: list[tuple[Array, Array]] = []
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
            for l, layer_params in enumerate(unit_params):
                for key, value in (layer_params or {}).items():
                    if key not in self.unit_params[l]:
                        raise FieldError("unit_params", f"layer {l} has no unit parameter {key!r}")
                    arr = np.asarray(value, dtype=float)
                    if arr.shape != self.unit_params[l][key].shape or not np.all(np.isfinite(arr)):
                        raise FieldError("unit_params",
                                         f"unit_params[{l}][{key!r}] must be {self.sizes[l + 1]} "
                                         "finite numbers")
                    staged.append((self.unit_params[l][key], arr))
        for dst, src in staged:
            dst[...] = src

    def get_parameters(self) -> dict[str, list[Any]]:
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
    def forward(self, X: ArrayLike, train: bool = False, rng: np.random.Generator | None = None) -> Forward:
        """Run ``X`` ``(n, sizes[0])`` through every layer, keeping each ``z`` and ``a``.

        ``train=True`` draws randomized-ReLU slopes per unit and example from ``rng`` (default: the
        network's generator); at evaluation they use their mean slope.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise FieldError("X", f"inputs must have shape (n, {self.sizes[0]}), got {list(X.shape)}")
        a: list[Array] = [X]
        zs: list[Array] = []
        slopes: list[Array | None] = []
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

    def predict(self, X: ArrayLike) -> Array:
        """Output activations ``(n, K)`` (probabilities for sigmoid and softmax)."""
        return self.forward(X).output

    # --- loss and backward ------------------------------------------------------------------------
    def encode_targets(self, y: ArrayLike) -> Array:
        """Labels/targets ``(n,)`` -> ``(n, K)`` in this output's convention (see outputs.encode_targets)."""
        return outputs.encode_targets(self.output, np.asarray(y), self.sizes[-1], self.loss_name)

    def regularization(self, l1: float = 0.0, l2: float = 0.0) -> float:
        """The penalty ``l1 * sum|w| + l2 * 1/2 sum w^2`` over weights (never biases)."""
        w = self.flat * self.reg_mask
        return float(l1 * np.sum(np.abs(w)) + 0.5 * l2 * np.sum(w * w))

    def loss(self, X: ArrayLike, T: ArrayLike, l1: float = 0.0, l2: float = 0.0) -> float:
        """Mean data loss (plus regularization when rates are given) at evaluation."""
        T = self._targets(T)
        fwd = self.forward(X)
        value, _ = outputs.loss_and_delta(self.output, self.loss_name, fwd.z[-1], fwd.output, T)
        return float(value) + (self.regularization(l1, l2) if (l1 or l2) else 0.0)

    def accuracy(self, X: ArrayLike, y: ArrayLike) -> float:
        """Fraction of examples whose predicted class equals the integer label ``y`` ``(n,)`` (a tie at the
        decision threshold, ``outputs.UNDECIDED``, is never correct)."""
        pred = outputs.predicted_class(self.output, self.predict(X))
        y = np.asarray(y)
        if self.output == "tanh":
            y = (y > 0).astype(int) if y.min() < 0 else y
        return float(np.mean(pred == y.astype(int)))

    def _targets(self, T: ArrayLike) -> Array:
        # encoded targets are checked too: a sigmoid + cross-entropy target of 0.5 would make the loss and
        # its gradient disagree (outputs.check_targets)
        return self.encode_targets(np.asarray(T, dtype=float))

    def loss_and_gradients(self, X: ArrayLike, T: ArrayLike, l1: float = 0.0, l2: float = 0.0,
                           train: bool = True, rng: np.random.Generator | None = None,
                           out: Array | None = None, checked: bool = False) -> Gradients:
        """Loss and gradients of the mean loss over ``X`` ``(n, n0)`` with targets ``T``.

        ``T`` is ``(n, K)`` encoded, or ``(n,)`` labels that are encoded first; either is checked against
        the output unit and loss (ValueError) unless ``checked`` says it came from ``encode_targets``
        already (the Trainer's mini-batches). ``out`` is an optional flat buffer (shape of ``self.flat``)
        that receives the gradient without allocating.
        """
        targets = np.asarray(T) if checked else self._targets(T)
        fwd = self.forward(X, train=train, rng=rng)
        loss, dz = outputs.loss_and_delta(self.output, self.loss_name, fwd.z[-1], fwd.output, targets)
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

    def _views(self, flat: Array) -> tuple[list[Array], list[Array], list[dict[str, Array]]]:
        """Per-layer views of a flat vector ``(P,)``: weights, biases, unit parameters."""
        return ([b.W(flat) for b in self._blocks], [b.b(flat) for b in self._blocks],
                [b.unit_params(flat) for b in self._blocks])

    def _backward(self, fwd: Forward, dz: Array, g: Array) -> list[Array]:
        """Backpropagate ``dz = dL/dz[L-1]`` through every layer, writing gradients into ``g`` ``(P,)``;
        returns the deltas, last layer first filled (the list is in layer order)."""
        deltas: list[Array] = []
        k = self.options["maxout_k"]
        for l in range(self.depth - 1, -1, -1):
            deltas.append(dz)
            block = self._blocks[l]
            W, a_in = self.weights[l], fwd.a[l]
            gW = block.W(g)
            if self.kinds[l] == "rbf":
                sigma = self.unit_params[l]["sigma"]
                s2 = sigma * sigma
                gW[...] = -2.0 * (a_in.T @ dz - W * dz.sum(axis=0)) / s2
                g[block.params["sigma"]] = -2.0 * np.sum(dz * fwd.z[l], axis=0) / sigma
                u = dz / s2
                da = 2.0 * (a_in * u.sum(axis=1, keepdims=True) - u @ W.T)
            else:
                np.matmul(a_in.T, dz, out=gW)
                g[block.biases] = dz.sum(axis=0)
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
                    g[self._blocks[prev].params["slope"]] = np.sum(da * np.minimum(z_prev, 0.0), axis=0)
        return deltas[::-1]


def _rbf_pre(a: Array, W: Array, sigma: Array) -> Array:
    """Scaled squared distances ``||a_n - W[:, j]||^2 / sigma_j^2`` of shape ``(n, units)``."""
    d2 = np.sum(a * a, axis=1, keepdims=True) - 2.0 * (a @ W) + np.sum(W * W, axis=0)
    scaled: Array = np.maximum(d2, 0.0) / (sigma * sigma)
    return scaled
