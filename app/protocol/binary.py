"""The binary frame: ``uint32 LE N`` + N bytes of space-padded JSON header + typed arrays at 8-aligned
offsets (docs/protocol.md, "Frames"). The header is written here from a ``frames.Snapshot``'s typed fields;
the float maps are quantized to uint8 with their ranges.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import costs
from app.engine.regions import RegionPolygons
from app.frames import CompareSnapshot, FlatParams, Metrics, Snapshot
from app.protocol.jsontext import dumps


@dataclass(frozen=True)
class FrameArray:
    """One array of a frame: ``data`` is already in its wire dtype (uint8 / uint16), C-contiguous."""

    name: str
    data: np.ndarray
    range: tuple[float, float] | None = None


def quantize(values: np.ndarray, lo: float, hi: float, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 q with value ~= lo + q / 255 * (hi - lo); values outside [lo, hi] clip; NaN maps to 0."""
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    tmp = (np.asarray(values, dtype=np.float32) - np.float32(lo)) * np.float32(scale) + np.float32(0.5)
    # fmax/fmin return the number when the other operand is NaN: NaN becomes 0, then the clip to 255
    np.fmax(tmp, 0.0, out=tmp)
    np.fmin(tmp, 255.0, out=tmp)
    if out is None:
        return tmp.astype(np.uint8)
    out[...] = tmp  # casting float -> uint8 truncates, the +0.5 above rounds
    return out


def dequantize(q: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Inverse of ``quantize`` up to (hi - lo) / 510 (what a client does)."""
    return lo + q.astype(np.float64) / 255.0 * (hi - lo)


def encode_frame(header: dict[str, Any], arrays: list[FrameArray]) -> bytes:
    """``uint32 LE N`` + N bytes of space-padded JSON header + arrays at 8-aligned offsets."""
    head = dict(header)
    head["type"] = "frame"
    head.pop("arrays", None)
    # The header is dumped once; only its "arrays" entry, whose offsets depend on the header's own length,
    # is redone until the length settles (a big network's weights make the rest long). Each entry's JSON
    # is dumped once too, around its offset: the loop only joins strings.
    body = dumps(head)[:-1].encode() + b',"arrays":'
    return _lay_out(body, [_entry_json(a) for a in arrays],
                    [np.ascontiguousarray(a.data).tobytes() for a in arrays])


def _lay_out(body: bytes, around: list[tuple[str, str]], datas: list[bytes | memoryview]) -> bytes:
    """The frame of header ``body`` (its JSON up to the "arrays" value) and the arrays ``datas`` whose
    entries' JSON is ``around`` (before and after each offset)."""
    header_len = 4  # 4 + 4 is a multiple of 8, like every length tried below
    while True:
        offset = 4 + header_len
        offsets = []
        for data in datas:
            offsets.append(offset)
            offset = _align8(offset + len(data))
        raw = body + ("[" + ",".join(f"{before}{at}{after}" for (before, after), at in
                                     zip(around, offsets, strict=True)) + "]}").encode()
        padded = len(raw) + (-(4 + len(raw)) % 8)
        if padded <= header_len:
            break
        header_len = padded  # longer offsets may lengthen the header again: go round once more
    buf = bytearray(offset)
    struct.pack_into("<I", buf, 0, header_len)
    buf[4:4 + header_len] = raw.ljust(header_len, b" ")
    for data, start in zip(datas, offsets, strict=True):
        buf[start:start + len(data)] = data
    return bytes(buf)


# The JSON of an entry's name, dtype and shape, by the three: a session's frames repeat the same few, and
# dumping them (or even reading a dtype's .name, ~6 us in NumPy 2) costs more than a lookup.
_ENTRIES: dict[tuple[Any, ...], str] = {}
_ENTRIES_KEPT = 1024  # past it, start over: shapes follow the grid and thumbnail sizes, a few hundred kinds


def _entry_json(a: FrameArray) -> tuple[str, str]:
    """The JSON of ``a``'s entry in the header's "arrays", before and after its offset: the same text as
    dumping ``{"name", "dtype", "shape", "offset", "range"}``."""
    key = (a.name, a.data.dtype, a.data.shape)
    before = _ENTRIES.get(key)
    if before is None:
        if len(_ENTRIES) >= _ENTRIES_KEPT:
            _ENTRIES.clear()
        before = _ENTRIES[key] = dumps({"name": a.name, "dtype": a.data.dtype.name,
                                        "shape": list(a.data.shape)})[:-1] + ',"offset":'
    return before, ',"range":' + _range_json(a.range) + "}"


def _range_json(r: tuple[float, float] | None) -> str:
    """``dumps(list(r))``: finite floats written the way json writes them (their repr), without its
    per-call set-up; anything else by dumps itself."""
    if r is not None and all(isinstance(x, float) and math.isfinite(x) for x in r):
        return "[" + ",".join(float.__repr__(x) for x in r) + "]"
    return dumps(list(r) if r is not None else None)


def decode_frame(message: bytes, last: dict[str, np.ndarray] | None = None
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Parse a frame the way a client does (used by tests and the benchmark); ``last``: the arrays of the
    frame before, for those the header's ``same`` names (KeyError when ``last`` lacks one)."""
    (n,) = struct.unpack_from("<I", message, 0)
    header = json.loads(message[4:4 + n])
    arrays = {name: (last or {})[name] for name in header.get("same", [])}
    for e in header["arrays"]:
        dtype = np.dtype(e["dtype"])
        count = int(np.prod(e["shape"]))
        arrays[e["name"]] = np.frombuffer(message, dtype=dtype, count=count, offset=e["offset"]).reshape(
            e["shape"])
    return header, arrays


def _align8(n: int) -> int:
    return n + (-n % 8)


STATE_WITHIN = 128  # "state" follows "step" and "epoch": within the header's first 128 bytes


def without_repeats(frame: bytes, last: bytes | None) -> bytes:
    """``frame`` without the arrays that are, name, dtype, shape, range and bytes, those of ``last`` (the
    frame this client got before it), named in the header's ``same`` instead (docs/protocol.md, "Arrays the
    client has already"): a paused network's view-only frames (a hovered unit) repeat its maps and
    parameters. A playing network's frames are not looked at (its maps change from frame to frame);
    ``frame`` itself when nothing repeats."""
    if last is None or b'"state":"playing"' in frame[:STATE_WITHIN]:
        return frame
    head, entries = _split_header(frame)
    previous = {e["name"]: e for e in _split_header(last)[1]}
    same = [e["name"] for e in entries if (o := previous.get(e["name"])) is not None
            and (o["dtype"], o["shape"], o["range"]) == (e["dtype"], e["shape"], e["range"])
            and _bytes_of(frame, e) == _bytes_of(last, o)]
    if not same:
        return frame
    kept = [e for e in entries if e["name"] not in same]
    around = [(dumps({"name": e["name"], "dtype": e["dtype"], "shape": e["shape"]})[:-1] + ',"offset":',
               ',"range":' + dumps(e["range"]) + "}") for e in kept]
    return _lay_out(head + b',"same":' + dumps(same).encode() + b',"arrays":', around,
                    [_bytes_of(frame, e) for e in kept])


def _split_header(frame: bytes) -> tuple[bytes, list[dict[str, Any]]]:
    """A frame's header JSON up to its "arrays" (always the last key: ``encode_frame`` writes it so) and
    the parsed "arrays" entries; the rest of the header (a big network's JSON weights) is never parsed."""
    (n,) = struct.unpack_from("<I", frame, 0)
    text = frame[4:4 + n].rstrip(b" ")
    at = text.rfind(b',"arrays":[')  # a string value cannot hold it: JSON escapes its quotes
    return text[:at], json.loads(text[at + len(b',"arrays":'):-1])


def _bytes_of(frame: bytes, entry: dict[str, Any]) -> memoryview:
    """The bytes of array ``entry`` in ``frame``, not copied."""
    size = int(np.prod(entry["shape"])) * np.dtype(entry["dtype"]).itemsize
    return memoryview(frame)[entry["offset"]:entry["offset"] + size]


THUMBNAIL_PIECE = 64  # thumbnails quantized per piece of encode_snapshot_steps: ~1 ms of 64 px ones


def frame_header(snap: Snapshot) -> dict[str, Any]:
    """The frame header's fields of ``snap``, in wire order (``encode_frame`` adds ``type`` and
    ``arrays``). docs/protocol.md documents each one."""
    binary = snap.params_form == "binary"
    header = {"step": snap.step, "epoch": snap.epoch, "state": snap.state, **_metrics(snap.metrics),
              **_params_header(snap.params, binary),
              "regions": snap.regions, "regions_drawn": snap.regions_drawn, "grid": snap.grid,
              "box": list(snap.box), "sizes": list(snap.sizes),
              "unit": list(snap.unit) if snap.unit is not None else None}
    if snap.compare is not None:  # only then: a frame without compare stays byte for byte what it was
        header["compare"] = compare_header(snap.compare, binary)
    if snap.reduced is not None:  # only under overload (app/overload.py): other frames stay as they were
        header["reduced"] = {"grid": snap.grid, "full": snap.reduced[0], "reason": snap.reduced[1]}
    return header


def _params_header(params: FlatParams, binary: bool) -> dict[str, Any]:
    """The header's parameter fields: ``param_layout`` (the ``params`` array says the rest) when
    ``binary``, else ``weights``, ``biases`` and ``unit_params`` as lists (docs/protocol.md)."""
    before = costs.switch("params")  # charged as the frame's parameters, not its encoding (app/costs.py)
    try:
        if binary:
            return {"param_layout": param_layout(params)}
        weights, biases, unit_params = rounded_params(params)
        return {"weights": weights, "biases": biases, "unit_params": unit_params}
    finally:
        costs.switch(before)


def rounded_params(params: FlatParams) -> tuple[list[Any], list[Any], list[dict[str, Any]]]:
    """``weights``, ``biases`` and ``unit_params`` as lists rounded to 4 decimals: enough to draw and label
    the links. One rounding of the flat vector, then its layers' views (a rounding per array cost more
    than the rounding itself on small networks)."""
    flat = np.round(params.values, 4)
    weights, biases, unit_params = [], [], []
    for block in params.blocks:
        weights.append(block.W(flat).tolist())
        biases.append(flat[block.biases].tolist())
        unit_params.append({str(k): flat[sl].tolist() for k, sl in block.params.items()})
    return weights, biases, unit_params


def param_layout(params: FlatParams) -> list[dict[str, Any]]:
    """Where each layer's parts sit in the ``params`` array: ``{"weights": [offset, rows, cols],
    "biases": [offset, count], "unit_params": {name: [offset, count]}}`` per layer, offsets in elements."""
    return [{"weights": [block.weights.start, *block.shape],
             "biases": [block.biases.start, block.biases.stop - block.biases.start],
             "unit_params": {str(k): [sl.start, sl.stop - sl.start] for k, sl in block.params.items()}}
            for block in params.blocks]


def params_array(name: str, params: FlatParams) -> FrameArray:
    """The parameter vector as the float32 array ``name`` (``params`` or ``compare_params``)."""
    with np.errstate(over="ignore"):  # a finite value past float32's range is +-inf (docs/protocol.md)
        return FrameArray(name, params.values.astype(np.float32))


def unpack_params(layout: list[dict[str, Any]], values: np.ndarray
                  ) -> tuple[list[np.ndarray], list[np.ndarray], list[dict[str, np.ndarray]]]:
    """A binary frame's ``param_layout`` and ``params`` array back into per-layer weights ``(rows, cols)``,
    biases and unit parameters (views of ``values``): what the page's decoder rebuilds (tests, benchmark)."""
    weights, biases, unit_params = [], [], []
    for layer in layout:
        (w, rows, cols), (b, nb) = layer["weights"], layer["biases"]
        weights.append(values[w:w + rows * cols].reshape(rows, cols))
        biases.append(values[b:b + nb])
        unit_params.append({k: values[o:o + n] for k, (o, n) in layer["unit_params"].items()})
    return weights, biases, unit_params


def _metrics(m: Metrics) -> dict[str, Any]:
    return {"train_loss": m.train_loss, "test_loss": m.test_loss, "train_accuracy": m.train_accuracy,
            "test_accuracy": m.test_accuracy, "train_undecided": m.train_undecided,
            "test_undecided": m.test_undecided}


def compare_header(b: CompareSnapshot, binary: bool = False) -> dict[str, Any]:
    """The header's ``compare`` object: network B's fields, in wire order (docs/protocol.md, "Compare");
    ``binary``: B's parameters as ``param_layout`` (and the ``compare_params`` array)."""
    return {"label": b.label, "differences": b.differences, "step": b.step, "epoch": b.epoch,
            "state": b.state, "metrics": _metrics(b.metrics), **_params_header(b.params, binary),
            "sizes": list(b.sizes), "output_range": list(b.output_range)}


def _compare_arrays(b: CompareSnapshot) -> list[FrameArray]:
    """Network B's maps: ``compare_output``, or ``compare_classes`` + ``compare_confidence``."""
    return _output_arrays("compare_", b.output, b.classes, b.confidence, b.output_range)


def _output_arrays(prefix: str, output: np.ndarray | None, classes: np.ndarray | None,
                   confidence: np.ndarray | None, output_range: tuple[float, float]) -> list[FrameArray]:
    """A network's output maps as frame arrays named ``prefix`` + output / classes / confidence."""
    arrays = []
    if output is not None:
        lo, hi = output_range
        arrays.append(FrameArray(prefix + "output", quantize(output, lo, hi), (lo, hi)))
    if classes is not None:
        arrays.append(FrameArray(prefix + "classes", np.ascontiguousarray(classes, dtype=np.uint8)))
    if confidence is not None:
        arrays.append(FrameArray(prefix + "confidence", quantize(confidence, 0.0, 1.0), (0.0, 1.0)))
    return arrays


def encode_snapshot_steps(snap: Snapshot) -> Generator[None, None, bytes]:
    """``encode_snapshot`` in pieces (a generator yielding between them, returning the same bytes): the
    thumbnails, by far the biggest array (512 of 64 px: 2 M values), are quantized a block at a time."""
    thumbs = None
    if snap.thumbnails is not None:
        t = snap.thumbnails
        thumbs = np.empty(t.shape, dtype=np.uint8)
        for start in range(0, t.shape[0], THUMBNAIL_PIECE):
            quantize(t[start:start + THUMBNAIL_PIECE], -1.0, 1.0, thumbs[start:start + THUMBNAIL_PIECE])
            yield
    return _encode_snapshot(snap, thumbs)


def encode_snapshot(snap: Snapshot) -> bytes:
    """The frame of a ``frames.Snapshot``: float maps quantized to uint8 with their ranges."""
    return _encode_snapshot(snap, None)


def _encode_snapshot(snap: Snapshot, thumbs: np.ndarray | None) -> bytes:
    """``encode_snapshot`` with the thumbnails already quantized (``thumbs``) or not (None)."""
    arrays = _output_arrays("", snap.output, snap.classes, snap.confidence, snap.output_range)
    if snap.thumbnails is not None:
        arrays.append(FrameArray("thumbnails", quantize(snap.thumbnails, -1.0, 1.0) if thumbs is None
                                 else thumbs, (-1.0, 1.0)))
    if snap.unit_map is not None:
        lo, hi = _finite_range(snap.unit_map)
        arrays.append(FrameArray("unit", quantize(snap.unit_map, lo, hi), (lo, hi)))
    if snap.region_map is not None:
        arrays.append(FrameArray("region_map", np.ascontiguousarray(snap.region_map, dtype=np.uint16)))
    if snap.region_polygons is not None:
        arrays += _polygon_arrays(*snap.region_polygons)
    binary = snap.params_form == "binary"
    if binary:
        arrays.append(params_array("params", snap.params))
    if snap.compare is not None:
        arrays += _compare_arrays(snap.compare)
        if binary:
            arrays.append(params_array("compare_params", snap.compare.params))
    return encode_frame(frame_header(snap), arrays)


def _polygon_arrays(polygons: RegionPolygons, ids: np.ndarray) -> list[FrameArray]:
    """The exact regions (engine.regions.RegionPolygons) as five typed arrays (docs/protocol.md)."""
    index = np.uint16 if len(polygons.vertices) <= 65536 else np.uint32  # half the bytes, nearly always
    return [
        FrameArray("region_vertices", np.ascontiguousarray(polygons.vertices, dtype=np.float32)),
        FrameArray("region_cells", np.ascontiguousarray(polygons.offsets, dtype=np.uint32)),
        FrameArray("region_corners", np.ascontiguousarray(polygons.indices, dtype=index)),
        FrameArray("region_ids", np.ascontiguousarray(ids, dtype=np.uint16)),
        FrameArray("region_edges", np.ascontiguousarray(polygons.edges, dtype=index).reshape(-1, 2)),
    ]


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    """The unit map's own range (its full detail, unlike the clipped thumbnails); never empty."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi
