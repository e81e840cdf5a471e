"""Hidden units of the lecture: value, derivative, parameters, and whether each is piecewise linear.

Every unit works on a pre-activation array ``z`` of shape ``(n, units)``. Most units are element-wise
(``h = g(z)``); two change the layer itself and are handled by the network with their ``kind``:

* ``maxout``: the layer computes ``k`` affine pieces per unit, ``z`` has shape ``(n, units * k)`` laid out
  unit-major (``z[:, j * k + p]`` is piece ``p`` of unit ``j``) and ``h = max_p z``.
* ``rbf``: the "pre-activation" is the scaled squared distance ``z = ||a - W[:, j]||^2 / sigma_j^2`` to the
  unit's template and ``h = exp(-z)``.

Units with learned parameters (``prelu`` slope, ``rbf`` width) declare them in ``param_names``; the
network stores them per layer as arrays of shape ``(units,)``.

From a notebook, each unit is an ``Activation`` with ``value(z)`` and ``derivative(z)``::

    elu = get_activation("elu")
    elu.value(z), elu.derivative(z)                     # g(z), g'(z), each the shape of z
    get_activation("leaky_relu").value(z, leaky_slope=0.2)

``forward`` and ``derivative`` below are the network's entry points (the layer's parameters and options
as the network stores them); both read the one table of element-wise kernels, ``_KERNELS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .errors import FieldError

RRELU_LOW = 1.0 / 8.0
RRELU_HIGH = 1.0 / 3.0
RRELU_MEAN = (RRELU_LOW + RRELU_HIGH) / 2.0
GELU_C = float(np.sqrt(2.0 / np.pi))
LEAKY_SLOPE = 0.01  #: leaky relu's slope for z < 0 unless the ``leaky_slope`` option says otherwise
ELU_ALPHA = 1.0  #: elu's saturation level -alpha unless the ``elu_alpha`` option says otherwise
MAXOUT_K = 2  #: maxout's pieces per unit unless the ``maxout_k`` option says otherwise
PRELU_SLOPE = 0.25  #: prelu's learned slope before training (He et al. 2015)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function in a form that never overflows: 1/2 (1 + tanh(z/2))."""
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) without overflow."""
    out: np.ndarray = np.logaddexp(0.0, z)
    return out


@dataclass(frozen=True)
class Activation:
    """Description of one hidden unit, and its function: ``value(z)`` and ``derivative(z)``.

    ``group`` follows the lecture: "rectifier", "saturating" or "other". ``verdict`` is the lecture's
    one-line judgement, shown in the UI gallery.
    """

    name: str
    label: str
    group: str
    piecewise_linear: bool
    verdict: str
    kind: str = "elementwise"  # "elementwise" | "maxout" | "rbf"
    param_names: tuple[str, ...] = field(default_factory=tuple)

    @property
    def parameters(self) -> dict[str, float]:
        """The keyword ``value`` and ``derivative`` take for this unit, with its default (``{}``: none)."""
        return dict([_PARAMETER[self.name]]) if self.name in _PARAMETER else {}

    def value(self, z: npt.ArrayLike, **parameter: npt.ArrayLike) -> np.ndarray:
        """``g(z)``, float64. Element-wise units and rbf (``exp(-z)`` of the scaled squared distance
        ``z``): the shape of ``z``. maxout: ``z`` ``(..., units * k)`` unit-major pieces -> ``(..., units)``.
        ``parameter``: the unit's one parameter by name (see ``parameters``), a number or an array that
        broadcasts against ``z`` (prelu's ``slope`` per unit, rrelu's sampled ``slope``)."""
        z, p = self._arguments(z, parameter)
        h: np.ndarray
        if self.kind == "maxout":
            h = _pieces(z, int(p)).max(axis=-1)
        elif self.kind == "rbf":
            h = np.exp(-z)
        else:
            h = _KERNELS[self.name].value(z, p)
        return h

    def derivative(self, z: npt.ArrayLike, **parameter: npt.ArrayLike) -> np.ndarray:
        """``dg/dz``, the shape of ``z``, float64. For maxout ``dh_j/dz[..., j * k + p]``: 1 for the piece
        that wins (the first on ties), 0 for the others. At a kink, the one-sided value the network's
        backward pass uses (relu'(0) = 0, |z|'(0) = 0)."""
        z, p = self._arguments(z, parameter)
        slope: np.ndarray
        if self.kind == "maxout":
            pieces = _pieces(z, int(p))
            winner = pieces.argmax(axis=-1)[..., None]
            slope = (np.arange(pieces.shape[-1]) == winner).astype(float).reshape(z.shape)
        elif self.kind == "rbf":
            slope = -np.exp(-z)
        else:
            kernel = _KERNELS[self.name]
            slope = kernel.slope(z, kernel.value(z, p), p)
        return slope

    def _arguments(self, z: npt.ArrayLike, given: dict[str, npt.ArrayLike]) -> tuple[np.ndarray, Any]:
        """``z`` as float64 and the unit's parameter (its default unless given); unknown names refused."""
        name, default = _PARAMETER.get(self.name, ("", 0.0))
        unknown = sorted(set(given) - {name})
        if unknown:
            takes = f"only {name!r}" if name else "no parameters"
            raise FieldError("options", f"{unknown[0]}: the {self.name} unit takes {takes}")
        z_array = np.asarray(z, dtype=float)
        p: Any = given.get(name, default)
        if name == "maxout_k":
            if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
                raise FieldError("maxout_k", f"maxout_k: expected an integer >= 1, got {p!r}")
        elif name:
            p = np.asarray(p, dtype=float)
            if not np.all(np.isfinite(p)):
                raise FieldError("options", f"{name}: expected finite numbers, got {given[name]!r}")
        return z_array, p


def _pieces(z: np.ndarray, k: int) -> np.ndarray:
    """maxout's ``z`` ``(..., units * k)`` as ``(..., units, k)``."""
    if z.ndim == 0 or z.shape[-1] % k:
        raise FieldError("z",
                         f"z: maxout with maxout_k={k} needs a last axis of units * {k} pieces, got shape "
                         f"{list(z.shape)}")
    return z.reshape(*z.shape[:-1], z.shape[-1] // k, k)


# The one parameter of each unit that has one, as a keyword of Activation.value with its default.
_PARAMETER: dict[str, tuple[str, float]] = {
    "leaky_relu": ("leaky_slope", LEAKY_SLOPE),
    "prelu": ("slope", PRELU_SLOPE),
    "rrelu": ("slope", RRELU_MEAN),
    "elu": ("elu_alpha", ELU_ALPHA),
    "maxout": ("maxout_k", MAXOUT_K),
}


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("linear", "Linear", "other", True,
                   "No non-linearity: a stack of linear layers is linear."),
        Activation("relu", "ReLU", "rectifier", True,
                   "Default choice: gradient 1 where active; units can die (gradient 0 for z < 0)."),
        Activation("leaky_relu", "Leaky ReLU", "rectifier", True,
                   "Small fixed slope for z < 0 so no unit is ever completely dead."),
        Activation("prelu", "Parametric ReLU", "rectifier", True,
                   "The slope for z < 0 is learned per unit.", param_names=("slope",)),
        Activation("rrelu", "Randomized ReLU", "rectifier", True,
                   "Slope for z < 0 drawn at random in training, its mean at evaluation."),
        Activation("abs", "Absolute value", "rectifier", True,
                   "g(z) = |z|: symmetric rectification, used for features invariant to sign."),
        Activation("elu", "ELU", "rectifier", False,
                   "Smooth for z < 0, saturates at -1: outputs closer to zero mean."),
        Activation("maxout", "Maxout", "rectifier", True,
                   "Max of k affine pieces: learns its own convex piecewise-linear unit.", kind="maxout"),
        Activation("sigmoid", "Sigmoid", "saturating", False,
                   "Saturates at both ends: gradients vanish; not zero-centred."),
        Activation("tanh", "Tanh", "saturating", False,
                   "Saturates but is zero-centred; behaves like the identity near 0."),
        Activation("hard_tanh", "Hard tanh", "saturating", True,
                   "Piecewise-linear tanh: clip(z, -1, 1); gradient 0 outside [-1, 1]."),
        Activation("softplus", "Softplus", "other", False,
                   "Smooth ReLU; in practice no better than ReLU despite being differentiable."),
        Activation("rbf", "Radial basis", "other", False,
                   "Gaussian bump around a learned template: active only near it, hard to optimise.",
                   kind="rbf", param_names=("sigma",)),
        Activation("swish", "Swish", "other", False, "z * sigmoid(z): smooth, non-monotonic near 0."),
        Activation("gelu", "GELU", "other", False, "Smooth gate z * Phi(z) (tanh approximation)."),
        Activation("sine", "Sine", "other", False, "Periodic unit: fits oscillating functions."),
    ]
}

GROUPS = ("rectifier", "saturating", "other")


def get_activation(name: str) -> Activation:
    """Look a unit up by name; unknown names raise ValueError listing the valid ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise FieldError("activation",
            f"unknown activation {name!r}; expected one of: {', '.join(ACTIVATIONS)}"
        ) from None


# --- element-wise kernels ----------------------------------------------------------------------------
# value(z, p) -> h and slope(z, h, p) -> dh/dz, the shape of z and in its dtype (the grid works in
# float32). ``p`` is the unit's one parameter (leaky and rrelu slope, prelu's per-unit slopes, elu's
# alpha), resolved by ``_parameter``; units without one ignore it.

Param = Any  # a number or an array broadcasting against z
# A layer's unit parameters by name ("slope", "sigma"); keys typed Any so that any dict the network
# builds is accepted, however precisely it is typed.
UnitParams = Mapping[Any, Any]


class _Kernel(NamedTuple):
    value: Callable[[np.ndarray, Param], np.ndarray]
    slope: Callable[[np.ndarray, np.ndarray, Param], np.ndarray]


def _one(z: np.ndarray) -> np.ndarray:
    return np.ones((), dtype=z.dtype)


def _gelu_slope(z: np.ndarray, h: np.ndarray, p: Param) -> np.ndarray:
    t = np.tanh(GELU_C * (z + 0.044715 * z**3))
    out: np.ndarray = 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3 * 0.044715 * z * z)
    return out


def _swish_slope(z: np.ndarray, h: np.ndarray, p: Param) -> np.ndarray:
    s = sigmoid(z)
    out: np.ndarray = s + z * s * (1.0 - s)
    return out


# leaky relu, prelu and rrelu are one function, z for z > 0 and p z below, with p from different places.
_LEAKY = _Kernel(lambda z, p: np.where(z > 0, z, p * z), lambda z, h, p: np.where(z > 0, _one(z), p))

_KERNELS: dict[str, _Kernel] = {
    "linear": _Kernel(lambda z, p: z, lambda z, h, p: np.ones_like(z)),
    "relu": _Kernel(lambda z, p: np.maximum(z, 0.0), lambda z, h, p: (z > 0).astype(z.dtype)),
    "leaky_relu": _LEAKY,
    "prelu": _LEAKY,
    "rrelu": _LEAKY,
    "abs": _Kernel(lambda z, p: np.abs(z), lambda z, h, p: np.sign(z)),
    "elu": _Kernel(lambda z, p: np.where(z > 0, z, p * np.expm1(np.minimum(z, 0.0))),
                   lambda z, h, p: np.where(z > 0, _one(z), h + p)),
    "sigmoid": _Kernel(lambda z, p: sigmoid(z), lambda z, h, p: h * (1.0 - h)),
    "tanh": _Kernel(lambda z, p: np.tanh(z), lambda z, h, p: 1.0 - h * h),
    "hard_tanh": _Kernel(lambda z, p: np.clip(z, -1.0, 1.0),
                         lambda z, h, p: (np.abs(z) < 1.0).astype(z.dtype)),
    "softplus": _Kernel(lambda z, p: softplus(z), lambda z, h, p: sigmoid(z)),
    "swish": _Kernel(lambda z, p: z * sigmoid(z), _swish_slope),
    "gelu": _Kernel(lambda z, p: 0.5 * z * (1.0 + np.tanh(GELU_C * (z + 0.044715 * z**3))), _gelu_slope),
    "sine": _Kernel(lambda z, p: np.sin(z), lambda z, h, p: np.cos(z)),
}


def _kernel(name: str) -> _Kernel:
    try:
        return _KERNELS[name]
    except KeyError:
        raise FieldError("name", f"{name!r} is not an element-wise unit") from None


def _parameter(name: str, params: UnitParams, options: Mapping[str, Any],
               slopes: np.ndarray | None) -> Param:
    """The unit's parameter as the network holds it: an option, a learned array, or sampled slopes."""
    if name == "leaky_relu":
        return options.get("leaky_slope", LEAKY_SLOPE)
    if name == "prelu":
        return params["slope"]
    if name == "rrelu":  # sampled per example in training, the mean at evaluation
        return RRELU_MEAN if slopes is None else slopes
    if name == "elu":
        return options.get("elu_alpha", ELU_ALPHA)
    return None


def forward(name: str, z: np.ndarray, params: UnitParams, options: Mapping[str, Any],
            slopes: np.ndarray | None = None) -> np.ndarray:
    """Value of the element-wise unit ``name`` at ``z`` (any shape ``(n, units)``). ``params``: the
    layer's unit parameters; ``options``: the network's activation options; ``slopes``: rrelu's slopes
    sampled for this batch in training (None at evaluation)."""
    return _kernel(name).value(z, _parameter(name, params, options, slopes))


def derivative(name: str, z: np.ndarray, h: np.ndarray, params: UnitParams,
               options: Mapping[str, Any], slopes: np.ndarray | None = None) -> np.ndarray:
    """dg/dz of the element-wise unit ``name``, given ``z`` and its value ``h = g(z)``."""
    return _kernel(name).slope(z, h, _parameter(name, params, options, slopes))


def evaluate(name: str, z: npt.ArrayLike,
             options: Mapping[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(g(z), g'(z))`` of an element-wise unit with default parameters, for plotting the gallery.

    PReLU uses its initial slope 0.25, RReLU its evaluation slope; maxout and rbf are not element-wise
    and are drawn as their one-dimensional special cases (max(z, 0) with two pieces; exp(-z^2)).
    """
    options = options or {}
    z = np.asarray(z, dtype=float)
    if name == "maxout":
        return np.maximum(z, 0.0), (z > 0).astype(float)
    if name == "rbf":
        h = np.exp(-z * z)
        return h, -2.0 * z * h
    params = {"slope": np.full(z.shape[-1:] if z.ndim else (), PRELU_SLOPE)} if name == "prelu" else {}
    h = forward(name, z, params, options)
    return h, derivative(name, z, h, params, options)
