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
import numpy.typing as npt

from .activations import sigmoid, softplus
from .errors import FieldError


@dataclass(frozen=True)
class OutputPair:
    """One allowed combination of output unit and loss, and its functions (see ``get_pair``)."""

    output: str
    loss: str
    label: str
    note: str

    def activate(self, z: npt.ArrayLike) -> np.ndarray:
        """The output unit ``y = f(z)``, ``(n, K)`` from pre-activations ``z`` ``(n, K)``."""
        return activate(self.output, np.asarray(z, dtype=float))

    def loss_and_delta(self, z: npt.ArrayLike, t: npt.ArrayLike) -> tuple[float, np.ndarray]:
        """Mean loss over the ``n`` examples and ``dL/dz`` ``(n, K)``, from pre-activations ``z`` and
        encoded targets ``t`` (both ``(n, K)``; ``encode_targets`` makes ``t`` from class labels). The
        targets are checked first, as the network checks them."""
        z = np.asarray(z, dtype=float)
        t = np.asarray(t, dtype=float)
        if z.ndim != 2 or t.shape != z.shape:
            raise FieldError("t",
                             f"z and t: expected two arrays of one shape (n, K), got {list(z.shape)} and "
                             f"{list(t.shape)}")
        check_targets(self.output, self.loss, t)
        return loss_and_delta(self.output, self.loss, z, activate(self.output, z), t)


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


def get_pair(output: str, loss: str | None = None) -> OutputPair:
    """The allowed pair of ``output`` and ``loss`` (None: the output's natural loss); ValueError listing
    the allowed pairs otherwise."""
    return PAIRS[check_pair(output, loss)]


def check_pair(output: str, loss: str | None) -> tuple[str, str]:
    """Validate an output/loss choice; ``loss=None`` picks the output's natural loss."""
    if output not in DEFAULT_LOSS:
        raise FieldError("output", f"unknown output {output!r}; expected one of: {', '.join(DEFAULT_LOSS)}")
    loss = DEFAULT_LOSS[output] if loss is None else loss
    if (output, loss) not in PAIRS:
        allowed = ", ".join(f"{o} + {l}" for o, l in PAIRS)
        raise FieldError("loss", f"loss {loss!r} cannot follow output {output!r}; allowed pairs: {allowed}")
    return output, loss


def activate(output: str, z: np.ndarray) -> np.ndarray:
    """Output activation ``y = f(z)`` of shape ``(n, K)``."""
    if output == "linear":
        return z
    if output == "sigmoid":
        return sigmoid(z)
    if output == "tanh":
        y: np.ndarray = np.tanh(z)
        return y
    if output == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return p
    raise FieldError("output", f"unknown output {output!r}")


def loss_and_delta(output: str, loss: str, z: np.ndarray, y: np.ndarray,
                   t: np.ndarray) -> tuple[float, np.ndarray]:
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


def encode_targets(output: str, y: np.ndarray, k: int, loss: str | None = None) -> np.ndarray:
    """Class labels or regression targets ``(n,)`` -> targets ``(n, k)`` in the output's convention.

    softmax: one-hot of integer labels; sigmoid: labels in {0, 1}; tanh: {0, 1} -> {-1, +1} (already
    signed targets pass through); linear: the values as floats. A 2-D ``y`` of shape ``(n, k)`` is taken
    as already encoded. Either way the result is checked by ``check_targets`` (ValueError naming the
    target column and the bad value) with ``loss`` defaulting to the output's natural loss.
    """
    y = np.asarray(y)
    loss = DEFAULT_LOSS.get(output) if loss is None else loss
    if y.ndim == 2:
        if y.shape[1] != k:
            raise FieldError("y", f"targets have {y.shape[1]} columns but the network has {k} outputs")
        t = y.astype(float)
        check_targets(output, loss, t)
        return t
    if y.ndim != 1:
        raise FieldError("y", f"targets must have shape (n,) or (n, {k}), got {y.shape}")
    _check_finite(y.astype(float), "target")
    if output == "softmax":
        labels = y.astype(int)
        bad = np.flatnonzero((labels < 0) | (labels >= k) | (labels != y))
        if bad.size:
            raise FieldError("y", f"softmax targets must be integer class labels in 0..{k - 1}, got "
                             f"{_number(y[bad[0]])} (row {bad[0]})")
        t = np.zeros((y.shape[0], k))
        t[np.arange(y.shape[0]), labels] = 1.0
        return t
    t = y.astype(float).reshape(-1, 1)
    if k != 1:
        t = np.repeat(t, k, axis=1)
    if output == "tanh" and t.size and t.min() >= 0:
        t = 2.0 * t - 1.0
    check_targets(output, loss, t, encoded_from=y)
    return t


def check_targets(output: str, loss: str | None, t: np.ndarray,
                  encoded_from: np.ndarray | None = None) -> None:
    """Raise ValueError unless the encoded targets ``t`` ``(n, k)`` suit the output unit and loss.

    sigmoid + cross-entropy needs 0 or 1 in every column: its loss ``softplus(-(2t - 1) z)`` is the
    cross-entropy only there, while its gradient ``y - t`` is that of the cross-entropy for any t, so any
    other target would train a loss other than the one shown. sigmoid + squared error needs targets in
    [0, 1], the sigmoid's range; softmax + cross-entropy rows of non-negative class weights summing to 1.
    tanh and linear outputs take any finite target (regression sets overshoot +-1 with noise, as in
    TensorFlow Playground). ``encoded_from`` (the raw labels, when ``t`` was made from them) is what the
    message quotes.
    """
    if output not in ("sigmoid", "softmax"):
        _check_finite(t, "target")
        return
    if output == "sigmoid":
        cross_entropy = loss != "squared_error"
        bad = ((t != 0.0) & (t != 1.0)) if cross_entropy else ~((t >= 0.0) & (t <= 1.0))  # NaN is bad
        if not bad.any():  # the common case costs two comparisons
            return
        _check_finite(t, "target")
        rows, cols = np.nonzero(bad)
        row, col = rows[0], cols[0]
        pair, need = (("sigmoid + cross-entropy", "targets 0 or 1") if cross_entropy
                      else ("sigmoid + squared error", "targets in [0, 1] (the sigmoid's range)"))
        got = encoded_from[row] if encoded_from is not None else t[row, col]
        raise FieldError("y", f"target column {col}: {pair} needs {need}, got {_number(got)} (row {row})")
    _check_finite(t, "target")
    rows, cols = np.nonzero(t < 0.0)
    if rows.size:
        raise FieldError("y", f"target column {cols[0]}: softmax + cross-entropy needs class weights >= 0, "
                         f"got {_number(t[rows[0], cols[0]])} (row {rows[0]})")
    (rows,) = np.nonzero(np.abs(t.sum(axis=1) - 1.0) > 1e-6)
    if rows.size:
        raise FieldError("y", f"softmax + cross-entropy needs each row of targets to sum to 1 (one-hot class "
                         f"labels), row {rows[0]} sums to {_number(t[rows[0]].sum())}")


def _check_finite(t: np.ndarray, what: str) -> None:
    if np.isfinite(t).all():
        return
    bad = np.argwhere(~np.isfinite(t))
    if bad.size:
        where = f"row {bad[0][0]}" + (f", column {bad[0][1]}" if t.ndim == 2 else "")
        raise FieldError("y", f"{what}s must be finite numbers, got {_number(t[tuple(bad[0])])} ({where})")


def _number(value: float) -> str:
    return f"{float(value):g}"


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
