"""A prediction tied with the decision threshold is undecided: not correct, not wrong. The xor-linear scene's
optimum predicts 0.5 on every point, and float rounding used to split those ties into a 25% accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from app import protocol as p
from app.config import SessionConfig
from app.engine import outputs
from app.session import Session


def test_xor_linear_at_its_optimum_has_four_undecided_points_and_no_correct_one():
    s = Session(scene="xor-linear")
    s.train(3000)
    assert np.allclose(s.network.predict(s.data.train_x), 0.5, atol=1e-12)  # the optimum: 1/2 everywhere
    h = p.frame_header(s.snapshot())
    assert h["train_undecided"] == 4
    assert h["train_accuracy"] == 0.0  # was 0.25: one of the four 0.5 +- 1e-17 fell on the "right" side
    assert h["test_undecided"] is None and h["test_accuracy"] is None  # no test set in this scene
    assert s.network.accuracy(s.data.train_x, s.data.train_y) == h["train_accuracy"]


def test_on_the_way_there_the_points_are_decided():
    s = Session(scene="xor-linear")
    s.train(200)  # outputs 0.491 .. 0.506: small margins, but real decisions
    h = p.frame_header(s.snapshot())
    assert h["train_undecided"] == 0 and h["train_accuracy"] == 0.25


@pytest.mark.parametrize(("output", "y", "expected"), [
    ("sigmoid", [[0.5], [0.5 + 1e-12], [0.5 - 1e-10], [0.5 + 1e-6], [0.2]], [-1, -1, -1, 1, 0]),
    ("linear", [[0.5 - 1e-16], [0.7]], [-1, 1]),
    ("tanh", [[0.0], [-1e-12], [1e-3], [-0.4]], [-1, -1, 1, 0]),
    ("softmax", [[1 / 3, 1 / 3, 1 / 3], [0.4, 0.4, 0.2], [0.2, 0.5, 0.3], [0.5, 0.5 - 1e-6, 1e-6]],
     [-1, -1, 1, 0]),
])
def test_predicted_class_marks_ties_within_the_tolerance_as_undecided(output, y, expected):
    assert outputs.predicted_class(output, np.asarray(y)).tolist() == expected


def test_frames_of_a_regression_carry_no_undecided_count():
    h = p.frame_header(Session(SessionConfig(dataset="reg-gauss", output="linear")).snapshot())
    assert h["train_undecided"] is None and h["test_undecided"] is None


def test_a_set_with_a_test_split_counts_its_undecided_points_too():
    s = Session(SessionConfig(dataset="gauss", output="sigmoid", hidden=[], init="zeros"))
    h = p.frame_header(s.snapshot())  # zero weights: every output is sigmoid(0) = 1/2 exactly
    assert h["train_undecided"] == len(s.data.train_y) and h["test_undecided"] == len(s.data.test_y)
    assert h["train_accuracy"] == 0.0 and h["test_accuracy"] == 0.0
