"""protocol/binary.py: quantizing, the binary frame layout, a Snapshot's header field by field against
docs/protocol.md."""

from __future__ import annotations

import dataclasses
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from app.engine.params import LayerBlock
from app.frames import CompareSnapshot, FlatParams, Metrics, Snapshot
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


@pytest.mark.parametrize("count", [1, 6, 40])  # 40 arrays: offsets of 5 and 6 digits lengthen the header
def test_frame_header_is_the_compact_json_of_its_fields_and_no_longer_than_it_needs(count):
    ranges = [(-1.5, 2.0), None, (-0.0, 1e-05), (1, 3), (np.float64(0.5), 1e16), (float("nan"), 1.0)]
    arrays = [p.FrameArray(f"a{i}", np.arange(3 + 997 * i, dtype=dtype), ranges[i % len(ranges)])
              for i, dtype in zip(range(count), [np.uint8, np.uint16, np.float32, np.uint32] * 10,
                                  strict=False)]
    frame = p.encode_frame({"step": 3, "weights": [[[0.25, -1.0]]], "note": "x"}, arrays)
    assert p.encode_frame({"step": 3, "weights": [[[0.25, -1.0]]], "note": "x"}, arrays) == frame
    (n,) = struct.unpack_from("<I", frame, 0)
    text = frame[4:4 + n].decode()
    header = json.loads(text)
    # the standard library's own compact dump of what was parsed: the same text, then only padding
    assert text.rstrip(" ") == json.dumps(header, separators=(",", ":"))
    assert n - len(text.rstrip(" ")) < 8 and (4 + n) % 8 == 0
    assert [e["dtype"] for e in header["arrays"]] == [a.data.dtype.name for a in arrays]
    for a in arrays:  # each range as the standard library writes it (-0.0, 1e-05, an int; NaN as null)
        expected = None if a.range is None else [None if x != x else x for x in a.range]
        assert f'"name":"{a.name}",' in text
        assert text.split(f'"name":"{a.name}",')[1].split("}")[0].endswith(
            '"range":' + json.dumps(expected, separators=(",", ":")))
    _, decoded = p.decode_frame(frame)
    for a in arrays:
        assert np.array_equal(decoded[a.name], a.data)


# Backticked words of docs/protocol.md's frame header paragraph that are not header fields: the parts of
# `regions`, the map side `G`, an array named there, and a key of an `arrays` entry.
NOT_HEADER_FIELDS = {"count", "exact", "upper", "bound", "G", "region_map", "range"}


def documented_header_fields() -> list[str]:
    doc = DOC.read_text()
    paragraph = doc[doc.index("Header: "):doc.index("Every map is row-major")]
    names = re.findall(r"`(\w+)(?::[^`]*)?`", paragraph)  # `type: "frame"` documents `type`
    return [name for name in dict.fromkeys(names) if name not in NOT_HEADER_FIELDS]


def hand_params(values: list[float], slope: bool = True) -> FlatParams:
    """A 1-2-1 network's parameters laid out by hand: W0 (1, 2), b0, W1 (2, 1), b1[, slope (1,)]."""
    blocks = (LayerBlock("affine", (1, 2), slice(0, 2), slice(2, 4)),
              LayerBlock("output", (2, 1), slice(4, 6), slice(6, 7), {"slope": slice(7, 8)} if slope else {}))
    return FlatParams(np.array(values), blocks)


def fixed_snapshot() -> Snapshot:
    """A 2 x 2 frame of a 1-2-1 network, every field set by hand (no session, no engine)."""
    return Snapshot(
        step=12, epoch=0.75, state="paused",
        metrics=Metrics(train_loss=0.25, test_loss=0.5, train_accuracy=0.875, test_accuracy=0.75,
                        train_undecided=1, test_undecided=0),
        # weights [[[0.5, -1.25]], [[2.0], [-0.125]]], biases [[0.0, 0.1], [-0.3]], unit_params [{}, {slope}]
        params=hand_params([0.5, -1.25, 0.0, 0.1, 2.0, -0.125, -0.3, 0.25]),
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
        params=hand_params([0.5, -1.0, 0.0, 0.0, 2.0, -0.5, 0.1], slope=False),  # the lists asserted below
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


# --- parameters as one float32 array (hello.params = "binary") -------------------------------------------
def parameters_doc() -> str:
    doc = DOC.read_text()
    start = doc.index("### Parameters as one array")
    return doc[start:doc.index("\n## ", start) if "\n## " in doc[start:] else len(doc)]


def test_the_binary_form_has_param_layout_in_place_of_the_lists_and_one_float32_array():
    header, arrays = p.decode_frame(p.encode_snapshot(dataclasses.replace(fixed_snapshot(),
                                                                          params_form="binary")))
    assert not {"weights", "biases", "unit_params"} & set(header)
    # where the lists were, in wire order: after the metrics, before the regions
    keys = list(header)
    assert keys[keys.index("test_undecided") + 1:keys.index("regions")] == ["param_layout"]
    # offsets written out by hand from the 1-2-1 layout: W0 at 0 (1 x 2), b0 at 2, W1 at 4 (2 x 1), b1 at 6,
    # the slope at 7
    assert header["param_layout"] == [
        {"weights": [0, 1, 2], "biases": [2, 2], "unit_params": {}},
        {"weights": [4, 2, 1], "biases": [6, 1], "unit_params": {"slope": [7, 1]}}]
    entry = next(e for e in header["arrays"] if e["name"] == "params")
    assert entry["dtype"] == "float32" and entry["shape"] == [8] and entry["range"] is None
    assert header["arrays"][-1]["name"] == "params"  # after A's maps
    assert arrays["params"].tolist() == [0.5, -1.25, 0.0, np.float32(0.1), 2.0, -0.125, np.float32(-0.3),
                                         0.25]
    weights, biases, unit_params = p.unpack_params(header["param_layout"], arrays["params"])
    assert [w.tolist() for w in weights] == [[[0.5, -1.25]], [[2.0], [-0.125]]]
    assert [b.tolist() for b in biases] == [[0.0, np.float32(0.1)], [np.float32(-0.3)]]
    assert [{k: v.tolist() for k, v in u.items()} for u in unit_params] == [{}, {"slope": [0.25]}]


def test_the_binary_form_gives_b_its_own_layout_and_compare_params_after_bs_maps():
    snap = dataclasses.replace(fixed_snapshot(), compare=fixed_compare(), params_form="binary")
    header, arrays = p.decode_frame(p.encode_snapshot(snap))
    b = header["compare"]
    assert list(b) == ["label", "differences", "step", "epoch", "state", "metrics", "param_layout", "sizes",
                       "output_range"]
    assert b["param_layout"][1] == {"weights": [4, 2, 1], "biases": [6, 1], "unit_params": {}}
    names = [e["name"] for e in header["arrays"]]
    assert names[-3:] == ["params", "compare_output", "compare_params"]
    assert arrays["compare_params"].tolist() == [0.5, -1.0, 0.0, 0.0, 2.0, -0.5, np.float32(0.1)]


def test_the_json_form_is_byte_for_byte_the_frame_written_from_rounded_lists():
    """What every client got before the binary form existed: the header written here by hand from the
    network's own arrays, the maps in the order they always had."""
    from app.session import Session  # only this test needs a real session (the rest are hand-built)

    s = Session(scene="spiral-deep")
    s.train(5)
    snap = s.snapshot()
    assert snap.params_form == "json"
    net, m = s.network, snap.metrics
    header = {"step": 5, "epoch": snap.epoch, "state": snap.state, "train_loss": m.train_loss,
              "test_loss": m.test_loss, "train_accuracy": m.train_accuracy, "test_accuracy": m.test_accuracy,
              "train_undecided": m.train_undecided, "test_undecided": m.test_undecided,
              "weights": [np.round(w, 4).tolist() for w in net.weights],
              "biases": [np.round(b, 4).tolist() for b in net.biases],
              "unit_params": [{k: np.round(v, 4).tolist() for k, v in u.items()} for u in net.unit_params],
              "regions": snap.regions, "regions_drawn": snap.regions_drawn, "grid": snap.grid,
              "box": list(snap.box), "sizes": list(net.sizes), "unit": None}
    arrays = [p.FrameArray("output", p.quantize(snap.output, *snap.output_range), snap.output_range),
              p.FrameArray("thumbnails", p.quantize(snap.thumbnails, -1.0, 1.0), (-1.0, 1.0))]
    if snap.region_polygons is not None:
        arrays += p._polygon_arrays(*snap.region_polygons)
    elif snap.region_map is not None:
        arrays.append(p.FrameArray("region_map", snap.region_map.astype(np.uint16)))
    assert p.encode_snapshot(snap) == p.encode_frame(header, arrays)


@pytest.mark.parametrize("config", [
    {"hidden": [3, 2], "activation": "maxout", "maxout_k": 3},
    {"hidden": [5, 4], "activation": "prelu"},
    {"hidden": [4], "activation": "rbf"},
    {"hidden": [6], "activation": "relu", "compare": {"activation": "prelu", "hidden": [3, 3]}},
], ids=["maxout", "prelu", "rbf", "compare"])
def test_binary_params_are_the_networks_own_to_float32_and_the_json_lists_round_the_same_values(config):
    from app.config import SessionConfig  # as above: a real network of each kind
    from app.session import Session

    s = Session(SessionConfig(**config, grid=10, thumbnail=4, points=40))
    s.train(20)
    snap = s.snapshot()
    header, arrays = p.decode_frame(p.encode_snapshot(dataclasses.replace(snap, params_form="binary")))
    json_header, _ = p.decode_frame(p.encode_snapshot(snap))
    nets = [(s.network, header, arrays["params"], json_header)]
    if s.compare is not None:
        nets.append((s.compare.network, header["compare"], arrays["compare_params"], json_header["compare"]))
    for net, head, values, json_head in nets:
        weights, biases, unit_params = p.unpack_params(head["param_layout"], values)
        assert len(weights) == net.depth
        for l in range(net.depth):
            # the reference: NumPy's own float64 -> float32 rounding of the network's arrays
            assert np.array_equal(weights[l], net.weights[l].astype(np.float32))
            assert np.array_equal(biases[l], net.biases[l].astype(np.float32))
            assert unit_params[l].keys() == net.unit_params[l].keys()
            for k, v in net.unit_params[l].items():
                assert np.array_equal(unit_params[l][k], v.astype(np.float32))
            # the JSON form: the same numbers to 4 decimals
            assert np.max(np.abs(np.array(json_head["weights"][l]) - weights[l]), initial=0) <= 5e-5 + 1e-6
            assert json_head["unit_params"][l].keys() == unit_params[l].keys()
    # the unit parameters came through where the network has them: PReLU's slopes, RBF's widths
    named = {k for head in (header, header.get("compare") or {}) for layer in head.get("param_layout", [])
             for k in layer["unit_params"]}
    assert named == {"slope"} if "prelu" in str(config) else named == ({"sigma"} if "rbf" in str(config)
                                                                        else set())


def test_a_diverged_networks_binary_params_are_not_finite_where_the_json_form_has_null():
    params = hand_params([np.nan, np.inf, -np.inf, 1e39, 2.0, -0.125, -0.3, 0.25])
    snap = dataclasses.replace(fixed_snapshot(), params=params, state="diverged")
    with np.errstate(all="raise"):  # the cast of 1e39 to float32 is +inf without a warning
        _, arrays = p.decode_frame(p.encode_snapshot(dataclasses.replace(snap, params_form="binary")))
    json_header, _ = p.decode_frame(p.encode_snapshot(snap))
    assert json_header["weights"][0] == [[None, None]] and json_header["biases"][0] == [None, 1e39]
    values = arrays["params"]
    assert np.isnan(values[0]) and values[1] == np.inf and values[2] == -np.inf and values[3] == np.inf


def test_the_parameters_section_documents_the_hello_field_arrays_and_layout():
    doc = parameters_doc()
    for name in ("params", "compare_params"):
        assert f"| `{name}` | float32 |" in doc
    for word in ("`param_layout`", "`compare.param_layout`", '`params: "binary"`', "[offset, rows, cols]",
                 "[offset, count]", "9 significant digits", "byte for byte"):
        assert word in doc, word
    hello_row = next(line for line in DOC.read_text().splitlines() if line.startswith("| `hello` |"))
    assert "`params?`" in hello_row and '`"binary"`' in hello_row


@pytest.mark.parametrize("config", [
    {"hidden": [8, 8], "activation": "tanh"},  # the grid's e^(s z) path
    {"hidden": [16, 16], "activation": "relu"},
    {"hidden": [5, 4], "activation": "prelu"},
    {"hidden": [6], "activation": "maxout", "maxout_k": 3},
    {"hidden": [6, 6], "activation": "sigmoid", "features": ["x1", "x2", "x1x2", "sin_x1"]},
], ids=["tanh", "relu", "prelu", "maxout", "features"])
def test_a_restore_of_the_float32_params_written_with_9_digits_gives_back_the_maps_the_page_showed(config):
    """docs/protocol.md: the page sends each float32 value back with 9 significant digits (as its restore
    does); the fresh session's maps are then the very maps of the frame it last received."""
    from app.config import SessionConfig  # a real network and a real restore
    from app.session import Session

    def nine_digits(values: np.ndarray) -> list:
        return json.loads(json.dumps([float(f"{x:.9g}") for x in values.ravel().tolist()]))

    s = Session(SessionConfig(**config, points=100, grid=40, thumbnail=10))
    s.train(150)
    binary = dataclasses.replace(s.snapshot(), params_form="binary")
    header, arrays = p.decode_frame(p.encode_snapshot(binary))
    fresh = Session(SessionConfig(**config, points=100, grid=40, thumbnail=10))
    for layer, (w, b, u) in enumerate(zip(*p.unpack_params(header["param_layout"], arrays["params"]),
                                          strict=True)):
        fresh.restore(layer, np.reshape(nine_digits(w), w.shape).tolist(), nine_digits(b),
                      {k: nine_digits(v) for k, v in u.items()}, header["step"])
    _, again = p.decode_frame(p.encode_snapshot(dataclasses.replace(fresh.snapshot(), params_form="binary")))
    assert np.array_equal(again["params"], arrays["params"])  # each value came back to its float32
    assert np.array_equal(again["output"], arrays["output"])
    assert np.array_equal(again["thumbnails"], arrays["thumbnails"])


# --- arrays the client has already (hello.same) -----------------------------------------------------------
def _frame(state: str, output: int, unit: int, output_range=(0.0, 1.0)) -> bytes:
    """A frame with an output map filled with ``output``, a unit map with ``unit`` and a parameter array."""
    return p.encode_frame({"step": 3, "epoch": 0.5, "state": state, "grid": 2},
                          [p.FrameArray("output", np.full((2, 2), output, np.uint8), output_range),
                           p.FrameArray("unit", np.full((2, 2), unit, np.uint8), (0.0, 2.0)),
                           p.FrameArray("params", np.array([0.5, -1.0, 2.0], np.float32))])


def test_a_paused_frame_names_the_arrays_the_last_one_had_in_same_and_leaves_them_out():
    last, frame = _frame("paused", 7, 1), _frame("paused", 7, 2)
    sent = p.without_repeats(frame, last)
    header, arrays = p.decode_frame(sent, p.decode_frame(last)[1])
    full_header, full = p.decode_frame(frame)
    assert header.pop("same") == ["output", "params"]  # the unit map changed: it is sent
    assert [e["name"] for e in header["arrays"]] == ["unit"]
    assert {k: v for k, v in header.items() if k != "arrays"} == {k: v for k, v in full_header.items()
                                                                  if k != "arrays"}
    assert list(json.loads(sent[4:4 + struct.unpack_from("<I", sent)[0]]))[-3:] == ["type", "same", "arrays"]
    assert arrays.keys() == full.keys() and all(np.array_equal(arrays[k], full[k]) for k in full)
    assert len(sent) < len(frame) and (4 + struct.unpack_from("<I", sent)[0]) % 8 == 0
    with pytest.raises(KeyError):  # a client without the frame before cannot read it
        p.decode_frame(sent)


@pytest.mark.parametrize(("last", "why"), [
    (None, "no frame before: everything"),
    (_frame("paused", 7, 1, output_range=(0.0, 2.0)), "the same bytes in another range are another map"),
    (_frame("paused", 8, 2), "other bytes"),
])
def test_an_array_is_left_out_only_when_name_range_and_bytes_are_those_of_the_last_frame(last, why):
    frame = _frame("paused", 7, 2)
    sent = p.without_repeats(frame, last)
    if last is None:
        assert sent is frame, why
    else:
        assert "output" not in p.decode_frame(sent, p.decode_frame(last)[1])[0].get("same", []), why


def test_a_playing_frame_is_always_whole():
    last = _frame("playing", 7, 1)
    frame = _frame("playing", 7, 1)
    assert p.without_repeats(frame, last) is frame
    still = p.without_repeats(_frame("diverged", 7, 1), last)  # a diverged network is still, as a paused one
    assert json.loads(still[4:4 + struct.unpack_from("<I", still)[0]])["same"] == ["output", "unit", "params"]


def test_the_same_section_documents_the_hello_field_and_the_header_key():
    doc = DOC.read_text()
    section = doc[doc.index("### Arrays the client has already"):]
    for word in ("`same: true`", "`same`", "**this socket**", "latest frame wins", "`range`", "playing"):
        assert word in section, word
    hello_row = next(line for line in doc.splitlines() if line.startswith("| `hello` |"))
    assert "`same?`" in hello_row
