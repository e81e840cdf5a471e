"""lecture.py's own pieces: finite differences, the backprop panel's default point and its snapshot of
the network, dead units, the depth panel's companion. The panels scene by scene are in tests/scenes.

References: the backward pass for the finite differences, scalar loops over the points for the default
point and dead units, a fresh copy of the session for the panel made while training goes on.
"""

from __future__ import annotations

import numpy as np
import pytest

from app import lecture
from app.config import SessionConfig
from app.engine import Network
from app.engine.errors import FieldError
from app.session import Session


def test_finite_differences_equal_the_backward_passes_gradient_and_leave_the_weights_as_they_were():
    rng = np.random.default_rng(0)
    net = Network([2, 3, 2, 1], activation="tanh", output="sigmoid", init="glorot", seed=3)
    X = rng.normal(size=(7, 2))
    T = net.encode_targets((X[:, 0] > X[:, 1]).astype(int))
    before = net.flat.copy()
    fd = lecture.finite_differences(net, X, T)
    np.testing.assert_array_equal(net.flat, before)
    np.testing.assert_allclose(fd, net.loss_and_gradients(X, T).flat, rtol=1e-6, atol=1e-9)
    some = [0, 4, net.flat.size - 1]
    np.testing.assert_array_equal(lecture.finite_differences(net, X, T, some), fd[some])


def test_the_backprop_panel_opens_on_the_worst_fit_point_with_no_zero_coordinate():
    session = Session(SessionConfig(dataset="circle", hidden=[3], seed=4))
    d, net = session.data, session.network
    best, worst = None, -1.0
    for i, (x1, x2) in enumerate(d.train_raw):
        if x1 == 0.0 or x2 == 0.0:
            continue
        out = net.predict(d.train_x[i:i + 1])[0]
        miss = sum(abs(o - t) for o, t in zip(out, d.targets[i], strict=True))
        if miss > worst:  # ties go to the first
            best, worst = i, miss
    assert lecture.default_point(session) == best


def test_the_backprop_panel_holds_its_first_pieces_network_while_the_session_trains():
    made_at_once = lecture.compute(Session(scene="backprop"), "backprop", x=[0.3, 0.8], y=1.0)
    session = Session(scene="backprop")
    steps = lecture.compute_steps(session, "backprop", x=[0.3, 0.8], y=1.0)
    next(steps)
    session.train(25)  # the hub may run training slices between the panel's pieces
    with pytest.raises(StopIteration) as done:
        while True:
            next(steps)
    assert done.value.value == made_at_once


def test_dead_units_are_the_hidden_units_that_output_zero_on_every_point():
    net = Network([2, 3, 2, 1], activation="relu", output="linear")
    net.set_parameters(weights=[[[1, -1, 1], [1, -1, -1]], [[1, -1], [1, 1], [1, 0]], [[1], [1]]],
                       biases=[[0, -0.5, 0], [0, 0], [0]])
    X = np.array([[0.5, 1.0], [2.0, 0.1], [1.0, 1.0]])
    a1 = np.maximum(X @ np.array([[1, -1, 1], [1, -1, -1]]) + [0, -0.5, 0], 0)
    a2 = np.maximum(a1 @ np.array([[1, -1], [1, 1], [1, 0]]), 0)
    want = [[0, j] for j in range(3) if all(row[j] == 0 for row in a1)]
    want += [[1, j] for j in range(2) if all(row[j] == 0 for row in a2)]
    assert want == [[0, 1], [1, 1]]  # the hand-set weights kill one unit in each layer
    assert lecture.dead_units(net, X) == want


@pytest.mark.parametrize(("hidden", "companion"), [
    ([4, 4, 4], [12]), ([2, 3], [5]), ([12], [4, 4, 4]), ([10], [4, 4, 2]), ([7], [3, 4]),
])
def test_the_depth_panels_companion_has_as_many_hidden_units_on_the_other_side(hidden, companion):
    assert lecture.companion_hidden(hidden) == companion
    assert sum(companion) == sum(hidden)


def test_the_depth_panel_of_a_one_unit_net_is_refused_naming_what():
    with pytest.raises(FieldError) as err:
        lecture.compute(Session(SessionConfig(hidden=[1], activation="relu")), "depth")
    assert err.value.field == "what" and "cannot be split" in str(err.value)
