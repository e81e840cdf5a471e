"""Hidden units of the lecture: value, derivative, parameters, and whether each is piecewise linear.

Every unit works on a pre-activation array ``z`` of shape ``(n, units)``. Most units are element-wise
(``h = g(z)``); two change the layer itself and are handled by the network with their ``kind``:

* ``maxout``: the layer computes ``k`` affine pieces per unit, ``z`` has shape ``(n, units * k)`` laid out
  unit-major (``z[:, j * k + p]`` is piece ``p`` of unit ``j``) and ``h = max_p z``.
* ``rbf``: the "pre-activation" is the scaled squared distance ``z = ||a - W[:, j]||^2 / sigma_j^2`` to the
  unit's template and ``h = exp(-z)``.

Units with learned parameters (``prelu`` slope, ``rbf`` width) declare them in ``param_names``; the
network stores them per layer as arrays of shape ``(units,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import FieldError

RRELU_LOW = 1.0 / 8.0
RRELU_HIGH = 1.0 / 3.0
RRELU_MEAN = (RRELU_LOW + RRELU_HIGH) / 2.0
GELU_C = float(np.sqrt(2.0 / np.pi))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function in a form that never overflows: 1/2 (1 + tanh(z/2))."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) without overflow."""
    return np.logaddexp(0.0, z)


@dataclass(frozen=True)
class Activation:
    """Description of one hidden unit.

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


# --- element-wise units ----------------------------------------------------------------------------
# forward(z, params, options, slopes) -> h ; grad(z, h, params, options, slopes) -> dh/dz (same shape).
# ``slopes`` is the per-example rrelu slope array in training (None at evaluation).


def forward(name: str, z: np.ndarray, params: dict, options: dict, slopes=None) -> np.ndarray:
    """Value of the element-wise unit ``name`` at ``z`` (any shape ``(n, units)``)."""
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        s = options.get("leaky_slope", 0.01)
        return np.where(z > 0, z, s * z)
    if name == "prelu":
        return np.where(z > 0, z, params["slope"] * z)
    if name == "rrelu":
        s = RRELU_MEAN if slopes is None else slopes
        return np.where(z > 0, z, s * z)
    if name == "abs":
        return np.abs(z)
    if name == "elu":
        alpha = options.get("elu_alpha", 1.0)
        return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "hard_tanh":
        return np.clip(z, -1.0, 1.0)
    if name == "softplus":
        return softplus(z)
    if name == "swish":
        return z * sigmoid(z)
    if name == "gelu":
        return 0.5 * z * (1.0 + np.tanh(GELU_C * (z + 0.044715 * z**3)))
    if name == "sine":
        return np.sin(z)
    raise ValueError(f"{name!r} is not an element-wise unit")


def derivative(name: str, z: np.ndarray, h: np.ndarray, params: dict, options: dict, slopes=None):
    """dg/dz of the element-wise unit ``name``, given ``z`` and its value ``h = g(z)``."""
    one = np.ones((), dtype=z.dtype)
    if name == "linear":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, one, options.get("leaky_slope", 0.01))
    if name == "prelu":
        return np.where(z > 0, one, params["slope"])
    if name == "rrelu":
        return np.where(z > 0, one, RRELU_MEAN if slopes is None else slopes)
    if name == "abs":
        return np.sign(z)
    if name == "elu":
        alpha = options.get("elu_alpha", 1.0)
        return np.where(z > 0, one, h + alpha)
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "tanh":
        return 1.0 - h * h
    if name == "hard_tanh":
        return (np.abs(z) < 1.0).astype(z.dtype)
    if name == "softplus":
        return sigmoid(z)
    if name == "swish":
        s = sigmoid(z)
        return s + z * s * (1.0 - s)
    if name == "gelu":
        u = GELU_C * (z + 0.044715 * z**3)
        t = np.tanh(u)
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3 * 0.044715 * z * z)
    if name == "sine":
        return np.cos(z)
    raise ValueError(f"{name!r} is not an element-wise unit")


def evaluate(name: str, z: np.ndarray, options: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
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
    params = {"slope": np.full(z.shape[-1:] if z.ndim else (), 0.25)} if name == "prelu" else {}
    h = forward(name, z, params, options)
    return h, derivative(name, z, h, params, options)
