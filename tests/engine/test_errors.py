"""app/engine/errors.py: the engine's FieldError names the argument that was wrong, in the engine's words."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import Network, feature_map, make_dataset, make_optimizer, split
from app.engine.datasets import MAX_NOISE
from app.engine.errors import FieldError, FieldIndexError
from app.engine.outputs import check_pair
from app.engine.training import Trainer


def test_a_field_index_error_is_still_an_index_error_and_a_value_error():
    exc = FieldIndexError("layer", "layer must be an integer in 0..1, got 5")
    assert isinstance(exc, IndexError) and isinstance(exc, ValueError) and isinstance(exc, FieldError)
    assert exc.field == "layer" and str(exc) == "layer must be an integer in 0..1, got 5"


def _net() -> Network:
    return Network([2, 3, 1], activation="relu", seed=0)


def _trainer(batch_size: int) -> Trainer:
    return Trainer(_net(), make_optimizer("sgd", 0.1), np.zeros((4, 2)), np.array([0, 1, 0, 1]),
                   batch_size=batch_size)


CASES = [
    # (the function called, its arguments, the parameter the error must name)
    (Network, lambda: Network([2]), "sizes"),
    (Network, lambda: Network([2, 3, 1], init="lecun"), "init"),
    (Network, lambda: Network([2, 3, 3, 1], activation=["relu"]), "activation"),
    (Network.set_param, lambda: _net().set_param("weight", 0, (5, 0), 1.0), "index"),
    (Network.set_param, lambda: _net().set_param("weight", 4, (0, 0), 1.0), "layer"),
    (Network.set_param, lambda: _net().set_param("slope", 0, 0, 1.0), "kind"),
    (Network.set_param, lambda: _net().set_param("bias", 0, 0, float("nan")), "value"),
    (Network.set_parameters, lambda: _net().set_parameters(weights=[[[1.0]], [[1.0]]]), "weights"),
    (Network.set_parameters, lambda: _net().set_parameters(biases=[[0.0]]), "biases"),
    (make_dataset, lambda: make_dataset("circle", np.random.default_rng(0), noise=MAX_NOISE * 2), "noise"),
    (make_dataset, lambda: make_dataset("blobs", np.random.default_rng(0), n=4, classes=6), "n"),
    (make_dataset, lambda: make_dataset("user", np.random.default_rng(0), points=[(0, 0, 9), (1, 1, 0)]),
     "points"),
    (split, lambda: split(make_dataset("xor", np.random.default_rng(0)), 1.5, np.random.default_rng(0)),
     "train_ratio"),
    (feature_map, lambda: feature_map(np.zeros((3, 2)), ["x3"]), "features"),
    (make_optimizer, lambda: make_optimizer("adam", 0.1, beta1=1.5), "beta1"),
    (check_pair, lambda: check_pair("softmax", "squared_error"), "loss"),
    (check_pair, lambda: check_pair("relu", None), "output"),
    (Trainer, lambda: _trainer(batch_size=99), "batch_size"),
]


@pytest.mark.parametrize(("fn", "call", "field"), CASES, ids=[f"{c[0].__qualname__}-{c[2]}" for c in CASES])
def test_the_engines_validation_names_the_argument_that_was_wrong(fn, call, field):
    with pytest.raises(FieldError) as info:
        call()
    assert info.value.field == field, str(info.value)
