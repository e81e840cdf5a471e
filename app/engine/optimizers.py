"""Optimizers acting in place on a network's flat parameter buffer.

Each optimizer keeps its state (velocity, moments, step count) in arrays shaped like the flat buffer;
the state persists across steps and is cleared by ``reset()`` (done whenever the network is reset).

An optimizer is one class: ``grad_scale`` says what it wants the gradient multiplied by, and
``apply(params, step, tmp)`` takes one step from that scaled gradient without allocating. The fast path
(fastpath.py) folds ``grad_scale`` into its back-propagated deltas and calls ``apply``; the general path
calls ``update(params, grads)``, which scales and applies. Both run the same update code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import FieldError

OPTIMIZERS = ("sgd", "momentum", "adam")

Vector = NDArray[np.float64]


def _positive(name: str, value: float, upper: float | None = None) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0 or (upper is not None and value > upper):
        bound = f"in (0, {upper}]" if upper is not None else "> 0"
        raise FieldError(name, f"{name} must be a finite number {bound}, got {value!r}")
    return value


def _fraction(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or not 0 <= value < 1:
        raise FieldError(name, f"{name} must be in [0, 1), got {value!r}")
    return value


class Optimizer:
    """Base class. A subclass sets ``grad_scale`` and ``apply``, and lists its running state in
    ``state_fields``; ``t`` counts the steps taken."""

    name = "base"
    # the attributes that make up the optimizer's running state (rewind restores them; see state())
    state_fields: tuple[str, ...] = ("t",)

    def __init__(self, lr: float):
        self.lr = _positive("lr", lr)
        self._scaled: Vector | None = None  # update()'s buffers, shaped like the parameters
        self._tmp: Vector | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the state (step count, velocity, moments): the next step is a first step."""
        self.t = 0

    @property
    def grad_scale(self) -> float:
        """The factor ``apply`` expects the gradient to be multiplied by (``-lr`` for SGD and momentum,
        whose step is then the scaled gradient itself; 1 for Adam, which normalises it)."""
        return -self.lr

    def apply(self, params: Vector, step: Vector, tmp: Vector) -> None:
        """One step on ``params`` ``(P,)`` in place from ``step = grad_scale * dL/dparams`` ``(P,)``.

        ``tmp`` ``(P,)`` is scratch the call may overwrite; ``step`` is left unchanged.
        """
        raise NotImplementedError(f"optimizer {type(self).__name__} does not implement apply()")

    def update(self, params: Vector, grads: Vector) -> None:
        """One step on ``params`` ``(P,)`` (a network's ``flat``) in place from the gradient ``grads``
        ``(P,)`` of the loss, as ``Gradients.flat`` gives it (penalty included)."""
        if self._scaled is None or self._scaled.shape != params.shape:
            self._scaled, self._tmp = np.empty_like(params), np.empty_like(params)
        assert self._tmp is not None  # allocated together with _scaled
        np.multiply(grads, self.grad_scale, out=self._scaled)
        self.apply(params, self._scaled, self._tmp)

    def state(self) -> dict[str, Any]:
        """A copy of the running state (step count, velocity or moments): ``load_state`` puts it back so
        that training continues exactly as it would have from there."""
        return {k: (v.copy() if isinstance(v, np.ndarray) else v)
                for k in self.state_fields for v in [getattr(self, k)]}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state()`` returned. Arrays are written into the existing buffers where there are
        some, since the fast path may hold on to them."""
        if set(state) != set(self.state_fields):
            raise FieldError("state",
                             f"optimizer state for {self.name!r} needs {sorted(self.state_fields)}, got "
                             f"{sorted(state)}")
        for k, v in state.items():
            current = getattr(self, k)
            if isinstance(v, np.ndarray) and isinstance(current, np.ndarray) and current.shape == v.shape:
                np.copyto(current, v)
            else:
                setattr(self, k, v.copy() if isinstance(v, np.ndarray) else v)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "lr": self.lr}


class SGD(Optimizer):
    """Plain gradient descent: ``p <- p - lr * g``."""

    name = "sgd"

    def apply(self, params: Vector, step: Vector, tmp: Vector) -> None:
        self.t += 1
        np.add(params, step, params)


class Momentum(Optimizer):
    """Heavy-ball momentum ``v <- beta v - lr g; p <- p + v``, or Nesterov's look-ahead form
    ``p <- p + beta v - lr g`` (with the new ``v``)."""

    name = "momentum"
    state_fields = ("t", "v")

    def __init__(self, lr: float, beta: float = 0.9, nesterov: bool = False):
        self.beta = _fraction("beta", beta)
        self.nesterov = bool(nesterov)
        self.v: Vector | None = None
        super().__init__(lr)

    def reset(self) -> None:
        super().reset()
        self.v = None

    def apply(self, params: Vector, step: Vector, tmp: Vector) -> None:
        # step = -lr g
        self.t += 1
        if self.v is None:
            self.v = np.zeros_like(params)
        v = self.v
        np.multiply(v, self.beta, out=v)
        np.add(v, step, out=v)
        if self.nesterov:
            np.multiply(v, self.beta, out=tmp)
            np.add(tmp, step, out=tmp)
            np.add(params, tmp, out=params)
        else:
            np.add(params, v, out=params)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "beta": self.beta, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias-corrected first and second moments.

    ``m <- beta1 m + (1 - beta1) g``, ``s <- beta2 s + (1 - beta2) g^2``, and
    ``p <- p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(s) + eps)``: the paper's efficient
    form (end of its section 2), with ``eps`` added to the square root of the *uncorrected* second moment,
    as TensorFlow and Keras do. In the bias-corrected terms ``m^ = m / (1 - beta1^t)``,
    ``s^ = s / (1 - beta2^t)`` that is ``m^ / (sqrt(s^) + eps / sqrt(1 - beta2^t))``: eps weighs more in
    the first steps than PyTorch's ``m^ / (sqrt(s^) + eps)``.
    """

    name = "adam"
    state_fields = ("t", "m", "s")

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1 = _fraction("beta1", beta1)
        self.beta2 = _fraction("beta2", beta2)
        self.eps = _positive("eps", eps)
        self.m: Vector | None = None
        self.s: Vector | None = None
        super().__init__(lr)

    def reset(self) -> None:
        super().reset()
        self.m = self.s = None

    @property
    def grad_scale(self) -> float:
        return 1.0

    def apply(self, params: Vector, step: Vector, tmp: Vector) -> None:
        # step = g, unscaled
        if self.m is None or self.s is None:
            self.m, self.s = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        m, s = self.m, self.s
        np.multiply(m, self.beta1, out=m)
        np.multiply(step, 1.0 - self.beta1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(s, self.beta2, out=s)
        np.multiply(step, step, out=tmp)
        np.multiply(tmp, 1.0 - self.beta2, out=tmp)
        np.add(s, tmp, out=s)
        rate = self.lr * math.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        np.sqrt(s, out=tmp)
        np.add(tmp, self.eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, rate, out=tmp)
        np.subtract(params, tmp, out=params)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


def make_optimizer(name: str, lr: float, **options: Any) -> Optimizer:
    """Build an optimizer by name ("sgd" | "momentum" | "adam"); unknown names or options raise."""
    classes: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    if name not in classes:
        raise FieldError("optimizer", f"unknown optimizer {name!r}; expected one of: {', '.join(OPTIMIZERS)}")
    try:
        return classes[name](lr, **options)
    except TypeError:
        raise FieldError("options", f"optimizer {name!r} does not take options {sorted(options)}") from None
