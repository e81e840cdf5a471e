"""SessionConfig: every bound refused with the field's name, partial merges, live fields, the schema."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from app.config import LIVE_FIELDS, SessionConfig, describe_validation_error, json_schema, limits
from app.engine.activations import ACTIVATIONS
from app.engine.datasets import DATASETS
from app.engine.features import FEATURES
from app.engine.network import INITS
from app.engine.optimizers import OPTIMIZERS
from app.engine.outputs import DEFAULT_LOSS


def refused(partial: dict) -> tuple[str | None, str]:
    with pytest.raises(ValidationError) as info:
        SessionConfig().merged(partial)
    return describe_validation_error(info.value)


@pytest.mark.parametrize(("partial", "field", "bound"), [
    ({"hidden": [4] * 9}, "hidden", "at most 8"),
    ({"hidden": [65]}, "hidden.0", "64"),
    ({"hidden": [0]}, "hidden.0", "1"),
    ({"points": 5001}, "points", "5000"),
    ({"learning_rate": 0.0}, "learning_rate", "greater than 0"),
    ({"learning_rate": 10.5}, "learning_rate", "10"),
    ({"learning_rate": math.inf}, "learning_rate", "finite"),
    ({"learning_rate": math.nan}, "learning_rate", "finite"),
    ({"grid": 201}, "grid", "200"),
    ({"batch_size": 0}, "batch_size", "1"),
    ({"noise": 0.6}, "noise", "0.5"),
    ({"steps_per_frame": 1001}, "steps_per_frame", "1000"),
    ({"max_fps": 61}, "max_fps", "60"),
    ({"classes": 7}, "classes", "6"),
])
def test_out_of_bound_value_is_refused_naming_field_and_bound(partial, field, bound):
    got_field, message = refused(partial)
    assert got_field == field
    assert field in message and bound in message


def test_unknown_names_are_refused_with_the_field():
    assert refused({"activation": "relu6"})[0] == "activation"
    field, message = refused({"dataset": "mnist"})
    assert field == "dataset" and "unknown dataset 'mnist'" in message and "circle" in message
    assert refused({"features": ["x3"]})[0] == "features.0"
    assert refused({"optimizer": "rmsprop"})[0] == "optimizer"
    assert refused({"colour": "red"}) == ("colour", "colour: unknown field")


def test_cross_field_rules_name_the_field_at_fault():
    assert refused({"hidden": [3, 3], "activation": ["relu"]})[0] == "activation"
    field, message = refused({"output": "softmax", "loss": "squared_error"})
    assert field == "loss" and "softmax" in message
    assert refused({"features": ["x1", "x1"]})[0] == "features"
    assert refused({"dataset": "user"})[0] == "custom_points"


def test_names_the_schema_advertises_are_the_engine_registries():
    schema = json_schema()["properties"]
    # every name a config may carry (a link to the universality scene with dataset=step must parse) ...
    assert set(schema["dataset"]["enum"]) == set(DATASETS)
    # ... but the data column offers only the 2-D sets: 1-D function fitting needs the scene's curve view
    offered = {name for name, spec in DATASETS.items() if spec.dims == 2}
    assert set(limits()["datasets"]) == offered and "sine" not in offered
    info = limits()["dataset_info"]
    assert set(info) == offered
    assert info["blobs"]["class_range"] == [2, 6] and info["reg-plane"]["regression"] is True
    assert limits()["activations"] == list(ACTIVATIONS)
    assert set(limits()["features"]) == set(FEATURES)
    assert set(limits()["outputs"]) == set(DEFAULT_LOSS)
    assert set(limits()["inits"]) == set(INITS)
    assert set(limits()["optimizers"]) == set(OPTIMIZERS)


def test_schema_carries_every_bound():
    props = json_schema()["properties"]
    assert props["hidden"]["maxItems"] == 8
    assert props["hidden"]["items"]["maximum"] == 64
    assert props["points"]["anyOf"][0]["maximum"] == 5000
    assert props["learning_rate"]["exclusiveMinimum"] == 0 and props["learning_rate"]["maximum"] == 10
    assert props["grid"]["maximum"] == 200
    assert all(props[name].get("description") for name in props)


def test_merge_keeps_unmentioned_fields_and_reports_changes():
    base = SessionConfig()
    new = base.merged({"learning_rate": 0.1, "hidden": [8]})
    assert new.dataset == base.dataset and new.hidden == [8]
    assert base.changed_fields(new) == {"learning_rate", "hidden"}
    assert "learning_rate" in LIVE_FIELDS and "hidden" not in LIVE_FIELDS


def test_activation_list_gives_one_name_per_layer():
    assert SessionConfig(hidden=[2, 3], activation="relu").activations() == ["relu", "relu"]
    assert SessionConfig(hidden=[2, 3], activation=["relu", "tanh"]).activations() == ["relu", "tanh"]


# --- compare: network B's partial config -----------------------------------------------------------------
@pytest.mark.parametrize("key", ["dataset", "seed", "points", "noise", "train_ratio", "batch_size", "shuffle",
                                 "classes", "custom_points", "grid", "steps_per_frame", "compare"])
def test_compare_refuses_a_shared_key_naming_compare_dot_key(key):
    field, message = refused({"compare": {key: SessionConfig().model_dump()[key]}})
    assert field == f"compare.{key}"
    assert "shares A's data and batches" in message and "learning_rate" in message


def test_compare_refuses_an_unknown_key_as_not_a_setting():
    field, message = refused({"compare": {"depth": 3}})
    assert field == "compare.depth" and "not a setting" in message


@pytest.mark.parametrize(("compare", "field", "words"), [
    ({"hidden": [0]}, "compare.hidden.0", "greater than or equal to 1"),
    ({"learning_rate": 20}, "compare.learning_rate", "10"),
    ({"activation": "swish2"}, "compare.activation", "relu"),
    ({"output": "softmax", "loss": "squared_error"}, "compare.loss", "cannot follow"),
])
def test_compare_validates_b_merged_config_with_fields_named_under_compare(compare, field, words):
    got, message = refused({"compare": compare})
    assert got == field and words in message and message.startswith(f"{field}: ")


def test_compare_depth_that_no_longer_fits_as_per_layer_activations_names_compare_activation():
    field, message = refused({"activation": ["tanh", "relu"], "compare": {"hidden": [3, 3, 3]}})
    assert field == "compare.activation" and "3 hidden layers" in message


def test_compare_config_is_a_on_top_of_which_compare_is_applied():
    cfg = SessionConfig().merged({"learning_rate": 0.1, "compare": {"activation": "relu", "hidden": [8]}})
    b = cfg.compare_config()
    assert b is not None and b.compare is None
    assert (b.activation, b.hidden, b.learning_rate, b.dataset) == ("relu", [8], 0.1, cfg.dataset)
    assert SessionConfig().compare_config() is None
    same = SessionConfig().merged({"compare": {}}).compare_config()
    assert same is not None and same.model_dump() == SessionConfig().model_dump()


def test_compare_output_without_loss_takes_the_outputs_own_loss():
    cfg = SessionConfig().merged({"loss": "cross_entropy", "dataset": "gauss", "compare": {"output": "tanh"}})
    b = cfg.compare_config()
    assert b is not None and b.output == "tanh" and b.loss is None  # tanh + its squared error


def test_compare_is_not_live_and_is_in_the_schema():
    assert "compare" not in LIVE_FIELDS
    assert "compare" in json_schema()["properties"]
    changed = SessionConfig().changed_fields(SessionConfig().merged({"compare": {"hidden": [3]}}))
    assert changed == {"compare"}
