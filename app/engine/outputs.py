"""Output unit + loss pairs, in numerically stable forms.

Each pair maps the output layer's pre-activation ``z`` of shape ``(n, K)`` and encoded targets ``t`` of
the same shape to the mean loss over the ``n`` examples and ``dL/dz``. Losses never overflow for
``|z|`` up to 1e4 and raise no floating-point warnings:

* sigmoid + cross-entropy is computed from the logit: ``softplus(-(2t - 1) z)``, per output;
* softmax + cross-entropy uses log-sum-exp: ``logsumexp(z) - z_t``;
* squared error is ``1/2 * mean_n sum_k (y - t)^2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import sigmoid, softplus


@dataclass(frozen=True)
class OutputPair:
    """One allowed combination of output unit and loss."""

    output: str
    loss: str
    label: str
    note: str


PAIRS: dict[tuple[str, str], OutputPair] = {
    (p.output, p.loss): p
    for p in [
        OutputPair("linear", "squared_error", "Linear + squared error", "Regression; predicts the mean."),
        OutputPair("sigmoid", "cross_entropy", "Sigmoid + cross-entropy",
                   "Bernoulli output; the log undoes the exp, so no saturation when wrong."),
        OutputPair("softmax", "cross_entropy", "Softmax + cross-entropy", "K classes (multinoulli)."),
        OutputPair("tanh", "squared_error", "Tanh + squared error",
                   "TensorFlow Playground's choice: labels -1/+1."),
        OutputPair("sigmoid", "squared_error", "Sigmoid + squared error",
                   "Saturates when confidently wrong: gradients vanish (shown for contrast)."),
    ]
}

DEFAULT_LOSS = {"linear": "squared_error", "sigmoid": "cross_entropy", "softmax": "cross_entropy",
                "tanh": "squared_error"}


def check_pair(output: str, loss: str | None) -> tuple[str, str]:
    """Validate an output/loss choice; ``loss=None`` picks the output's natural loss."""
    if output not in DEFAULT_LOSS:
        raise ValueError(f"unknown output {output!r}; expected one of: {', '.join(DEFAULT_LOSS)}")
    loss = DEFAULT_LOSS[output] if loss is None else loss
    if (output, loss) not in PAIRS:
        allowed = ", ".join(f"{o} + {l}" for o, l in PAIRS)
        raise ValueError(f"loss {loss!r} cannot follow output {output!r}; allowed pairs: {allowed}")
    return output, loss


def activate(output: str, z: np.ndarray) -> np.ndarray:
    """Output activation ``y = f(z)`` of shape ``(n, K)``."""
    if output == "linear":
        return z
    if output == "sigmoid":
        return sigmoid(z)
    if output == "tanh":
        return np.tanh(z)
    if output == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(f"unknown output {output!r}")


def loss_and_delta(output: str, loss: str, z: np.ndarray, y: np.ndarray, t: np.ndarray):
    """Mean loss over examples and ``dL/dz`` (shape of ``z``), given ``y = activate(output, z)``."""
    n = z.shape[0]
    if loss == "squared_error":
        diff = y - t
        value = 0.5 * float(np.sum(diff * diff)) / n
        if output == "linear":
            dz = diff / n
        elif output == "tanh":
            dz = diff * (1.0 - y * y) / n
        else:  # sigmoid
            dz = diff * y * (1.0 - y) / n
        return value, dz
    if output == "sigmoid":
        value = float(np.sum(softplus(-(2.0 * t - 1.0) * z))) / n
        return value, (y - t) / n
    # softmax + cross-entropy: logsumexp(z) - <t, z>
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
    value = float(np.sum(lse - np.sum(t * z, axis=1))) / n
    return value, (y - t) / n


def encode_targets(output: str, y: np.ndarray, k: int) -> np.ndarray:
    """Class labels or regression targets ``(n,)`` -> targets ``(n, k)`` in the output's convention.

    softmax: one-hot of integer labels; sigmoid: labels in {0, 1}; tanh: {0, 1} -> {-1, +1} (already
    signed targets pass through); linear: the values as floats. A 2-D ``y`` of shape ``(n, k)`` is taken
    as already encoded.
    """
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[1] != k:
            raise ValueError(f"targets have {y.shape[1]} columns but the network has {k} outputs")
        return y.astype(float)
    if y.ndim != 1:
        raise ValueError(f"targets must have shape (n,) or (n, {k}), got {y.shape}")
    if output == "softmax":
        labels = y.astype(int)
        if labels.size and (labels.min() < 0 or labels.max() >= k or np.any(labels != y)):
            raise ValueError(f"softmax targets must be integer class labels in 0..{k - 1}")
        t = np.zeros((y.shape[0], k))
        t[np.arange(y.shape[0]), labels] = 1.0
        return t
    t = y.astype(float).reshape(-1, 1)
    if k != 1:
        t = np.repeat(t, k, axis=1)
    if output == "tanh" and t.size and t.min() >= 0:
        t = 2.0 * t - 1.0
    return t


def predicted_class(output: str, y: np.ndarray) -> np.ndarray:
    """Class decision ``(n,)`` from output activations ``(n, K)``; ``UNDECIDED`` (-1) where the output is
    within ``TIE_TOLERANCE`` of the threshold (0 for tanh, else 0.5) or the two most probable classes are
    that close."""
    if output == "softmax" or y.shape[1] > 1:
        top = np.sort(y, axis=1)
        tie = top[:, -1] - top[:, -2] <= TIE_TOLERANCE
        return np.where(tie, UNDECIDED, np.argmax(y, axis=1))
    threshold = 0.0 if output == "tanh" else 0.5
    tie = np.abs(y[:, 0] - threshold) <= TIE_TOLERANCE
    return np.where(tie, UNDECIDED, (y[:, 0] > threshold).astype(int))


# An output this close to the decision threshold (or two classes' probabilities this close) is a tie, not a
# decision: in output units, far above float rounding (the xor-linear optimum predicts 0.5 +- 1e-16 and
# would otherwise count as whichever class rounding favours) and far below any margin a trained net has.
UNDECIDED = -1
TIE_TOLERANCE = 1e-9
