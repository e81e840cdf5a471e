"""protocol/binary.py: quantizing, the binary frame layout, a Snapshot's header field by field against
docs/protocol.md."""

from __future__ import annotations

import dataclasses
import json
import re
import struct
from pathlib import Path

import numpy as np

from app.frames import CompareSnapshot, Metrics, Snapshot
from app.protocol import binary as p

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


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


# --- compare: network B's header object and arrays ---------------------------------------------------------
def compare_doc() -> str:
    doc = DOC.read_text()
    return doc[doc.index("### Compare (network B)"):]


def fixed_compare(classes: bool = False) -> CompareSnapshot:
    two = np.array([[0.0, 1.0], [0.5, 0.25]])
    return CompareSnapshot(
        label="B: ReLU instead of tanh", differences=[{"field": "activation", "a": "tanh", "b": "relu"}],
        step=12, epoch=0.75, state="diverged",
        metrics=Metrics(train_loss=None, test_loss=None, train_accuracy=0.5, test_accuracy=0.25,
                        train_undecided=0, test_undecided=2),
        weights=[[[0.5, -1.0]], [[2.0], [-0.5]]], biases=[[0.0, 0.0], [0.1]], unit_params=[{}, {}],
        sizes=[1, 2, 1], output_range=(0.0, 1.0),
        output=None if classes else two,
        classes=np.array([[0, 1], [2, 2]], dtype=np.uint8) if classes else None,
        confidence=two if classes else None)


def test_compare_header_carries_b_fields_in_documented_order_after_unit():
    frame = p.encode_snapshot(dataclasses.replace(fixed_snapshot(), compare=fixed_compare()))
    header, arrays = p.decode_frame(frame)
    assert list(header)[-3:] == ["compare", "type", "arrays"]
    b = header["compare"]
    assert b == {"label": "B: ReLU instead of tanh",
                 "differences": [{"field": "activation", "a": "tanh", "b": "relu"}],
                 "step": 12, "epoch": 0.75, "state": "diverged",
                 "metrics": {"train_loss": None, "test_loss": None, "train_accuracy": 0.5,
                             "test_accuracy": 0.25, "train_undecided": 0, "test_undecided": 2},
                 "weights": [[[0.5, -1.0]], [[2.0], [-0.5]]], "biases": [[0.0, 0.0], [0.1]],
                 "unit_params": [{}, {}], "sizes": [1, 2, 1], "output_range": [0.0, 1.0]}
    # every key is documented, in the wire order, in the compare section's header paragraph
    doc = compare_doc()
    paragraph = doc[doc.index("the frame header carries"):doc.index("| name |")]
    positions = [paragraph.index(f"`{key}`") for key in b]
    assert positions == sorted(positions)
    assert all(key in paragraph for key in b["metrics"])
    assert arrays["compare_output"].tolist() == [[0, 255], [128, 64]]  # B's output map, quantized like A's
    layout = [e["name"] for e in header["arrays"]]
    assert layout[-1] == "compare_output" and layout.index("output") < layout.index("compare_output")


def test_compare_arrays_for_three_classes_are_classes_and_confidence_all_documented():
    snap = dataclasses.replace(fixed_snapshot(), compare=fixed_compare(classes=True))
    header, arrays = p.decode_frame(p.encode_snapshot(snap))
    assert "compare_output" not in arrays
    assert arrays["compare_classes"].tolist() == [[0, 1], [2, 2]]
    assert arrays["compare_confidence"].tolist() == [[0, 255], [128, 64]]
    ranges = {e["name"]: e["range"] for e in header["arrays"]}
    assert ranges["compare_classes"] is None and ranges["compare_confidence"] == [0.0, 1.0]
    doc = compare_doc()
    for name in ("compare_output", "compare_classes", "compare_confidence"):
        assert f"| `{name}` |" in doc


def test_a_snapshot_without_compare_encodes_without_the_key():
    header, arrays = p.decode_frame(p.encode_snapshot(fixed_snapshot()))
    assert "compare" not in header and not any(name.startswith("compare") for name in arrays)
