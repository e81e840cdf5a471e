"""The wire format: every WebSocket message in both directions, the error shape and the binary frames.

Client messages are JSON text validated by pydantic models discriminated by ``type``; server messages are
built by the small functions below so that their shape is written down in one place. ``docs/protocol.md``
documents all of them (a test checks that every type in ``CLIENT_TYPES`` and ``SERVER_TYPES`` appears there).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.config import MAX_HIDDEN_LAYERS, describe_validation_error
from app.lecture import WHATS as LECTURE_PANELS

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
MAX_STEP_N = 1000
MAX_PARAM_VALUE = 1e3

# RFC 6455 close codes, plus the application's 4xxx codes (documented in docs/protocol.md).
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_REPLACED = 4000  # another connection resumed this session
CLOSE_HELLO_EXPECTED = 4001  # the first message was not a hello
CLOSE_IDLE = 4002  # the session was freed after being idle
CLOSE_FLOOD = 4003  # the client kept sending far beyond the rate limit
CLOSE_UNKNOWN_ROOM = 4004  # hello.watch named no open room; no session was built

# error codes of the ``error`` message
E_BAD_JSON = "bad_json"
E_BAD_MESSAGE = "bad_message"
E_UNKNOWN_TYPE = "unknown_type"
E_INVALID_CONFIG = "invalid_config"
E_INVALID_VALUE = "invalid_value"
E_UNKNOWN_SCENE = "unknown_scene"
E_RATE_LIMITED = "rate_limited"
E_SERVER_FULL = "server_full"
E_HELLO_EXPECTED = "hello_expected"
E_DIVERGED = "diverged"
E_INTERNAL = "internal"
E_IDLE = "idle"
E_READ_ONLY = "read_only"  # a viewer of a room sent a control message
E_UNKNOWN_ROOM = "unknown_room"  # no room with that code (or it ended)
ERROR_CODES = (E_BAD_JSON, E_BAD_MESSAGE, E_UNKNOWN_TYPE, E_INVALID_CONFIG, E_INVALID_VALUE, E_UNKNOWN_SCENE,
               E_RATE_LIMITED, E_SERVER_FULL, E_HELLO_EXPECTED, E_DIVERGED, E_INTERNAL, E_IDLE, E_READ_ONLY,
               E_UNKNOWN_ROOM)

# Strict: JSON's true/false and "1" are not numbers (pydantic's lax mode would read true as 1.0)
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Index = Annotated[int, Field(strict=True, ge=0)]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hello(_Msg):
    type: Literal["hello"]
    token: str | None = Field(None, max_length=128)
    config: dict[str, Any] | None = None
    scene: str | None = Field(None, max_length=64)
    watch: str | None = Field(None, max_length=16)  # a room code: watch that room instead (app/rooms.py)


class Configure(_Msg):
    type: Literal["configure"]
    config: dict[str, Any]


class Play(_Msg):
    type: Literal["play"]


class Pause(_Msg):
    type: Literal["pause"]


class Step(_Msg):
    type: Literal["step"]
    n: int = Field(1, strict=True, ge=1, le=MAX_STEP_N)


class Reset(_Msg):
    type: Literal["reset"]


class Regenerate(_Msg):
    type: Literal["regenerate"]


class SetParam(_Msg):
    type: Literal["set_param"]
    kind: Literal["weight", "bias", "slope", "sigma"]
    layer: Index
    index: Index | tuple[Index, Index]
    value: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_PARAM_VALUE, le=MAX_PARAM_VALUE)]


# A restored parameter may be as large as training made it, not only as large as a hand edit may set.
MAX_RESTORE_VALUE = 1e6
RestoreValue = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_RESTORE_VALUE, le=MAX_RESTORE_VALUE)]


class Restore(_Msg):
    """One layer of the parameters a page last received, sent back after a server restart (one message per
    layer keeps a 64-unit layer under the message size limit); ``step`` puts the step counter back."""

    type: Literal["restore"]
    step: int = Field(ge=0, le=2**53)
    layer: int = Field(ge=0)
    weights: list[list[RestoreValue]]
    biases: list[RestoreValue]
    unit_params: dict[str, list[RestoreValue]] = Field(default_factory=dict)
    frame: bool = True  # False: answer with the state only (a frame of a half-restored network is no use)


class LoadScene(_Msg):
    type: Literal["load_scene"]
    name: str = Field(max_length=64)


class View(_Msg):
    """What frames carry. Fields left out keep their current value (so ``unit: null`` differs from absent)."""

    type: Literal["view"]
    unit: tuple[int, int] | None = None
    regions: bool | None = None
    thumbnails: bool | None = None


class Inspect(_Msg):
    type: Literal["inspect"]
    x: tuple[Finite, Finite]
    y: Finite | None = None


class Export(_Msg):
    type: Literal["export"]
    format: Literal["json", "csv"] = "json"


class Lecture(_Msg):
    """Ask for the numbers of a lecture scene's panel; ``x``/``y`` pick the point of ``backprop``."""

    type: Literal["lecture"]
    what: Literal[LECTURE_PANELS]  # type: ignore[valid-type]
    x: tuple[Finite, Finite] | None = None
    y: Finite | None = None
    directions: Literal["random", "pca"] | None = None  # landscape: the slice's two directions
    layer: int | None = Field(None, ge=0, le=MAX_HIDDEN_LAYERS)  # folding: 0 = the input plane

    def panel_args(self) -> dict[str, Any]:
        """The keyword arguments of the panel asked for (each panel takes only its own)."""
        if self.what == "backprop":
            return {"x": list(self.x) if self.x else None, "y": self.y}
        if self.what == "landscape":
            return {"directions": self.directions or "random"}
        if self.what == "folding":
            return {"layer": self.layer}
        return {}


class Present(_Msg):
    """Open a broadcast room for this session (or give the one it has)."""

    type: Literal["present"]


class Fork(_Msg):
    """A viewer's request for a private session starting from the presenter's config and weights."""

    type: Literal["fork"]


ClientMessage = Annotated[
    Hello | Configure | Play | Pause | Step | Reset | Regenerate | SetParam | Restore | LoadScene | View
    | Inspect | Export | Lecture | Present | Fork,
    Field(discriminator="type"),
]
_client_adapter: TypeAdapter = TypeAdapter(ClientMessage)

CLIENT_TYPES = ("hello", "configure", "play", "pause", "step", "reset", "regenerate", "set_param", "restore",
                "load_scene", "view", "inspect", "export", "lecture", "present", "fork")
SERVER_TYPES = ("welcome", "config", "state", "dataset", "inspection", "export", "error", "frame", "lecture",
                "room", "forked")
# "frame" is the binary message; the rest are JSON text.


class ProtocolError(Exception):
    """A message the server answers with an ``error`` (the connection lives on)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_message(self) -> dict[str, Any]:
        return error(self.code, self.message, self.field)


def parse_client_message(text: str) -> BaseModel:
    """Parse one JSON text message; raises ProtocolError naming the field at fault."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(E_BAD_JSON, f"message is not valid JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError(E_BAD_JSON, "message is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python's int-string limit (4300 digits), and kin
        raise ProtocolError(E_BAD_JSON, f"message is not valid JSON: a number it holds cannot be read "
                                        f"({str(exc).split(':')[0].lower()})") from None
    if not isinstance(data, dict):
        raise ProtocolError(E_BAD_MESSAGE, "a message must be a JSON object with a \"type\"", "type")
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        raise ProtocolError(E_UNKNOWN_TYPE, f"unknown message type {kind!r}; expected one of: "
                                            f"{', '.join(CLIENT_TYPES)}", "type")
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        field, message = describe_validation_error(exc)
        if field and field.startswith(f"{kind}."):  # the discriminated union prefixes the tag
            field = field[len(kind) + 1:]
            message = message[len(kind) + 1:]
        raise ProtocolError(E_BAD_MESSAGE, f"{kind}: {message}", field) from None


# --- server -> client -------------------------------------------------------------------------------


def error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one error shape of the whole application."""
    return {"type": "error", "code": code, "message": message, "field": field}


def welcome(session: str, token: str, limits: dict, config: dict, scene: dict | None,
            resumed: bool) -> dict[str, Any]:
    return {"type": "welcome", "session": session, "token": token, "protocol": PROTOCOL_VERSION,
            "limits": limits, "config": config, "scene": scene, "resumed": resumed}


def config_message(config: dict, rebuilt: bool, scene: dict | None = None) -> dict[str, Any]:
    return {"type": "config", "config": config, "rebuilt": rebuilt, "scene": scene}


def state(name: str, step: int, message: str | None = None) -> dict[str, Any]:
    return {"type": "state", "state": name, "step": step, "message": message}


def dataset(train: list, test: list, box: list, classes: int, regression: bool) -> dict[str, Any]:
    return {"type": "dataset", "train": train, "test": test, "box": box, "classes": classes,
            "regression": regression}


def inspection(x: list, layers: list[dict], output: list, loss: float | None) -> dict[str, Any]:
    return {"type": "inspection", "x": x, "layers": layers, "output": output, "loss": loss}


def export(fmt: str, filename: str, content: str) -> dict[str, Any]:
    return {"type": "export", "format": fmt, "filename": filename, "content": content}


def lecture(what: str, data: dict[str, Any]) -> dict[str, Any]:
    """The answer to a ``lecture`` request: ``data`` as computed by ``app.lecture`` for panel ``what``."""
    return {"type": "lecture", "what": what, "data": data}


def dumps(message: Any) -> str:
    """JSON text of a server message; non-finite numbers (a diverged net) become null, never NaN."""
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(message), allow_nan=False, separators=(",", ":"))


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


# --- binary frames ----------------------------------------------------------------------------------


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
    # is redone until the length settles (a big network's weights make the rest long).
    body = dumps(head)[:-1].encode() + b',"arrays":'
    header_len = 4  # 4 + 4 is a multiple of 8, like every length tried below
    while True:
        offset = 4 + header_len
        entries = []
        for a in arrays:
            entries.append({"name": a.name, "dtype": a.data.dtype.name, "shape": list(a.data.shape),
                            "offset": offset, "range": list(a.range) if a.range is not None else None})
            offset = _align8(offset + a.data.nbytes)
        raw = body + dumps(entries).encode() + b"}"
        padded = len(raw) + (-(4 + len(raw)) % 8)
        if padded <= header_len:
            break
        header_len = padded  # longer offsets may lengthen the header again: go round once more
    buf = bytearray(offset)
    struct.pack_into("<I", buf, 0, header_len)
    buf[4:4 + header_len] = raw.ljust(header_len, b" ")
    for a, entry in zip(arrays, entries, strict=True):
        start = entry["offset"]
        buf[start:start + a.data.nbytes] = np.ascontiguousarray(a.data).tobytes()
    return bytes(buf)


def decode_frame(message: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Parse a frame the way a client does (used by tests and the benchmark)."""
    (n,) = struct.unpack_from("<I", message, 0)
    header = json.loads(message[4:4 + n])
    arrays = {}
    for e in header["arrays"]:
        dtype = np.dtype(e["dtype"])
        count = int(np.prod(e["shape"]))
        arrays[e["name"]] = np.frombuffer(message, dtype=dtype, count=count, offset=e["offset"]).reshape(
            e["shape"])
    return header, arrays


def _align8(n: int) -> int:
    return n + (-n % 8)


THUMBNAIL_PIECE = 64  # thumbnails quantized per piece of encode_snapshot_steps: ~1 ms of 64 px ones


def encode_snapshot_steps(snap: Any) -> Generator[None, None, bytes]:
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


def encode_snapshot(snap: Any) -> bytes:
    """The frame of a ``session.Snapshot``: float maps quantized to uint8 with their ranges."""
    return _encode_snapshot(snap, None)


def _encode_snapshot(snap: Any, thumbs: np.ndarray | None) -> bytes:
    """``encode_snapshot`` with the thumbnails already quantized (``thumbs``) or not (None)."""
    arrays = []
    if snap.output is not None:
        lo, hi = snap.output_range
        arrays.append(FrameArray("output", quantize(snap.output, lo, hi), (lo, hi)))
    if snap.classes is not None:
        arrays.append(FrameArray("classes", np.ascontiguousarray(snap.classes, dtype=np.uint8)))
    if snap.confidence is not None:
        arrays.append(FrameArray("confidence", quantize(snap.confidence, 0.0, 1.0), (0.0, 1.0)))
    if snap.thumbnails is not None:
        arrays.append(FrameArray("thumbnails", quantize(snap.thumbnails, -1.0, 1.0) if thumbs is None
                                 else thumbs, (-1.0, 1.0)))
    if snap.unit is not None:
        lo, hi = _finite_range(snap.unit)
        arrays.append(FrameArray("unit", quantize(snap.unit, lo, hi), (lo, hi)))
    if snap.region_map is not None:
        arrays.append(FrameArray("region_map", np.ascontiguousarray(snap.region_map, dtype=np.uint16)))
    if snap.region_polygons is not None:
        arrays += _polygon_arrays(*snap.region_polygons)
    return encode_frame(snap.header, arrays)


def _polygon_arrays(polygons: Any, ids: np.ndarray) -> list[FrameArray]:
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
