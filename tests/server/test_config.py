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


@pytest.mark.parametrize(("box", "mentions"), [
    ([1.0, 1.0], "lo < hi"), ([2.0, -2.0], "lo < hi"), ([0.0, 2e7], "less than or equal to 10000000"),
    ([float("nan"), 1.0], "finite"), ([0.0], "at least 2 items"), ([0, 1, 2], "at most 2 items"),
    ("wide", "valid"),
])
def test_a_bad_custom_box_is_refused_naming_custom_box(box, mentions):
    field, message = refused({"custom_box": box})
    assert field is not None and field.startswith("custom_box") and mentions in message


def test_custom_regression_and_box_default_off_and_rebuild_when_changed():
    config = SessionConfig()
    assert config.custom_regression is False and config.custom_box is None
    assert {"custom_regression", "custom_box"}.isdisjoint(LIVE_FIELDS)
    box = SessionConfig().merged({"custom_box": [-10, 30]}).custom_box
    assert box == [-10.0, 30.0]
    schema = json_schema()["properties"]["custom_box"]["anyOf"][0]  # a link's "custom_box=-10,30" parses
    assert schema["type"] == "array" and schema["items"]["type"] == "number"
    assert (schema["minItems"], schema["maxItems"]) == (2, 2)
