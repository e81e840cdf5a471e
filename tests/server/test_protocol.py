"""protocol.py: client message parsing, the error shape, the binary frame layout and the docs."""

from __future__ import annotations

import dataclasses
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from app import protocol as p
from app import scenes
from app.config import SessionConfig
from app.frames import Metrics, Snapshot
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


# Backticked words of docs/protocol.md's frame header paragraph that are not header fields: the parts of
# `regions`, the map side `G`, an array named there, and a key of an `arrays` entry.
NOT_HEADER_FIELDS = {"count", "exact", "upper", "bound", "G", "region_map", "range"}


def documented_header_fields() -> list[str]:
    doc = DOC.read_text()
    paragraph = doc[doc.index("Header: "):doc.index("Every map is row-major")]
    names = re.findall(r"`(\w+)(?::[^`]*)?`", paragraph)  # `type: "frame"` documents `type`
    return [name for name in dict.fromkeys(names) if name not in NOT_HEADER_FIELDS]


def fixed_snapshot() -> Snapshot:
    """A 2 x 2 frame of a 1-2-1 network, every field set by hand (no session, no engine)."""
    return Snapshot(
        step=12, epoch=0.75, state="paused",
        metrics=Metrics(train_loss=0.25, test_loss=0.5, train_accuracy=0.875, test_accuracy=0.75,
                        train_undecided=1, test_undecided=0),
        weights=[[[0.5, -1.25]], [[2.0], [-0.125]]], biases=[[0.0, 0.1], [-0.3]],
        unit_params=[{}, {"slope": [0.25]}],
        regions={"count": 3, "bound": 3, "upper": 3, "exact": True, "note": None},
        regions_drawn="grid map: forced", grid=2, box=(-1.0, 1.0), sizes=[1, 2, 1], unit=(0, 1),
        output_range=(0.0, 1.0), output=np.array([[0.0, 1.0], [0.5, 0.25]]),
        thumbnails=np.array([[[-1.0, 1.0], [0.0, 0.5]], [[2.0, -2.0], [0.0, 0.0]]]),
        unit_map=np.array([[1.0, 3.0], [2.0, 1.0]]), region_map=np.array([[0, 1], [1, 2]], dtype=np.uint16))


def test_a_fixed_snapshot_encodes_to_the_documented_header_field_by_field():
    frame = p.encode_snapshot(fixed_snapshot())
    header, arrays = p.decode_frame(frame)
    layout = header.pop("arrays")
    assert header == {
        "step": 12, "epoch": 0.75, "state": "paused", "train_loss": 0.25, "test_loss": 0.5,
        "train_accuracy": 0.875, "test_accuracy": 0.75, "train_undecided": 1, "test_undecided": 0,
        "weights": [[[0.5, -1.25]], [[2.0], [-0.125]]], "biases": [[0.0, 0.1], [-0.3]],
        "unit_params": [{}, {"slope": [0.25]}],
        "regions": {"count": 3, "bound": 3, "upper": 3, "exact": True, "note": None},
        "regions_drawn": "grid map: forced", "grid": 2, "box": [-1.0, 1.0], "sizes": [1, 2, 1],
        "unit": [0, 1], "type": "frame"}
    # the wire order is the documented order (``type`` is documented first, written after the fields)
    assert documented_header_fields() == ["type", *list(header)[:-1], "arrays"]
    assert frame[4:].startswith(b'{"step":12,"epoch":0.75,"state":"paused","train_loss":0.25,')
    assert [(a["name"], a["dtype"], a["shape"], a["range"]) for a in layout] == [
        ("output", "uint8", [2, 2], [0.0, 1.0]), ("thumbnails", "uint8", [2, 2, 2], [-1.0, 1.0]),
        ("unit", "uint8", [2, 2], [1.0, 3.0]), ("region_map", "uint16", [2, 2], None)]
    assert arrays["output"].tolist() == [[0, 255], [128, 64]]  # round(v * 255)
    assert arrays["thumbnails"].tolist() == [[[0, 255], [128, 191]], [[255, 0], [128, 128]]]  # clipped
    assert arrays["unit"].tolist() == [[0, 255], [128, 0]]  # its own range [1, 3]
    assert arrays["region_map"].tolist() == [[0, 1], [1, 2]]


def test_a_snapshot_without_unit_or_regions_writes_them_as_null():
    snap = dataclasses.replace(fixed_snapshot(), unit=None, unit_map=None, regions=None, regions_drawn=None,
                               region_map=None, thumbnails=None)
    header, arrays = p.decode_frame(p.encode_snapshot(snap))
    assert header["unit"] is None and header["regions"] is None and header["regions_drawn"] is None
    assert set(arrays) == {"output"}


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
