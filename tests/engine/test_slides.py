"""The lecture's numbers, computed by the engine and checked against the slides and closed forms."""

import numpy as np
import pytest

from app.engine import Network
from app.engine.optimizers import make_optimizer
from app.engine.training import Trainer

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def hand_coded_xor() -> Network:
    net = Network([2, 2, 1], activation="relu", output="linear")
    net.set_parameters(weights=[[[1, 1], [1, 1]], [[1], [-2]]], biases=[[0, -1], [0]])
    return net


def test_readme_example_prints_the_xor_outputs():
    assert hand_coded_xor().predict(XOR_X).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_hand_coded_xor_layers_equal_the_slides_matrices():
    fwd = hand_coded_xor().forward(XOR_X)
    XW = XOR_X @ np.array([[1, 1], [1, 1]])
    np.testing.assert_array_equal(XW, [[0, 0], [1, 1], [1, 1], [2, 2]])
    np.testing.assert_array_equal(fwd.z[0], [[0, -1], [1, 0], [1, 0], [2, 1]])  # XW + c
    np.testing.assert_array_equal(fwd.a[1], [[0, 0], [1, 0], [1, 0], [2, 1]])  # max{0, XW + c}
    np.testing.assert_array_equal(fwd.output.ravel(), [0, 1, 1, 0])


def test_hand_coded_xor_fits_exactly_with_zero_loss():
    net = hand_coded_xor()
    assert net.loss(XOR_X, XOR_Y) == 0.0
    grads = net.loss_and_gradients(XOR_X, XOR_Y)
    assert np.all(grads.flat == 0.0)


def test_linear_model_on_xor_converges_to_w_zero_b_half():
    net = Network([2, 1], output="linear", init="glorot", seed=3)
    trainer = Trainer(net, make_optimizer("sgd", lr=0.5), XOR_X, XOR_Y, batch_size=4, shuffle=False)
    trainer.step(3000)
    # Independent reference: the least-squares solution of [X 1] theta = y.
    A = np.hstack([XOR_X, np.ones((4, 1))])
    theta, *_ = np.linalg.lstsq(A, XOR_Y.astype(float), rcond=None)
    np.testing.assert_allclose(theta, [0.0, 0.0, 0.5], atol=1e-12)
    assert np.max(np.abs(net.weights[0])) < 1e-3
    assert abs(net.biases[0][0] - 0.5) < 1e-3
    np.testing.assert_allclose(net.predict(XOR_X).ravel(), 0.5, atol=2e-3)


def test_logistic_regression_gradient_is_sum_of_residual_times_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] + 0.3 * rng.normal(size=20) > 0).astype(float)
    net = Network([2, 1], output="sigmoid", seed=1)
    net.set_parameters(weights=[[[0.7], [-0.4]]], biases=[[0.2]])
    grads = net.loss_and_gradients(X, y)
    theta, b = np.array([0.7, -0.4]), 0.2
    residual = y - 1 / (1 + np.exp(-(X @ theta + b)))
    # The log-likelihood gradient sum_i (y_i - sigma(theta^T x_i)) x_i; our loss is the mean negative
    # log-likelihood, so its gradient is that sum divided by -n.
    np.testing.assert_allclose(grads.weights[0].ravel(), -(residual @ X) / 20, rtol=1e-12)
    assert grads.biases[0][0] == pytest.approx(-residual.sum() / 20, rel=1e-12)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_cross_entropy_stays_finite_for_huge_logits(scale):
    net = Network([2, 3], output="softmax", seed=0)
    net.set_parameters(weights=[[[scale, 0, -scale], [0, 0, 0]]], biases=[[0, 0, 0]])
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, 0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is exact enough
        grads = net.loss_and_gradients(X, y)
    assert np.isfinite(grads.loss) and np.all(np.isfinite(grads.flat))
    # With gaps of 1e4, log-sum-exp equals the largest logit to double precision, so the loss is
    # mean(max z - z_y): large and finite, not inf.
    z = X @ net.weights[0]
    assert grads.loss == pytest.approx(np.mean(z.max(axis=1) - z[np.arange(2), y]), rel=1e-12)


@pytest.mark.parametrize("output,loss", [("sigmoid", "cross_entropy"), ("sigmoid", "squared_error"),
                                         ("tanh", "squared_error"), ("linear", "squared_error")])
def test_binary_outputs_stay_finite_for_huge_logits(output, loss):
    net = Network([1, 1], output=output, loss=loss, seed=0)
    net.set_parameters(weights=[[[1e4]]], biases=[[0.0]])
    X = np.array([[1.0], [-1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is exact enough
        grads = net.loss_and_gradients(X, np.array([0, 1]))
    assert np.isfinite(grads.loss) and np.all(np.isfinite(grads.flat))
    if loss == "cross_entropy":
        assert grads.loss == pytest.approx(1e4, rel=1e-6)


def test_sigmoid_squared_error_saturates_where_cross_entropy_does_not():
    X, y = np.array([[1.0]]), np.array([0])
    grads = {}
    for loss in ("squared_error", "cross_entropy"):
        net = Network([1, 1], output="sigmoid", loss=loss)
        net.set_parameters(weights=[[[10.0]]], biases=[[0.0]])  # confidently wrong
        grads[loss] = abs(net.loss_and_gradients(X, y).weights[0][0, 0])
    assert grads["squared_error"] < 1e-3 < 0.99 < grads["cross_entropy"]
