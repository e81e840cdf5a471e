"""Your own 2-D data from a CSV file: ``x1,x2,label`` (classification) or ``x1,x2,y`` (regression).

A header row is optional; when present its third name says what the column holds ("label"/"class" for
classes, "y"/"target"/"value" for a regression target), and a fourth column named "set" (what
``Session.export("csv")`` writes: train or test) is read past. Without one, a third column of whole numbers
0..5 is read as labels and anything else as a regression target; ``kind=`` overrides both. Commas,
semicolons or tabs separate the fields; blank lines and lines starting with ``#`` are skipped. Every error
names the row (as a spreadsheet numbers it, header included) and the column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .errors import FieldError

MAX_BYTES = 1 << 20  # 1 MiB: about 40,000 rows of three numbers, far above MAX_ROWS
MAX_ROWS = 5000  # as many points as a generated data set may have
MIN_ROWS = 4
MAX_LABEL = 5  # labels 0..5: six classes, the most the page colours apart
MAX_COORD = 1e6  # coordinates beyond this are refused: the maps are float32 grids over the points' box
_LABEL_NAMES = {"label", "labels", "class", "classes", "category"}
_TARGET_NAMES = {"y", "target", "value", "t", "output"}
_COLUMNS = ("x1", "x2")


class CsvError(FieldError):
    """A CSV that cannot be read (its ``field`` is ``content``, the file's text); ``row`` (1-based, as in a
    spreadsheet) and ``column`` (1-based) say where, when the fault is in one place."""

    def __init__(self, message: str, row: int | None = None, column: int | None = None):
        super().__init__("content", message)
        self.row, self.column = row, column


@dataclass(frozen=True)
class ImportedData:
    """Parsed points: ``X`` ``(n, 2)``, ``y`` ``(n,)`` (int64 labels 0..classes-1, or float targets with
    ``classes`` 0, as a regression ``Dataset`` has), ``box`` a square ``(lo, hi)`` holding every point with a
    margin, ``notes`` what was assumed."""

    X: NDArray[np.float64]
    y: NDArray[np.float64] | NDArray[np.int64]
    regression: bool
    classes: int
    box: tuple[float, float]
    notes: list[str] = field(default_factory=list)


def parse_csv(text: str | bytes, kind: Literal["auto", "classification", "regression"] = "auto",
              max_rows: int = MAX_ROWS) -> ImportedData:
    """Read CSV text (str, or UTF-8 bytes) into points. Raises CsvError naming the row and column."""
    if kind not in ("auto", "classification", "regression"):
        raise FieldError("kind", f"kind must be 'auto', 'classification' or 'regression', got {kind!r}")
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise CsvError(f"the file is {len(text):,} bytes; the limit is {MAX_BYTES:,} bytes (1 MiB)")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsvError(f"the file is not UTF-8 text (byte {exc.start} cannot be read)") from None
    elif (size := len(text.encode("utf-8"))) > MAX_BYTES:
        raise CsvError(f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (1 MiB)")
    text = text.removeprefix("\ufeff")
    lines = [(i + 1, line) for i, line in enumerate(text.splitlines())
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise CsvError("the file has no rows: expected x1,x2,label or x1,x2,y")
    delimiter = _delimiter(lines[0][1])
    rows = [(number, [f.strip() for f in _fields(line, delimiter)]) for number, line in lines]
    header_kind: str | None = None
    columns = 3
    notes: list[str] = []
    first_number, first = rows[0]
    if first and not _is_number(first[0]):
        header_kind = _header_kind(first_number, first)
        rows = rows[1:]
        if len(first) == 4:
            columns = 4
            notes.append("the 'set' column was read past: the session draws its own train/test split")
    if len(rows) > max_rows:
        raise CsvError(f"the file has {len(rows):,} data rows; the limit is {max_rows:,}")
    if len(rows) < MIN_ROWS:
        raise CsvError(f"the file has {len(rows)} data row(s); at least {MIN_ROWS} are needed")
    for number, fields in rows:
        if len(fields) != columns:
            names = "x1, x2, label or y" + (", set" if columns == 4 else "")
            raise CsvError(f"row {number}: expected {columns} columns ({names}), got {len(fields)}",
                           row=number)
    values = _values(rows)
    X = np.ascontiguousarray(values[:, :2])
    third = values[:, 2]
    wanted = kind if kind != "auto" else header_kind
    if wanted is None:
        wanted = "classification" if _all_labels(third) or _plus_minus_one(third) else "regression"
        read_as = "labels" if wanted == "classification" else "a regression target"
        notes.append(f"no header: the third column was read as {read_as}")
    if wanted == "regression":
        return ImportedData(X, third.copy(), True, 0, _box(X), notes)
    return _classification(X, third, [number for number, _ in rows], notes)


def _classification(X: NDArray[np.float64], third: NDArray[np.float64], numbers: list[int],
                    notes: list[str]) -> ImportedData:
    if _plus_minus_one(third) and not _all_labels(third):
        notes.append("labels -1 and +1 were read as classes 0 and 1")
        labels = (third > 0).astype(np.int64)
    else:
        for value, number in zip(third, numbers, strict=True):
            if not (float(value).is_integer() and 0 <= value <= MAX_LABEL):
                raise CsvError(f"row {number}, column 3 (label): labels must be whole numbers 0 to "
                               f"{MAX_LABEL}, got {_show(value)}", row=number, column=3)
        labels = third.astype(np.int64)
    classes = max(2, int(labels.max()) + 1)
    if np.unique(labels).size < 2:
        raise CsvError(f"every row has label {int(labels[0])}: a classifier needs at least two classes")
    return ImportedData(X, labels, False, classes, _box(X), notes)


def _fields(line: str, delimiter: str) -> list[str]:
    """One line's fields: split at the delimiter, or read by the csv module when the line quotes a field
    (one line at a time, so that an unclosed quote cannot swallow the lines after it)."""
    if '"' not in line:
        return line.split(delimiter)
    return next(csv.reader([line], delimiter=delimiter), [])


def _values(rows: list[tuple[int, list[str]]]) -> NDArray[np.float64]:
    """The first three fields of every row as numbers ``(n, 3)``: in bulk when all are finite numbers with
    coordinates within the limit (5,000 rows in ~3 ms, not ~30 ms a cell at a time), else cell by cell
    until the first cell at fault, which ``_number`` names."""
    try:
        values = np.array([fields[:3] for _, fields in rows], dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and np.isfinite(values).all() and (np.abs(values[:, :2]) <= MAX_COORD).all():
        return values
    values = np.empty((len(rows), 3))
    for i, (number, fields) in enumerate(rows):
        for j, raw in enumerate(fields[:3]):
            values[i, j] = _number(raw, number, j)
    return values


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_kind(number: int, names: list[str]) -> str:
    if len(names) == 4 and names[3].lower() != "set":
        raise CsvError(f"row {number} (header), column 4: only a 'set' column may follow x1, x2 and the "
                       f"label or y, got {names[3]!r}", row=number, column=4)
    if len(names) not in (3, 4):
        raise CsvError(f"row {number} (header): expected 3 column names (x1, x2, label or y), got "
                       f"{len(names)}", row=number)
    for j, name in enumerate(names[:2]):
        if _is_number(name):
            raise CsvError(f"row {number} (header), column {j + 1}: a header names every column; "
                           f"got the number {name!r}", row=number, column=j + 1)
    third = names[2].lower()
    if third in _LABEL_NAMES:
        return "classification"
    if third in _TARGET_NAMES:
        return "regression"
    raise CsvError(f"row {number} (header), column 3: name it 'label' for classes or 'y' for a "
                   f"regression target, got {names[2]!r}", row=number, column=3)


def _number(raw: str, row: int, col: int) -> float:
    name = (*_COLUMNS, "label or y")[col]
    try:
        value = float(raw)
    except ValueError:
        raise CsvError(f"row {row}, column {col + 1} ({name}): {raw[:40]!r} is not a number",
                       row=row, column=col + 1) from None
    if not math.isfinite(value):
        raise CsvError(f"row {row}, column {col + 1} ({name}): {raw!r} is not a finite number",
                       row=row, column=col + 1)
    if col < 2 and abs(value) > MAX_COORD:
        raise CsvError(f"row {row}, column {col + 1} ({name}): {raw[:40]!r} is beyond the plot's limit "
                       f"of ±{MAX_COORD:,.0f}", row=row, column=col + 1)
    return value


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def _all_labels(values: NDArray[np.float64]) -> bool:
    return bool(np.all((values == np.round(values)) & (values >= 0) & (values <= MAX_LABEL)))


def _plus_minus_one(values: NDArray[np.float64]) -> bool:
    return bool(np.all((values == 1.0) | (values == -1.0)))


def _box(X: NDArray[np.float64]) -> tuple[float, float]:
    """The view box (one interval for both axes, as every data set has): every coordinate with 5% of the
    span as margin on each side; a single point gets a box of width 2 around it."""
    lo, hi = float(X.min()), float(X.max())
    margin = 0.05 * (hi - lo) if hi > lo else 1.0
    return (lo - margin, hi + margin)


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
