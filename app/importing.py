"""Files in and out of a session: the JSON export (written here, and read back exactly) and a CSV of the
user's own points.

A CSV import (``import_csv``) switches the session to the "user" dataset with the file's points, its
view box and an output unit that fits the data, from step 0. A JSON import (``import_json``) restores what
``Session.export("json")`` wrote: the config, every weight, bias and unit parameter and the step counter
(the optimizer starts afresh: its state is not in the file). Both check the whole file before anything
changes: a file that is refused leaves the session as it was, still playing if it played. Every refusal
is an ``ImportFault`` naming the field at fault, and the row and column of a CSV fault.

The session calls these through its hooks (``Session.import_csv``, ``import_json``, ``export``); the
session class itself is only named for the type checker (it imports this module). Each import comes in
two halves: reading and checking the file, which needs no live session (``read_csv``, ``check_json``), and
applying it (``apply_csv``, ``apply_json``), so that a server holds a session only for the second.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from app.config import ConfigError, SessionConfig, describe_validation_error
from app.engine.csvdata import MAX_BYTES as MAX_CSV_BYTES
from app.engine.csvdata import CsvError, ImportedData, parse_csv
from app.engine.datasets import train_size
from app.engine.errors import FieldError
from app.engine.grid import is_one_d
from app.engine.network import Network
from app.pieces import finish

if TYPE_CHECKING:  # the session imports this module: importing it back at run time would be a cycle
    from app.session import Session

EXPORT_FORMAT = "mlp-playground"
EXPORT_VERSION = 1
MAX_JSON_BYTES = 4 << 20  # 4 MiB: an 8 x 64 network and 5,000 custom points export to about 1 MiB
MAX_STEP = 2**53  # the largest step counter a JSON number holds exactly
_PARAMETER_KEYS = ("weights", "biases", "unit_params")
POINTS_PIECE = 1000  # custom points written per piece of an export (~2.5 ms)
_POINTS_MARK = "\u0000custom points\u0000"  # no config value holds a NUL: the points' place in the head

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "MAX_CSV_BYTES", "MAX_JSON_BYTES", "ExportFile", "ImportFault",
           "Imported", "apply_csv", "apply_json", "check_json", "check_json_steps", "export_json",
           "import_csv", "import_json", "read_csv", "read_export"]


class ImportFault(FieldError):
    """A file that cannot be imported. ``field``: ``content`` (the file's text), ``format``, ``version``,
    ``step``, ``parameters``, ``config`` or ``config.<field>`` (a JSON export's config), or the config field
    a CSV's data cannot be trained with; ``row``/``column`` (1-based) where the fault is in one place of the
    text; ``config`` is True when the server refuses the config rather than the file's layout."""

    def __init__(self, field: str, message: str, row: int | None = None, column: int | None = None,
                 config: bool = False):
        super().__init__(field, message)
        self.row, self.column, self.config = row, column, config


@dataclass(frozen=True)
class Imported:
    """What an import did: ``kind`` (``csv`` / ``json``), ``rows`` (the data points the session now has),
    ``regression``, ``classes`` (0 for a regression), ``notes`` (what was assumed or changed, readable) and
    ``step`` (the step counter after it: 0 for a CSV, the file's step for an export)."""

    kind: str
    rows: int
    regression: bool
    classes: int
    step: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFile:
    """A checked JSON export: its ``config``, ``parameters`` (``Network.set_parameters`` keywords) and
    ``step``; ``notes`` on how it was read."""

    config: SessionConfig
    parameters: dict[str, Any]
    step: int
    notes: list[str]


# --- export ---------------------------------------------------------------------------------------------


def export_json(session: Session) -> Generator[None, None, tuple[str, str]]:
    """``(filename, text)`` of the session's JSON export, a weight matrix per piece (``Session.export``):
    ``format``, ``version``, ``config``, ``step`` and ``parameters``."""
    config = session.config.model_dump()
    points = config["custom_points"]
    if points:  # their own place, a point per line, written in pieces (below)
        config["custom_points"] = _POINTS_MARK
    head = json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "config": config,
                       "step": session.step_count}, indent=1)
    if points:
        rows = yield from _points_json(points)
        head = head.replace(json.dumps(_POINTS_MARK), "[\n" + rows + "\n  ]", 1)
    body = yield from _parameters_json(session.network)
    return "mlp-playground.json", f'{head[:-2]},\n "parameters": {body}\n}}'


def _points_json(points: list[Any]) -> Generator[None, None, str]:
    """The custom points as JSON rows, a point per line, ``POINTS_PIECE`` points per piece: writing a
    float's shortest repr is most of the cost (5,000 points take ~12 ms, in one go)."""
    pieces = []
    for start in range(0, len(points), POINTS_PIECE):
        # numbers only inside: every "], [" is a break between two points
        text = json.dumps(points[start:start + POINTS_PIECE])[1:-1].replace("], [", "],\n   [")
        pieces.append("   " + text)
        yield
    return ",\n".join(pieces)


def _parameters_json(net: Network) -> Generator[None, None, str]:
    """``net.get_parameters()`` as indented JSON with one weight row per line, a layer per piece.

    ``json.dumps(..., indent=1)`` runs its pure-Python encoder and puts every number on its own line
    (~50 ms and 30,000 lines for 8 layers of 64 units); each row here goes through the C encoder."""
    def matrix(rows: list) -> str:
        return "[\n" + ",\n".join("    " + json.dumps(row) for row in rows) + "\n   ]"

    weights = []
    for w in net.weights:
        weights.append(matrix(w.tolist()))
        yield
    biases = ",\n".join("   " + json.dumps(b.tolist()) for b in net.biases)
    units = ",\n".join("   " + json.dumps({str(k): v.tolist() for k, v in layer.items()})
                       for layer in net.unit_params)
    return ('{\n  "weights": [\n   ' + ",\n   ".join(weights) + '\n  ],\n  "biases": [\n' + biases
            + '\n  ],\n  "unit_params": [\n' + units + "\n  ]\n }")


# --- CSV ------------------------------------------------------------------------------------------------


def import_csv(session: Session, text: str | bytes) -> Imported:
    """Train ``session`` on the points of a CSV (``x1,x2,label`` or ``x1,x2,y``, see app/engine/csvdata.py)
    from step 0, on the "user" dataset with the file's view box. The output unit is kept if it fits the
    data, else sigmoid (softmax for more than two classes) or linear (a regression), and the batch size is
    cut to the training set; ``notes`` say so. ImportFault names what was wrong; nothing changes then."""
    return apply_csv(session, read_csv(text))


def read_csv(text: str | bytes) -> ImportedData:
    """The first half of ``import_csv``, which needs no session: the file read (ImportFault if it cannot)."""
    try:
        return parse_csv(text)
    except CsvError as exc:
        raise ImportFault("content", str(exc), exc.row, exc.column) from None


def apply_csv(session: Session, data: ImportedData) -> Imported:
    """The second half of ``import_csv``: ``data`` made the session's, from the config it has now."""
    partial, notes = csv_config(session.config, data)
    try:
        session.rebuild(session.config.merged(partial))
    except ValidationError as exc:
        field_name, message = describe_validation_error(exc)
        raise ImportFault(field_name or "config", message, config=True) from None
    except ConfigError as exc:
        raise ImportFault(exc.field, str(exc), config=True) from None
    return Imported("csv", data.X.shape[0], data.regression, data.classes, session.step_count,
                    [*data.notes, *notes])


def csv_config(config: SessionConfig, data: ImportedData) -> tuple[dict[str, Any], list[str]]:
    """The partial config that trains ``config``'s network on ``data``, and notes on what it changed
    besides the data (input features that ignore x2, the output unit, the batch size)."""
    partial: dict[str, Any] = {
        "dataset": "user", "custom_points": np.column_stack([data.X, data.y]).tolist(),
        "custom_regression": data.regression, "custom_box": list(data.box)}
    if not data.regression:
        partial["classes"] = data.classes
    notes = []
    if is_one_d(config.features):  # a curve-fitting scene's inputs: they would read x1 alone
        partial["features"] = ["x1", "x2"]
        notes.append(f"the input features are now x1, x2: the points are 2-D (they were "
                     f"{', '.join(config.features)})")
    output, why = _fitting_output(config.output, data)
    if output != config.output:
        partial.update(output=output, loss=None)
        notes.append(f"the output is now {output}, with its own loss: {why}")
    n = data.X.shape[0]
    n_train = n if config.train_ratio >= 1.0 else train_size(n, config.train_ratio)
    if config.batch_size > n_train:
        partial["batch_size"] = n_train
        notes.append(f"the batch size is now {n_train}, the whole training set (it was {config.batch_size})")
    return partial, notes


def _fitting_output(current: str, data: ImportedData) -> tuple[str, str]:
    """The output unit for ``data``: ``current`` when it fits, else the natural one; and why it changed."""
    if data.regression:
        lo, hi = float(np.min(data.y)), float(np.max(data.y))
        if current == "linear" or (current == "tanh" and lo >= -1.0 and hi <= 1.0):
            return current, ""
        reason = "tanh reaches only -1..1" if current == "tanh" else f"{current} is not a regression output"
        return "linear", f"the targets span {lo:g}..{hi:g} ({reason})"
    if data.classes > 2:
        return "softmax", f"{data.classes} classes need it ({current} gives one output)"
    return current, ""


# --- JSON -----------------------------------------------------------------------------------------------


def import_json(session: Session, text: str | bytes) -> Imported:
    """Restore a ``Session.export("json")`` file into ``session``: its config, every parameter and the step
    counter, exactly (the optimizer's state starts afresh). The whole file is checked on a session of its
    own before ``session`` changes; ImportFault names what was wrong."""
    return apply_json(session, check_json(type(session), text))


def check_json(session_type: type[Session], text: str | bytes) -> ExportFile:
    """The first half of ``import_json``, which needs no live session: the export read, its config built
    into a session of ``session_type`` of its own and its parameters set on that network, so that the
    second half cannot fail (ImportFault names what was wrong)."""
    return finish(check_json_steps(session_type, text))


def check_json_steps(session_type: type[Session], text: str | bytes) -> Generator[None, None, ExportFile]:
    """``check_json`` in pieces (the text parsed, the layout and config checked, the network built and its
    parameters set: ~10 ms each for the largest export), so that a server runs it a slice at a time."""
    doc = yield from _read_export_steps(text)
    try:
        probe = session_type(doc.config)
    except ConfigError as exc:
        raise ImportFault(f"config.{exc.field}", f"config.{exc}", config=True) from None
    yield
    try:
        probe.network.set_parameters(**doc.parameters)
    except FieldError as exc:
        raise ImportFault("parameters",
                          f"parameters: {exc} (the network the file's config builds)") from None
    except (ValueError, TypeError):
        raise ImportFault("parameters", "parameters: weights, biases and unit_params must be nested lists of "
                                        "numbers, as an export writes them") from None
    if doc.config.optimizer != "sgd" and doc.step > 0:  # plain SGD keeps no state: nothing is lost
        doc.notes.append(f"the {doc.config.optimizer} optimizer starts afresh: its running averages are not "
                         "in the file, so training on takes its own path from here")
    return doc


def apply_json(session: Session, doc: ExportFile) -> Imported:
    """The second half of ``import_json``: the checked export made the session's state."""
    session.rebuild(doc.config, doc.parameters, doc.step)
    d = session.data
    return Imported("json", len(d.train_y) + len(d.test_y), d.regression, d.classes, session.step_count,
                    doc.notes)


def read_export(text: str | bytes) -> ExportFile:
    """Check a JSON export's layout and config (not yet whether its parameters fit: ``import_json``).

    A file without ``format`` and ``version`` but with ``config`` and ``parameters`` was written before
    exports carried a version: it is read as version 1, whose layout it has, with a note saying so."""
    return finish(_read_export_steps(text))


def _read_export_steps(text: str | bytes) -> Generator[None, None, ExportFile]:
    doc = _load(text)
    yield
    if not isinstance(doc, dict):
        raise ImportFault("format", "not an MLP Playground export: expected a JSON object with format, "
                                    "version, config, step and parameters")
    notes = []
    if "format" not in doc and "version" not in doc and {"config", "parameters"} <= doc.keys():
        notes.append("the file has no version: it was read as version 1, the layout exports had before "
                     "they carried one")
    elif doc.get("format") != EXPORT_FORMAT:
        raise ImportFault("format", f'not an MLP Playground export: "format" is {doc.get("format")!r}, '
                                    f'expected "{EXPORT_FORMAT}"')
    elif type(doc.get("version")) is not int or doc["version"] != EXPORT_VERSION:
        raise ImportFault("version", f"the file is version {doc.get('version')!r}; this server reads "
                                     f"version {EXPORT_VERSION} exports")
    if not isinstance(doc.get("config"), dict):
        raise ImportFault("config", "config: expected the session's config as a JSON object")
    try:
        config = SessionConfig.model_validate(doc["config"])
    except ValidationError as exc:
        field_name, message = describe_validation_error(exc)
        raise ImportFault(f"config.{field_name}" if field_name else "config", f"config.{message}",
                          config=True) from None
    yield
    step = doc.get("step", 0)
    if type(step) is not int or not 0 <= step <= MAX_STEP:
        raise ImportFault("step", f"step: expected a whole number 0..2^53, got {step!r}")
    return ExportFile(config, _parameters(doc.get("parameters")), step, notes)


def _load(text: str | bytes) -> Any:
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8"))
    if size > MAX_JSON_BYTES:
        raise ImportFault("content",
                          f"the file is {size:,} bytes; the limit is {MAX_JSON_BYTES:,} bytes (4 MiB)")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFault("content",
                              f"the file is not UTF-8 text (byte {exc.start} cannot be read)") from None
    if not text.strip():
        raise ImportFault("content", "the file is empty: expected an MLP Playground export (JSON)")
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ImportFault("content", f"the file is not JSON: {exc.msg} at line {exc.lineno}, column "
                                     f"{exc.colno}", exc.lineno, exc.colno) from None
    except (RecursionError, ValueError):  # nested too deeply; a number past Python's 4,300 digits
        raise ImportFault("content", "the file is not JSON this server can read: nested too deeply, or a "
                                     "number too long") from None


def _parameters(params: Any) -> dict[str, Any]:
    """The ``parameters`` object: weights and biases (lists) and unit_params (a list of objects)."""
    if not isinstance(params, dict) or set(params) != set(_PARAMETER_KEYS):
        keys = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ImportFault("parameters", f"parameters: expected an object of weights, biases and unit_params, "
                                        f"got {keys}")
    if not (isinstance(params["weights"], list) and isinstance(params["biases"], list)
            and isinstance(params["unit_params"], list)
            and all(isinstance(p, dict) for p in params["unit_params"])):
        raise ImportFault("parameters", "parameters: weights and biases must be lists (one entry per layer), "
                                        "unit_params a list of objects")
    return {key: params[key] for key in _PARAMETER_KEYS}
