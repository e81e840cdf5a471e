"""Input feature maps: the network sees chosen functions of (x1, x2) instead of the raw coordinates.

``feature_map`` runs on the whole G x G grid every frame, so it writes each column with one ufunc call
straight into a caller-provided buffer (``out=``) and allocates nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np

from .errors import FieldError

# fn(x1, x2, out) writes the feature into `out` (a column, shape (n,)); x2 is None for 1-D data.
FeatureFn = Callable[[np.ndarray, "np.ndarray | None", np.ndarray], None]


class Feature(NamedTuple):
    label: str
    fn: FeatureFn


def _second(x2: np.ndarray | None) -> np.ndarray:
    # validate_features keeps x2-based features from 1-D data; this makes the function say so itself
    if x2 is None:
        raise FieldError("features", "features: this feature needs x2, but the data has one input (x1 only)")
    return x2


def _x1(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.copyto(out, x1, casting="same_kind")


def _x2(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.copyto(out, _second(x2), casting="same_kind")


def _x1sq(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.multiply(x1, x1, out=out)


def _x2sq(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.multiply(_second(x2), _second(x2), out=out)


def _x1x2(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.multiply(x1, _second(x2), out=out)


def _sin_x1(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.sin(x1, out=out)


def _sin_x2(x1: np.ndarray, x2: np.ndarray | None, out: np.ndarray) -> None:
    np.sin(_second(x2), out=out)


FEATURES: dict[str, Feature] = {
    "x1": Feature("x₁", _x1),
    "x2": Feature("x₂", _x2),
    "x1sq": Feature("x₁²", _x1sq),
    "x2sq": Feature("x₂²", _x2sq),
    "x1x2": Feature("x₁x₂", _x1x2),
    "sin_x1": Feature("sin(x₁)", _sin_x1),
    "sin_x2": Feature("sin(x₂)", _sin_x2),
}

# The features that read x2, so are unavailable for 1-D data.
NEEDS_X2 = frozenset({"x2", "x2sq", "x1x2", "sin_x2"})

IDENTITY_2D = ("x1", "x2")
IDENTITY_1D = ("x1",)


def validate_features(names: Iterable[str], dims: int = 2) -> tuple[str, ...]:
    """Check a feature list for data with ``dims`` (1 or 2) inputs; returns it as a tuple.

    ValueError naming the offending feature for unknown, duplicate or (for 1-D data) x2-based names, and
    for an empty list.
    """
    if isinstance(names, str):
        raise FieldError("features", f"features: expected a list of feature names, got the string {names!r}")
    names = tuple(names)
    if not names:
        raise FieldError("features", "features: at least one feature is required")
    seen: set[str] = set()
    for name in names:
        if name not in FEATURES:
            raise FieldError("features", f"features: unknown feature {name!r}; known: {', '.join(FEATURES)}")
        if name in seen:
            raise FieldError("features", f"features: {name!r} is listed twice")
        if dims == 1 and name in NEEDS_X2:
            raise FieldError("features", f"features: {name!r} needs x2, but the data has one input (x1 only)")
        seen.add(name)
    return names


def feature_map(X: np.ndarray, names: Iterable[str], out: np.ndarray | None = None) -> np.ndarray:
    """Map inputs ``X`` ``(n, 2)`` (or ``(n, 1)`` for 1-D data) to ``(n, len(names))`` features.

    Column j is feature ``names[j]``. With ``out`` (a writeable float array of that shape, any layout,
    not overlapping ``X``) the result is written there and ``out`` is returned; otherwise a new array in
    X's float dtype (float64 for integer X). The result never shares memory with ``X``.
    """
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] not in (1, 2):
        shape = getattr(X, "shape", None)
        raise FieldError("X", f"X: expected an array of shape (n, 1) or (n, 2), got shape {shape}")
    names = validate_features(names, dims=X.shape[1])
    shape = (X.shape[0], len(names))
    if out is None:
        dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
        out = np.empty(shape, dtype=dtype)
    else:
        if not isinstance(out, np.ndarray) or out.shape != shape:
            got = getattr(out, "shape", None)
            raise FieldError("out", f"out: expected an array of shape {shape}, got shape {got}")
        if not np.issubdtype(out.dtype, np.floating) or not out.flags.writeable:
            raise FieldError("out", f"out: must be a writeable float array, got {out.dtype}")
        if np.may_share_memory(out, X):
            raise FieldError("out", "out: must not overlap X")
    x1 = X[:, 0]
    x2 = X[:, 1] if X.shape[1] == 2 else None
    for j, name in enumerate(names):
        FEATURES[name].fn(x1, x2, out[:, j])
    return out


def is_identity(names: Iterable[str]) -> bool:
    """True when the features are exactly the raw inputs, ("x1", "x2") or ("x1",): the network is then a
    function of the input plane itself, which exact region counting needs."""
    return tuple(names) in (IDENTITY_2D, IDENTITY_1D)
