"""Backprop against central finite differences, in float64, for every hidden unit x every output/loss
pair, with 0, 1 and 3 hidden layers. Unit parameters (PReLU slopes, maxout pieces, RBF templates and
widths) are checked like any other parameter."""

import zlib

import numpy as np
import pytest

from app.engine import ACTIVATIONS, PAIRS, Network

HIDDEN_SHAPES = {0: [], 1: [4], 3: [3, 4, 3]}


def _data(net: Network, rng: np.random.Generator, n: int = 7):
    X = rng.normal(0.0, 1.0, size=(n, net.sizes[0]))
    k = net.sizes[-1]
    if net.output == "softmax":
        y = rng.integers(0, k, size=n)
    elif net.output in ("sigmoid", "tanh"):
        y = rng.integers(0, 2, size=n)
    else:
        y = rng.normal(size=n)
    return X, net.encode_targets(y)


def _numeric_gradient(net: Network, X, T, l1=0.0, l2=0.0, eps=1e-6):
    grad = np.zeros_like(net.flat)
    for i in range(net.flat.size):
        keep = net.flat[i]
        net.flat[i] = keep + eps
        up = net.loss(X, T, l1=l1, l2=l2)
        net.flat[i] = keep - eps
        down = net.loss(X, T, l1=l1, l2=l2)
        net.flat[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


CASES = [(a, p, d) for d in sorted(HIDDEN_SHAPES) for p in sorted(PAIRS) for a in sorted(ACTIVATIONS)
         if d > 0 or a == "linear"]  # with no hidden layer the activation plays no part


@pytest.mark.parametrize(("activation", "pair", "depth"), CASES)
def test_backprop_matches_central_differences(activation, pair, depth):
    output, loss = pair
    k = 3 if output == "softmax" else 1
    # A fixed seed per case (crc32, not hash(), which changes between processes). Random inputs land
    # on a kink of a piecewise-linear unit with probability zero.
    rng = np.random.default_rng(zlib.crc32(f"{activation}/{output}/{loss}/{depth}".encode()))
    net = Network([2, *HIDDEN_SHAPES[depth], k], activation=activation, output=output, loss=loss,
                  init="glorot", rng=rng)
    # Randomise unit parameters too, so their gradients are exercised away from their start values.
    for p in net.unit_params:
        if "slope" in p:
            p["slope"][:] = rng.uniform(0.05, 0.5, size=p["slope"].shape)
        if "sigma" in p:
            p["sigma"][:] = rng.uniform(1.0, 2.0, size=p["sigma"].shape)
    net.flat[:] += rng.normal(0, 0.1, size=net.flat.shape) * (net.flat == 0)
    X, T = _data(net, rng)
    # rrelu is evaluated with its mean slope for the check (train=False); the training path is tested
    # separately.
    grads = net.loss_and_gradients(X, T, l1=0.01, l2=0.02, train=False)
    numeric = _numeric_gradient(net, X, T, l1=0.01, l2=0.02)
    scale = max(1.0, float(np.max(np.abs(numeric))))
    err = np.max(np.abs(grads.flat - numeric)) / scale
    assert err < 1e-6, f"{activation} / {output}+{loss} / {depth} hidden: max error {err:.2e}"
    assert np.isclose(grads.total - grads.loss, net.regularization(0.01, 0.02))


def test_rrelu_training_gradient_uses_the_sampled_slopes():
    rng = np.random.default_rng(3)
    net = Network([2, 5, 1], activation="rrelu", output="sigmoid", rng=rng)
    X, T = _data(net, rng, n=9)
    draw = np.random.default_rng(11)
    grads = net.loss_and_gradients(X, T, train=True, rng=draw)
    slopes = grads.forward.slopes[0]
    assert slopes.shape == (9, 5)
    assert np.all((slopes >= 1 / 8) & (slopes <= 1 / 3))
    # Independent reference: a leaky network per example with that example's slopes, by hand.
    W0, b0, W1, b1 = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    expected_gW0 = np.zeros_like(W0)
    for i in range(9):
        z = X[i] @ W0 + b0
        s = slopes[i]
        h = np.where(z > 0, z, s * z)
        out = 1 / (1 + np.exp(-(h @ W1 + b1)))
        dout = (out - T[i]) / 9
        dh = (W1 @ dout)
        dz = dh * np.where(z > 0, 1.0, s)
        expected_gW0 += np.outer(X[i], dz)
    np.testing.assert_allclose(grads.weights[0], expected_gW0, rtol=1e-10, atol=1e-12)


def test_rrelu_uses_the_mean_slope_at_evaluation():
    net = Network([1, 1, 1], activation="rrelu", output="linear")
    net.set_parameters(weights=[[[1.0]], [[1.0]]], biases=[[0.0], [0.0]])
    assert net.predict(np.array([[-2.0]]))[0, 0] == pytest.approx(-2.0 * (1 / 8 + 1 / 3) / 2)


def test_deltas_are_dloss_dz_per_layer():
    rng = np.random.default_rng(5)
    net = Network([2, 3, 2, 1], activation="tanh", output="sigmoid", rng=rng)
    X, T = _data(net, rng, n=4)
    grads = net.loss_and_gradients(X, T, train=False)
    assert [d.shape for d in grads.deltas] == [(4, 3), (4, 2), (4, 1)]
    # dL/dz of the first hidden layer by finite differences on z itself.
    fwd = net.forward(X)
    eps = 1e-6
    for i, j in [(0, 0), (2, 1), (3, 2)]:
        def loss_with_shift(delta, i=i, j=j):
            z = fwd.z[0].copy()
            z[i, j] += delta
            h = np.tanh(z)
            h = np.tanh(h @ net.weights[1] + net.biases[1])
            out = h @ net.weights[2] + net.biases[2]
            return float(np.mean(np.logaddexp(0, -(2 * T - 1) * out)))
        numeric = (loss_with_shift(eps) - loss_with_shift(-eps)) / (2 * eps)
        assert grads.deltas[0][i, j] == pytest.approx(numeric, rel=1e-6, abs=1e-10)
