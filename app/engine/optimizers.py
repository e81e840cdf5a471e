"""Optimizers acting in place on a network's flat parameter buffer.

Each optimizer keeps its state (velocity, moments, step count) in arrays shaped like the flat buffer;
the state persists across steps and is cleared by ``reset()`` (done whenever the network is reset).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import FieldError

OPTIMIZERS = ("sgd", "momentum", "adam")


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
    """Base class: ``update(params, grads)`` changes ``params`` (flat, float64) in place."""

    name = "base"
    # the attributes that make up the optimizer's running state (rewind restores them; see state())
    state_fields: tuple[str, ...] = ("t",)

    def __init__(self, lr: float):
        self.lr = _positive("lr", lr)
        self.reset()

    def reset(self) -> None:
        self.t = 0

    def update(self, params: np.ndarray, grads: np.ndarray) -> None:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """A copy of the running state (step count, velocity or moments): ``load_state`` puts it back so
        that training continues exactly as it would have from there."""
        return {k: (v.copy() if isinstance(v, np.ndarray) else v)
                for k in self.state_fields for v in [getattr(self, k)]}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state()`` returned. Arrays are written into the existing buffers where there are
        some, since the fast path may hold on to them."""
        if set(state) != set(self.state_fields):
            raise ValueError(f"optimizer state for {self.name!r} needs {sorted(self.state_fields)}, got "
                             f"{sorted(state)}")
        for k, v in state.items():
            current = getattr(self, k)
            if isinstance(v, np.ndarray) and isinstance(current, np.ndarray) and current.shape == v.shape:
                np.copyto(current, v)
            else:
                setattr(self, k, v.copy() if isinstance(v, np.ndarray) else v)

    def describe(self) -> dict:
        return {"name": self.name, "lr": self.lr}


class SGD(Optimizer):
    """Plain gradient descent: ``p <- p - lr * g``."""

    name = "sgd"

    def update(self, params, grads):
        self.t += 1
        params -= self.lr * grads


class Momentum(Optimizer):
    """Heavy-ball momentum ``v <- beta v - lr g; p <- p + v``, or Nesterov's look-ahead form
    ``p <- p + beta v - lr g`` (with the new ``v``)."""

    name = "momentum"
    state_fields = ("t", "v")

    def __init__(self, lr: float, beta: float = 0.9, nesterov: bool = False):
        self.beta = _fraction("beta", beta)
        self.nesterov = bool(nesterov)
        self.v: np.ndarray | None = None
        super().__init__(lr)

    def reset(self):
        super().reset()
        self.v = None

    def update(self, params, grads):
        self.t += 1
        if self.v is None:
            self.v = np.zeros_like(params)
        v = self.v
        v *= self.beta
        v -= self.lr * grads
        if self.nesterov:
            params += self.beta * v - self.lr * grads
        else:
            params += v

    def describe(self):
        return {**super().describe(), "beta": self.beta, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam with bias-corrected first and second moments."""

    name = "adam"
    state_fields = ("t", "m", "s")

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1 = _fraction("beta1", beta1)
        self.beta2 = _fraction("beta2", beta2)
        self.eps = _positive("eps", eps)
        self.m: np.ndarray | None = None
        self.s: np.ndarray | None = None
        super().__init__(lr)

    def reset(self):
        super().reset()
        self.m = self.s = None

    def update(self, params, grads):
        if self.m is None:
            self.m, self.s = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        m, s = self.m, self.s
        m *= self.beta1
        m += (1.0 - self.beta1) * grads
        s *= self.beta2
        s += (1.0 - self.beta2) * grads * grads
        step = self.lr * math.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        params -= step * m / (np.sqrt(s) + self.eps)

    def describe(self):
        return {**super().describe(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


def make_optimizer(name: str, lr: float, **options) -> Optimizer:
    """Build an optimizer by name ("sgd" | "momentum" | "adam"); unknown names or options raise."""
    classes = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    if name not in classes:
        raise FieldError("optimizer", f"unknown optimizer {name!r}; expected one of: {', '.join(OPTIMIZERS)}")
    try:
        return classes[name](lr, **options)
    except TypeError:
        raise FieldError("options", f"optimizer {name!r} does not take options {sorted(options)}") from None
