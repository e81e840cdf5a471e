"""sessiondata.py: a session's data; its targets exist once the network is built, in the output's convention.

The expected targets are written by hand from the labels (one-hot, a 0/1 column, a -1/+1 column, the
values as a float column), not through the engine's encoder.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.config import SessionConfig
from app.session import Session
from app.sessiondata import Data


def test_targets_are_refused_before_the_network_is_built():
    data = Data(train_raw=np.zeros((3, 2)), train_y=np.array([0, 1, 1]), test_raw=np.zeros((0, 2)),
                test_y=np.zeros(0, dtype=int), train_x=np.zeros((3, 2)), test_x=np.zeros((0, 2)),
                box=(-6.0, 6.0), regression=False, classes=2, name="circle")
    with pytest.raises(ValueError, match="the training targets are set once the network is built"):
        _ = data.targets


def _by_hand(output: str, y: np.ndarray, classes: int) -> np.ndarray:
    if output == "softmax":
        return np.array([[1.0 if c == label else 0.0 for c in range(classes)] for label in y])
    if output == "tanh":
        return np.array([[1.0 if label == 1 else -1.0] for label in y])
    return np.array([[float(v)] for v in y])


@pytest.mark.parametrize(("config", "output"), [
    ({"dataset": "circle"}, "sigmoid"),
    ({"dataset": "circle", "output": "tanh"}, "tanh"),
    ({"dataset": "blobs", "classes": 3, "output": "softmax"}, "softmax"),
    ({"dataset": "reg-plane", "output": "linear"}, "linear"),
])
def test_a_built_sessions_targets_are_its_training_labels_encoded_for_the_output(config, output):
    session = Session(SessionConfig(**config))
    data = session.data
    classes = config.get("classes", 2)
    assert data.targets is data.train_t
    np.testing.assert_array_equal(data.targets, _by_hand(output, data.train_y, classes))
    assert data.test_t is not None
    np.testing.assert_array_equal(data.test_t, _by_hand(output, data.test_y, classes))
    assert data.train_x.shape == (len(data.train_y), 2)  # x1, x2: the raw coordinates
    np.testing.assert_array_equal(data.train_x, data.train_raw)


def test_a_session_without_a_test_set_has_no_test_targets():
    session = Session(scene="xor-by-hand")
    assert session.data.test_t is None and len(session.data.test_y) == 0
    np.testing.assert_array_equal(session.data.targets.ravel(), session.data.train_y)
