"""protocol.py: client message parsing, the error shape, the binary frame layout and the docs."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from app import protocol as p

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


def test_dumps_turns_non_finite_numbers_into_null():
    text = p.dumps({"type": "x", "a": [1.0, float("nan")], "b": {"c": float("-inf")}})
    assert json.loads(text) == {"type": "x", "a": [1.0, None], "b": {"c": None}}


def test_quantize_rounds_to_nearest_level_and_clips():
    values = np.array([-2.0, -1.0, 0.1, 0.5, 1.0, 3.0, np.nan])
    q = p.quantize(values, -1.0, 1.0)
    # independent reference: nearest of the 256 evenly spaced levels
    levels = np.linspace(-1.0, 1.0, 256)
    expected = [int(np.argmin(np.abs(levels - np.clip(v, -1, 1)))) for v in values[:-1]]
    assert q.dtype == np.uint8 and q[:-1].tolist() == expected and q[-1] == 0
    assert np.max(np.abs(p.dequantize(q[1:5], -1, 1) - values[1:5])) <= 2.0 / 510 + 1e-12


def test_frame_layout_is_length_prefixed_padded_and_aligned():
    out = np.arange(12, dtype=np.uint8).reshape(3, 4)
    regions = np.array([[1, 2], [3, 65535]], dtype=np.uint16)
    odd = np.arange(5, dtype=np.uint8)
    frame = p.encode_frame({"step": 7, "w": [0.5]},
                           [p.FrameArray("output", out, (0.0, 1.0)), p.FrameArray("odd", odd),
                            p.FrameArray("region_map", regions)])
    (n,) = struct.unpack_from("<I", frame, 0)
    assert (4 + n) % 8 == 0
    header = json.loads(frame[4:4 + n].decode())
    assert header["type"] == "frame" and header["step"] == 7
    entries = {e["name"]: e for e in header["arrays"]}
    for e in header["arrays"]:
        assert e["offset"] % 8 == 0 and e["offset"] >= 4 + n
    assert entries["output"] == {"name": "output", "dtype": "uint8", "shape": [3, 4], "offset": 4 + n,
                                 "range": [0.0, 1.0]}
    start = entries["region_map"]["offset"]
    assert struct.unpack_from("<4H", frame, start) == (1, 2, 3, 65535)  # little-endian uint16
    assert frame[entries["odd"]["offset"]:entries["odd"]["offset"] + 5] == bytes(range(5))
    _, arrays = p.decode_frame(frame)
    assert np.array_equal(arrays["output"], out) and np.array_equal(arrays["region_map"], regions)


def test_every_message_type_is_documented():
    doc = DOC.read_text()
    for kind in (*p.CLIENT_TYPES, *p.SERVER_TYPES):
        assert re.search(rf"`{re.escape(kind)}`", doc), f"message type {kind!r} missing from docs/protocol.md"
    for code in p.ERROR_CODES:
        assert f"`{code}`" in doc, f"error code {code!r} missing from docs/protocol.md"
    for name in ("CLOSE_GOING_AWAY", "CLOSE_UNSUPPORTED_DATA", "CLOSE_POLICY", "CLOSE_TOO_BIG",
                 "CLOSE_TRY_AGAIN_LATER", "CLOSE_REPLACED", "CLOSE_HELLO_EXPECTED", "CLOSE_IDLE"):
        assert f"`{getattr(p, name)}`" in doc, f"close code {name} missing from docs/protocol.md"
