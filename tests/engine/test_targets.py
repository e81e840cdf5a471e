"""Targets are checked per output unit and loss (issue 11, item 9): a target the loss cannot mean is a
ValueError naming the target column and the bad value, never a silent loss of 19,375."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import Network
from app.engine.outputs import encode_targets

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
