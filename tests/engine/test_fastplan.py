"""fastplan.py: a step plan's views against the network's own parameters and net.layer_blocks().

Every view is checked twice: equal to the array the network (or the block of the gradient) gives, and
sharing its memory, so a write through one is seen through the other.
"""

from __future__ import annotations

import numpy as np

from app.engine import Network
from app.engine.fastplan import BatchBuffers, StepPlan


def test_the_weight_views_are_w_and_b_of_each_layer_and_share_the_networks_memory():
    net = Network([3, 4, 5, 2], activation="tanh", output="softmax", seed=0)
    plan = StepPlan(net)
    for l in range(net.depth):
        np.testing.assert_array_equal(plan.WbT[l], np.vstack([net.weights[l], net.biases[l]]).T)
        np.testing.assert_array_equal(plan.Wn[l], net.weights[l])
    net.flat[:] = np.arange(net.flat.size)  # a training step writes into flat: the plan sees it
    for l in range(net.depth):
        np.testing.assert_array_equal(plan.WbT[l], np.vstack([net.weights[l], net.biases[l]]).T)
        assert np.shares_memory(plan.Wn[l], net.flat)


def test_the_gradient_views_sit_where_net_layer_blocks_puts_each_layer():
    net = Network([2, 3, 3, 1], activation=["prelu", "tanh"], output="sigmoid", seed=0)
    plan = StepPlan(net)
    plan.grad[:] = np.arange(plan.grad.size)
    for l, block in enumerate(net.layer_blocks()):
        np.testing.assert_array_equal(plan.G[l][:-1], block.W(plan.grad))
        np.testing.assert_array_equal(plan.G[l][-1], block.b(plan.grad))
    np.testing.assert_array_equal(plan.prelu[0], net.layer_blocks()[0].params["slope"])


def test_equal_hidden_to_hidden_layers_share_one_gradient_stack_and_a_prelu_layer_breaks_the_run():
    plain = StepPlan(Network([2, 4, 4, 4, 4, 1], activation="tanh", seed=0))
    assert plain.grad_runs == [(1, 3)]
    stack = plain.Gstack[(1, 3)]
    assert stack.shape == (3, 5, 4)
    plain.grad[:] = np.arange(plain.grad.size)
    for i in range(3):
        np.testing.assert_array_equal(stack[i], plain.G[1 + i])
    broken = StepPlan(Network([2, 4, 4, 4, 4, 1], activation=["tanh", "tanh", "prelu", "tanh"], seed=0))
    assert broken.grad_runs == [(1, 1), (2, 2), (3, 3)] and not broken.Gstack


def test_layers_sharing_an_in_place_unit_form_one_derivative_run_and_others_are_generic():
    plan = StepPlan(Network([2, 3, 3, 3, 3, 1], activation=["tanh", "tanh", "elu", "relu"], seed=0))
    assert plan.deriv_runs == [("tanh", 0, 1), (None, 2, 2), ("relu", 3, 3)]
    assert plan.generic == [2]
    tanh_out = StepPlan(Network([2, 3, 1], activation="tanh", output="tanh", loss="squared_error", seed=0))
    assert tanh_out.deriv_runs == [("tanh", 0, 1)]  # the output's 1 - y^2 joins the hidden run


def test_batch_buffers_are_feature_major_with_a_ones_row_under_each_hidden_layer():
    net = Network([2, 3, 4, 2], activation="relu", output="softmax", seed=0)
    buffers = BatchBuffers(StepPlan(net), B=6)
    assert [h.shape for h in buffers.H] == [(4, 6), (5, 6)]
    assert all(np.all(h[-1] == 1.0) for h in buffers.H)
    assert [z.shape for z in buffers.Z] == [(3, 6), (4, 6), (2, 6)]
    assert [dz.shape for dz in buffers.DZ] == [(3, 6), (4, 6), (2, 6)]
    assert all(np.shares_memory(h, buffers.hbuf) for h in buffers.H)
    assert all(np.shares_memory(dz, buffers.dzbuf) for dz in buffers.DZ)
