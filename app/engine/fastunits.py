"""The training fast path's in-place hidden units: ``g(z)`` written into a buffer, and ``g'(z)`` from
``h = g(z)`` alone, so the derivative of every layer that shares a unit is one or two calls over one
flat buffer (fastpath.py). Every array is float64; shapes are whatever the caller lays out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .params import Array

#: Units whose forward pass runs in place and whose derivative is computed from h = g(z) alone.
FROM_H = ("linear", "relu", "tanh", "sigmoid", "hard_tanh")


def _relu(z: Array, out: Array) -> None:
    np.maximum(z, 0.0, out=out)


def _sigmoid(z: Array, out: Array) -> None:
    # Same operations in the same order as activations.sigmoid, so the values are identical.
    np.multiply(z, 0.5, out)
    np.tanh(out, out)
    np.add(out, 1.0, out)
    np.multiply(out, 0.5, out)


def _linear(z: Array, out: Array) -> None:
    np.copyto(out, z)


def _hard_tanh(z: Array, out: Array) -> None:
    np.clip(z, -1.0, 1.0, out=out)


#: ``FORWARD[name](z, out)`` writes ``g(z)`` into ``out`` (same shape as ``z``).
FORWARD: dict[str, Callable[[Array, Array], Any]] = {
    "linear": _linear, "relu": _relu, "tanh": np.tanh, "sigmoid": _sigmoid, "hard_tanh": _hard_tanh}


def derivative_from_h(name: str, h: Array, d: Array, one: Array) -> None:
    """``d = g'(z)`` written from ``h = g(z)`` (flat views over one or more layers; ``one`` is an array
    of ones of the same shape: array operands are cheaper than scalars on arrays this small). A linear
    unit's ``d`` is left alone: the caller fills it with ones once."""
    if name == "tanh":
        np.multiply(h, h, d)
        np.subtract(one, d, d)
    elif name == "sigmoid":
        np.subtract(one, h, d)
        np.multiply(d, h, d)
    elif name == "relu":
        # h = max(z, 0) is positive exactly where z is, and sign() of it is then 1, elsewhere 0.
        np.sign(h, d)
    elif name == "hard_tanh":
        # h = clip(z, -1, 1) has |h| < 1 exactly where |z| < 1.
        np.abs(h, d)
        np.less(d, one, d)
