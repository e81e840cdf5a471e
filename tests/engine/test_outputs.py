"""Output unit + loss pairs: values against high-precision scalar references (mpmath), dL/dz against central
differences, stability for huge logits, and the targets each pair accepts (issue 11, item 9: a target the
loss cannot mean is a ValueError naming the target column and the bad value, never a silent loss of 19,375).
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from app.engine import PAIRS, Network
from app.engine.outputs import DEFAULT_LOSS, encode_targets, get_pair

mpmath.mp.dps = 50


def _reference_loss(output: str, loss: str, z: np.ndarray, t: np.ndarray) -> float:
    """The pair's mean loss, one example at a time in 50-digit arithmetic, from the textbook definitions."""
    total = mpmath.mpf(0)
    for zr, tr in zip(z.tolist(), t.tolist(), strict=True):
        zs = [mpmath.mpf(v) for v in zr]
        if output == "softmax":
            norm = mpmath.fsum(mpmath.exp(v) for v in zs)
            total -= mpmath.fsum(tk * mpmath.log(mpmath.exp(v) / norm) for v, tk in zip(zs, tr, strict=True))
            continue
        y = {"linear": lambda v: v, "tanh": mpmath.tanh,
             "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v))}[output]
        for v, tk in zip(zs, tr, strict=True):
            if loss == "squared_error":
                total += (y(v) - tk) ** 2 / 2
            else:  # cross-entropy of a Bernoulli output
                total -= tk * mpmath.log(y(v)) + (1 - tk) * mpmath.log(1 - y(v))
    return float(total / len(z))


def _example(output: str, loss: str, rng: np.random.Generator, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    k = 3 if output == "softmax" else 2  # two columns: sigmoid and tanh outputs are per column
    z = rng.normal(0.0, 3.0, size=(n, k))
    if output == "softmax":
        t = np.eye(k)[rng.integers(0, k, n)]
    elif (output, loss) == ("sigmoid", "cross_entropy"):
        t = rng.integers(0, 2, (n, k)).astype(float)
    elif output == "sigmoid":
        t = rng.uniform(0.0, 1.0, (n, k))
    elif output == "tanh":
        t = rng.choice([-1.0, 1.0], (n, k))
    else:
        t = rng.normal(size=(n, k))
    return z, t


@pytest.mark.parametrize(("output", "loss"), sorted(PAIRS))
def test_loss_equals_the_textbook_definition_in_high_precision(output, loss):
    z, t = _example(output, loss, np.random.default_rng(len(output) + len(loss)))
    value, _ = get_pair(output, loss).loss_and_delta(z, t)
    assert value == pytest.approx(_reference_loss(output, loss, z, t), rel=1e-12)


@pytest.mark.parametrize(("output", "loss"), sorted(PAIRS))
def test_delta_matches_central_differences_of_the_loss(output, loss):
    pair = get_pair(output, loss)
    z, t = _example(output, loss, np.random.default_rng(7))
    _, delta = pair.loss_and_delta(z, t)
    numeric = np.zeros_like(z)
    eps = 1e-6
    for idx in np.ndindex(*z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (pair.loss_and_delta(up, t)[0] - pair.loss_and_delta(down, t)[0]) / (2 * eps)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


def test_output_units_equal_their_definitions():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(get_pair("sigmoid").activate(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_allclose(get_pair("tanh").activate(z), np.tanh(z), rtol=1e-15)
    np.testing.assert_array_equal(get_pair("linear").activate(z), z)
    e = np.exp([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(get_pair("softmax").activate(z), [e / e.sum()], rtol=1e-15)


@pytest.mark.parametrize(("output", "loss"), sorted(PAIRS))
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_huge_logits_give_finite_losses_and_deltas_without_overflow(output, loss, scale):
    z = np.array([[scale, 0.0, -scale]]) if output == "softmax" else np.array([[scale]])
    if output == "softmax":
        t = np.array([[0.0, 0.0, 1.0]])
    else:
        t = np.array([[-1.0 if output == "tanh" else 1.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value, delta = get_pair(output, loss).loss_and_delta(z, t)
    assert np.isfinite(value) and np.all(np.isfinite(delta))
    if loss == "cross_entropy":
        # confidently wrong by 1e4 (or 2e4 for the softmax gap) costs about that much, not inf
        wrong = scale > 0 if output == "softmax" else scale < 0
        if wrong:
            assert value == pytest.approx(2e4 if output == "softmax" else 1e4, rel=1e-9)
        else:
            assert value < 1e-9


def test_each_output_has_its_natural_loss_among_the_allowed_pairs():
    for output, loss in DEFAULT_LOSS.items():
        assert get_pair(output) is PAIRS[(output, loss)]


def test_unknown_outputs_and_disallowed_pairs_are_refused_listing_what_is_allowed():
    with pytest.raises(ValueError, match="unknown output 'relu'; expected one of: linear, sigmoid, softmax"):
        get_pair("relu")
    with pytest.raises(ValueError, match="loss 'cross_entropy' cannot follow output 'linear'; allowed pairs: "
                                         "linear \\+ squared_error"):
        get_pair("linear", "cross_entropy")


def test_loss_and_delta_refuse_arrays_of_different_shapes_and_targets_the_pair_cannot_mean():
    with pytest.raises(ValueError, match=r"z and t: expected two arrays of one shape \(n, K\), got \[2, 1\]"):
        get_pair("linear").loss_and_delta(np.zeros((2, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="target column 0: sigmoid \\+ cross-entropy needs targets 0 or 1"):
        get_pair("sigmoid").loss_and_delta(np.zeros((2, 1)), np.array([[0.0], [0.5]]))

X = np.array([[0.0, 0.0], [0.5, -0.5], [1.0, 1.0]])


def net(output: str, loss: str | None = None, k: int = 1) -> Network:
    return Network([2, 3, k], activation="tanh", output=output, loss=loss, seed=1)


@pytest.mark.parametrize("targets", [[0, 1, 0.5], [[0.0], [1.0], [0.3]], [0, 1, 99], [0, 1, -1]])
def test_sigmoid_cross_entropy_refuses_targets_other_than_0_and_1(targets):
    with pytest.raises(ValueError, match=r"target column 0: sigmoid \+ cross-entropy needs targets 0 or 1, "
                                         r"got (0.5|0.3|99|-1) \(row 2\)"):
        net("sigmoid").loss_and_gradients(X, np.asarray(targets, dtype=float))


def test_sigmoid_cross_entropy_loss_and_gradient_agree_on_the_targets_it_accepts():
    # the reason for the rule: the gradient y - t is the cross-entropy's for any t, the softplus form of
    # the loss only for t in {0, 1}; checked by finite differences on the output bias
    n = net("sigmoid")
    T = np.array([0.0, 1.0, 1.0])
    g = n.loss_and_gradients(X, T).biases[-1][0]
    eps = 1e-6
    b = n.get_parameters()["biases"]
    up = [list(layer) for layer in b]
    up[-1][0] += eps
    down = [list(layer) for layer in b]
    down[-1][0] -= eps
    n.set_parameters(biases=up)
    lu = n.loss(X, T)
    n.set_parameters(biases=down)
    ld = n.loss(X, T)
    assert abs((lu - ld) / (2 * eps) - g) < 1e-6


def test_sigmoid_squared_error_takes_targets_in_its_range_only():
    n = net("sigmoid", "squared_error")
    assert np.isfinite(n.loss(X, np.array([0.0, 0.25, 1.0])))
    with pytest.raises(ValueError, match=r"target column 0: sigmoid \+ squared error needs targets in "
                                         r"\[0, 1\].*got 1.5 \(row 1\)"):
        n.loss(X, np.array([0.0, 1.5, 1.0]))


def test_a_second_output_column_is_named():
    n = Network([2, 3, 2], activation="tanh", output="sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"target column 1: .* got 2 \(row 0\)"):
        n.loss(X, np.array([[0.0, 2.0], [1.0, 1.0], [0.0, 0.0]]))


def test_softmax_needs_class_labels_in_range_or_rows_of_class_weights():
    n = net("softmax", k=3)
    with pytest.raises(ValueError, match=r"integer class labels in 0..2, got 3 \(row 1\)"):
        n.loss(X, np.array([0, 3, 1]))
    with pytest.raises(ValueError, match=r"got 1.5 \(row 0\)"):
        n.loss(X, np.array([1.5, 0, 1]))
    with pytest.raises(ValueError, match=r"row 2 sums to 2"):
        n.loss(X, np.array([[1.0, 0, 0], [0, 1, 0], [1, 1, 0]]))


@pytest.mark.parametrize("output", ["linear", "tanh", "sigmoid", "softmax"])
def test_non_finite_targets_are_refused_for_every_output(output):
    n = net(output, k=2 if output == "softmax" else 1)
    with pytest.raises(ValueError, match="finite"):
        n.loss(X, np.array([0.0, np.nan, 1.0]))


def test_tanh_and_linear_take_regression_targets_past_one():
    # TensorFlow Playground's regression sets overshoot +-1 with noise; a tanh output still trains on them
    for output in ("tanh", "linear"):
        t = encode_targets(output, np.array([-1.6, 0.2, 2.9]), 1)
        assert t.ravel().tolist() == [-1.6, 0.2, 2.9]
    assert encode_targets("tanh", np.array([0, 1, 1]), 1).ravel().tolist() == [-1.0, 1.0, 1.0]
