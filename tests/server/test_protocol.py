"""protocol: client message parsing, the error shape, the server messages and the docs (the frame layout is
in test_binary.py, JSON text in test_jsontext.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app import protocol as p
from app import scenes
from app.config import SessionConfig
from app.session import Session

from .helpers import assert_error

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def parse(**message):
    return p.parse_client_message(json.dumps(message))


def parse_error(text: str) -> dict:
    with pytest.raises(p.ProtocolError) as info:
        p.parse_client_message(text)
    return info.value.to_message()


def test_every_client_message_parses_to_its_model():
    samples = {
        "hello": {"token": "abc", "config": {"hidden": [3]}, "scene": "playground"},
        "configure": {"config": {"learning_rate": 0.1}},
        "play": {}, "pause": {}, "reset": {}, "regenerate": {}, "rewind": {"step": 120},
        "step": {"n": 5},
        "set_param": {"kind": "weight", "layer": 0, "index": [1, 0], "value": 0.5},
        "restore": {"step": 12, "layer": 0, "weights": [[0.5, -1.0]], "biases": [0.0, 0.25]},
        "load_scene": {"name": "xor-by-hand"},
        "view": {"unit": [0, 1], "regions": True},
        "inspect": {"x": [0.5, -1.0], "y": 1},
        "export": {"format": "csv"},
        "lecture": {"what": "backprop", "x": [0.5, 1.0], "y": 0},
        "present": {}, "fork": {},
    }
    assert set(samples) == set(p.CLIENT_TYPES)
    for kind, fields in samples.items():
        msg = parse(type=kind, **fields)
        assert msg.type == kind
    assert parse(type="step").n == 1
    assert parse(type="set_param", kind="bias", layer=1, index=0, value=2).index == 0
    assert parse(type="view", unit=None).model_fields_set == {"type", "unit"}


def test_malformed_json_is_a_bad_json_error():
    assert_error(parse_error("{not json"), p.E_BAD_JSON)


def test_message_that_is_not_an_object_names_type():
    assert_error(parse_error("[1, 2]"), p.E_BAD_MESSAGE, "type")


def test_unknown_type_lists_the_known_ones():
    assert_error(parse_error('{"type": "fly"}'), p.E_UNKNOWN_TYPE, "type", mentions="configure")


@pytest.mark.parametrize(("message", "field"), [
    ({"type": "step", "n": 0}, "n"),
    ({"type": "step", "n": 1001}, "n"),
    ({"type": "set_param", "kind": "weight", "layer": 0, "index": [0, 0], "value": float("inf")}, "value"),
    ({"type": "set_param", "kind": "gain", "layer": 0, "index": 0, "value": 1}, "kind"),
    ({"type": "restore", "step": 1, "layer": 0, "weights": [[1e9]], "biases": [0]}, "weights.0.0"),
    ({"type": "restore", "step": -1, "layer": 0, "weights": [[1]], "biases": [0]}, "step"),
    ({"type": "set_param", "kind": "bias", "layer": -1, "index": 0, "value": 1}, "layer"),
    ({"type": "inspect", "x": [1.0]}, "x.1"),
    ({"type": "export", "format": "xml"}, "format"),
    ({"type": "configure"}, "config"),
    ({"type": "play", "speed": 3}, "speed"),
    ({"type": "hello", "params": "msgpack"}, "params"),
    ({"type": "hello", "params": True}, "params"),
    ({"type": "hello", "same": "yes"}, "same"),
    ({"type": "hello", "same": 1}, "same"),
])
def test_bad_field_is_a_bad_message_error_naming_it(message, field):
    err = parse_error(json.dumps(message).replace("Infinity", "1e999"))
    assert_error(err, p.E_BAD_MESSAGE, field)
    assert err["message"].startswith(message["type"] + ": ")


def test_server_messages_have_their_documented_keys():
    assert p.state("paused", 3) == {"type": "state", "state": "paused", "step": 3, "message": None}
    assert p.error("x", "y") == {"type": "error", "code": "x", "message": "y", "field": None}
    assert set(p.welcome("s", "t", {}, {}, None, False)) == {"type", "session", "token", "protocol", "limits",
                                                            "config", "scene", "resumed"}


def test_every_message_type_is_documented():
    doc = DOC.read_text()
    for kind in (*p.CLIENT_TYPES, *p.SERVER_TYPES):
        assert re.search(rf"`{re.escape(kind)}`", doc), f"message type {kind!r} missing from docs/protocol.md"
    for code in p.ERROR_CODES:
        assert f"`{code}`" in doc, f"error code {code!r} missing from docs/protocol.md"
    for name in ("CLOSE_GOING_AWAY", "CLOSE_UNSUPPORTED_DATA", "CLOSE_POLICY", "CLOSE_TOO_BIG",
                 "CLOSE_TRY_AGAIN_LATER", "CLOSE_REPLACED", "CLOSE_HELLO_EXPECTED", "CLOSE_IDLE"):
        assert f"`{getattr(p, name)}`" in doc, f"close code {name} missing from docs/protocol.md"


def test_inspection_carries_the_input_features_after_the_other_fields():
    message = p.inspection(x=[0.5, -1.0], input=[0.5, -1.0, 0.25],
                           layers=[{"z": [1.5], "a": [1.5], "delta": None}], output=[0.75], loss=None)
    assert p.dumps(message) == ('{"type":"inspection","x":[0.5,-1.0],"layers":[{"z":[1.5],"a":[1.5],'
                                '"delta":null}],"output":[0.75],"loss":null,"input":[0.5,-1.0,0.25]}')


def test_a_sessions_inspection_goes_into_the_builder_as_it_is_with_its_feature_values():
    s = Session(SessionConfig(features=["x1", "x2", "x1sq"], hidden=[3]))
    message = p.inspection(**s.inspect((0.5, -1.0), 1.0))
    assert message["x"] == [0.5, -1.0] and message["input"] == [0.5, -1.0, 0.25]  # x1, x2, x1 squared
    assert [len(layer["z"]) for layer in message["layers"]] == [3, 1] and message["loss"] is not None


def test_a_lecture_request_names_the_scenes_panels():
    assert parse(type="lecture", what="depth").what == "depth"
    err = parse_error(json.dumps({"type": "lecture", "what": "nope"}))
    assert_error(err, p.E_BAD_MESSAGE, "what")
    assert all(f"'{panel}'" in err["message"] for panel in scenes.PANELS)
