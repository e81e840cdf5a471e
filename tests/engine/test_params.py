"""The flat parameter vector: per-layer blocks tiling it, the penalty mask, the init schemes."""

import numpy as np
import pytest

from app.engine import Network
from app.engine.optimizers import make_optimizer
from app.engine.training import Trainer


def test_playground_init_draws_uniform_half_and_bias_point_one():
    net = Network([2, 50, 50, 1], activation="tanh", init="playground", seed=0)
    w = np.concatenate([w.ravel() for w in net.weights])
    assert w.min() >= -0.5 and w.max() <= 0.5 and w.std() == pytest.approx(1 / np.sqrt(12), rel=0.05)
    assert all(np.all(b == 0.1) for b in net.biases)


def test_he_init_has_variance_two_over_fan_in():
    net = Network([400, 400, 1], activation="relu", init="he", seed=0)
    assert net.weights[0].var() == pytest.approx(2 / 400, rel=0.02)


def test_relu_bias_option_starts_rectifier_biases_positive():
    net = Network([2, 4, 4, 1], activation=["relu", "tanh"], activation_options={"relu_bias": 0.1})
    assert np.all(net.biases[0] == 0.1) and np.all(net.biases[1] == 0) and np.all(net.biases[2] == 0)


def test_zero_init_keeps_hidden_units_identical_symmetry_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = Network([2, 4, 1], activation="tanh", init="zeros")
    net.biases[0][:] = 0.1  # break nothing but the zero: units still see identical weights
    Trainer(net, make_optimizer("sgd", 0.1), X, y, batch_size=8, rng=rng).step(50)
    W = net.weights[0]
    assert np.allclose(W, W[:, :1])  # every hidden unit learned the same thing


def test_same_seed_gives_the_same_initial_weights():
    a = Network([2, 8, 8, 1], activation="relu", init="he", seed=42)
    b = Network([2, 8, 8, 1], activation="relu", init="he", seed=42)
    c = Network([2, 8, 8, 1], activation="relu", init="he", seed=43)
    assert np.array_equal(a.flat, b.flat) and not np.array_equal(a.flat, c.flat)


@pytest.mark.parametrize("activation", ["tanh", "prelu", "maxout", "rbf"])
def test_layer_blocks_tile_the_flat_vector_and_view_each_layers_parameters(activation):
    net = Network([2, 4, 3, 2], activation=activation, output="softmax", seed=1)
    blocks = net.layer_blocks()
    assert [b.kind for b in blocks] == net.kinds
    # in order, no gap, no overlap: W, then b, then the unit parameters, layer after layer
    pos = 0
    for l, block in enumerate(blocks):
        assert block.weights.start == pos and block.weights.stop == block.biases.start
        assert block.span == slice(block.weights.start, block.biases.stop)
        pos = block.biases.stop
        for s in block.params.values():
            assert s.start == pos and s.stop - s.start == net.sizes[l + 1]
            pos = s.stop
        assert block.end == pos
        np.testing.assert_array_equal(block.W(net.flat), net.weights[l])
        np.testing.assert_array_equal(block.b(net.flat), net.biases[l])
        assert block.W(net.flat).shape == block.shape == net.weights[l].shape
        for name, view in block.unit_params(net.flat).items():
            np.testing.assert_array_equal(view, net.unit_params[l][name])
        # [W; b]: the weights then the bias as the last row, a view (writes reach the network)
        wb = block.wb(net.flat)
        assert wb.shape == (block.shape[0] + 1, block.shape[1])
        np.testing.assert_array_equal(wb[-1], net.biases[l])
        wb[0, 0] = 7.5
        assert net.weights[l][0, 0] == 7.5
    assert pos == net.flat.size
    # the same blocks locate a gradient's entries
    X = np.random.default_rng(0).normal(size=(5, 2))
    grads = net.loss_and_gradients(X, np.array([0, 1, 1, 0, 1]))
    for l, block in enumerate(blocks):
        np.testing.assert_array_equal(block.W(grads.flat), grads.weights[l])
        np.testing.assert_array_equal(block.b(grads.flat), grads.biases[l])


def test_the_penalty_mask_covers_weights_but_not_biases_unit_parameters_or_rbf_templates():
    net = Network([2, 3, 3, 1], activation=["prelu", "rbf"], seed=0)
    expected = np.zeros_like(net.flat)
    blocks = net.layer_blocks()
    expected[blocks[0].weights] = 1.0  # prelu layer: weights only (not bias, not slope)
    expected[blocks[2].weights] = 1.0  # output layer; blocks[1] is the rbf layer: templates are free
    np.testing.assert_array_equal(net.reg_mask, expected)
