"""The wire format: every WebSocket message in both directions, the error shape and the binary frames.

Client messages are JSON text validated by pydantic models discriminated by ``type``; server messages are
built by the small functions below so that their shape is written down in one place; the binary frames
are laid out by ``app.protocol.binary`` (re-exported here: ``from app import protocol as p`` has every
name). ``docs/protocol.md`` documents all of them (a test checks that every type in ``CLIENT_TYPES`` and
``SERVER_TYPES`` appears there).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.config import MAX_HIDDEN_LAYERS, describe_validation_error
from app.protocol.binary import THUMBNAIL_PIECE as THUMBNAIL_PIECE
from app.protocol.binary import FrameArray as FrameArray
from app.protocol.binary import decode_frame as decode_frame
from app.protocol.binary import dequantize as dequantize
from app.protocol.binary import encode_frame as encode_frame
from app.protocol.binary import encode_snapshot as encode_snapshot
from app.protocol.binary import encode_snapshot_steps as encode_snapshot_steps
from app.protocol.binary import frame_header as frame_header
from app.protocol.binary import quantize as quantize
from app.protocol.binary import unpack_params as unpack_params
from app.protocol.binary import without_repeats as without_repeats
from app.protocol.jsontext import dumps as dumps
from app.scenes import Panel

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
# the errors of POST /api/import (app/uploads.py), besides the codes above
E_UNKNOWN_SESSION = "unknown_session"  # no live session holds that token
E_CROSS_ORIGIN = "cross_origin"  # another site's page sent the request
E_TOO_LARGE = "too_large"  # the file is over the limit of its kind
E_INVALID_FILE = "invalid_file"  # the file cannot be read (field, row and column say where)
ERROR_CODES = (E_BAD_JSON, E_BAD_MESSAGE, E_UNKNOWN_TYPE, E_INVALID_CONFIG, E_INVALID_VALUE, E_UNKNOWN_SCENE,
               E_RATE_LIMITED, E_SERVER_FULL, E_HELLO_EXPECTED, E_DIVERGED, E_INTERNAL, E_IDLE, E_READ_ONLY,
               E_UNKNOWN_ROOM, E_UNKNOWN_SESSION, E_CROSS_ORIGIN, E_TOO_LARGE, E_INVALID_FILE)

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
    # how frames carry the parameters: JSON lists (what clients before this field got) or one float32 array
    params: Literal["json", "binary"] = "json"
    # true: the client keeps the arrays of the last frame it got, and frames may name them in "same" instead
    same: bool = Field(False, strict=True)


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


class Rewind(_Msg):
    """Go back (or forward) to the kept checkpoint at ``step`` or the latest one before it (paused); playing
    or stepping from there continues the run exactly as it went, until something is changed."""

    type: Literal["rewind"]
    step: int = Field(strict=True, ge=0, le=2**53)


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
    # compare: "b" restores a layer of network B (after A's layers, at A's step); B is not A's to rebuild
    network: Literal["a", "b"] = "a"


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
    what: Panel
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
    Hello | Configure | Play | Pause | Step | Reset | Rewind | Regenerate | SetParam | Restore | LoadScene
    | View | Inspect | Export | Lecture | Present | Fork,
    Field(discriminator="type"),
]
_client_adapter: TypeAdapter = TypeAdapter(ClientMessage)

# the type names, read off the union above so that a new message cannot be left out of the list
CLIENT_TYPES: tuple[str, ...] = tuple(get_args(model.model_fields["type"].annotation)[0]
                                      for model in get_args(get_args(ClientMessage)[0]))
SERVER_TYPES = ("welcome", "config", "state", "dataset", "inspection", "export", "error", "frame", "lecture",
                "rewound", "room", "forked")
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


def rewound(step: int, latest: int, every: int, kept: int, nbytes: int) -> dict[str, Any]:
    """The answer to ``rewind``: the kept step the session is now at, the latest kept step (the end of the
    scrubber), the spacing of kept steps and what the history holds (count, bytes)."""
    return {"type": "rewound", "step": step, "latest": latest, "every": every, "kept": kept, "bytes": nbytes}


def dataset(train: list, test: list, box: list, classes: int, regression: bool) -> dict[str, Any]:
    return {"type": "dataset", "train": train, "test": test, "box": box, "classes": classes,
            "regression": regression}


def inspection(x: list, input: list, layers: list[dict], output: list, loss: float | None) -> dict[str, Any]:
    """``x`` the point asked about, ``input`` its features (what the network reads), per layer ``z``, ``a``
    and ``delta`` lists; the names are ``Session.inspect``'s, so its answer goes in as keywords."""
    return {"type": "inspection", "x": x, "layers": layers, "output": output, "loss": loss, "input": input}


def export(fmt: str, filename: str, content: str) -> dict[str, Any]:
    return {"type": "export", "format": fmt, "filename": filename, "content": content}


def lecture(what: str, data: dict[str, Any]) -> dict[str, Any]:
    """The answer to a ``lecture`` request: ``data`` as computed by ``app.lecture`` for panel ``what``."""
    return {"type": "lecture", "what": what, "data": data}



# --- broadcast rooms (app/rooms.py) -------------------------------------------------------------------
# Self-contained: the messages of a room's presenter and viewers, built here like every other message.


def room(code: str, role: str, presenter: str, viewers: int | None, message: str | None) -> dict[str, Any]:
    """Who you are in room ``code`` (``presenter`` / ``viewer``) and whether its presenter is there
    (``connected`` / ``away`` / ``ended``); ``viewers`` is the count for the presenter, None for a viewer;
    ``message`` says what changed (or None)."""
    return {"type": "room", "code": code, "role": role, "presenter": presenter, "viewers": viewers,
            "message": message}


def viewer_welcome(limits: dict[str, Any], config: dict[str, Any],
                   scene: dict[str, Any] | None) -> dict[str, Any]:
    """A room viewer's greeting: a ``welcome`` without a session or token of its own (both null)."""
    return {**welcome("", "", limits, config, scene, False), "session": None, "token": None}


def forked(code: str) -> dict[str, Any]:
    """Ends a fork's greeting: the private session came from room ``code``."""
    return {"type": "forked", "room": code}


# --- file imports (POST /api/import, app/uploads.py) ---------------------------------------------------
# HTTP answers, not socket messages: the session's socket gets the usual config, dataset, frame and state.


def imported(kind: str, rows: int, regression: bool, classes: int, notes: list[str],
             step: int) -> dict[str, Any]:
    """The answer to a file the session took: the data it now has and the step it is at."""
    return {"ok": True, "kind": kind, "rows": rows, "regression": regression, "classes": classes,
            "notes": notes, "step": step}


def import_error(code: str, message: str, field: str | None, row: int | None = None,
                 column: int | None = None) -> dict[str, Any]:
    """A refused import: the one error shape plus where in the file (1-based ``row`` and ``column``, null
    when the fault is not in one place)."""
    return {**error(code, message, field), "row": row, "column": column}
