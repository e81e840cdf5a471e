"""Datasets of the playground: TensorFlow Playground's sets, a few more, 1-D function fitting, user points.

Pure NumPy. Every random draw comes from the ``numpy.random.Generator`` passed in (never the global RNG),
so a session's seed reproduces its data bit for bit. Classification labels are ``0..K-1`` (TensorFlow
Playground's -1/+1 become 0/1); regression targets are floats.

This module holds the table of sets (``DATASETS``), the argument checks and ``make_dataset``/``split``;
the shapes themselves are drawn in ``generators`` (TensorFlow Playground's definitions, ours beside them).

``noise`` is a fraction in [0, 0.5], TensorFlow Playground's slider value / 100.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, SupportsFloat, SupportsIndex, TypeGuard

import numpy as np

from . import generators as gen
from .errors import FieldError
from .generators import BOX_2D as BOX_2D
from .generators import MAX_NOISE as MAX_NOISE
from .generators import GenerateFn

MIN_POINTS = 2
MAX_POINTS = 10_000
MIN_CLASSES = 2
MAX_CLASSES = 6

KINDS = ("classification", "regression", "function")


@dataclass(frozen=True, eq=False)
class Dataset:
    """One data set.

    ``X``: ``(n, d)`` float64, ``d = 2`` (or 1 for 1-D function fitting). ``y``: ``(n,)``, int64 class
    labels ``0..classes-1`` for classification, float64 targets for regression. ``classes`` is 0 for
    regression. ``box = (lo, hi)`` is the square view box (both axes; the x axis for 1-D sets).
    """

    X: np.ndarray
    y: np.ndarray
    regression: bool
    classes: int
    box: tuple[float, float]
    name: str

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.X.shape[1] not in (1, 2) or self.X.dtype != np.float64:
            raise FieldError("X", f"X: expected a float64 array of shape (n, 1) or (n, 2), got "
                             f"{self.X.dtype} {self.X.shape}")
        if self.y.shape != (self.X.shape[0],):
            raise FieldError("y", f"y: expected shape ({self.X.shape[0]},), got {self.y.shape}")
        if self.regression:
            if self.y.dtype != np.float64 or self.classes != 0:
                raise FieldError("y", "y: regression targets must be float64 with classes = 0")
        elif self.y.dtype != np.int64 or self.classes < 1:
            raise FieldError("y", "y: class labels must be int64 with classes >= 1")
        if not self.box[0] < self.box[1]:
            raise FieldError("box", f"box: expected lo < hi, got {self.box}")

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def dims(self) -> int:
        return int(self.X.shape[1])


@dataclass(frozen=True)
class DatasetSpec:
    """What the UI needs to know about one entry of ``DATASETS``.

    ``takes`` lists the arguments of ``make_dataset`` that apply ("n", "noise", "classes", "points",
    "regression", "box");
    the others are range-checked and then ignored, so the UI can grey their controls out.
    ``default_n`` is None for "user" (as many as given). ``classes`` is the default class count (0 for
    regression); ``class_range`` the adjustable range, or None when fixed.
    """

    name: str
    kind: str
    description: str
    default_n: int | None
    classes: int
    takes: frozenset[str]
    class_range: tuple[int, int] | None = None
    box: tuple[float, float] = BOX_2D
    dims: int = 2
    generate: GenerateFn | None = field(default=None, repr=False, compare=False)

    @property
    def regression(self) -> bool:
        return self.kind != "classification"

    @property
    def adjustable_classes(self) -> bool:
        return self.class_range is not None


# ---------------------------------------------------------------------------------------------------
# Registry

_ALL = frozenset({"n", "noise"})
_K = frozenset({"n", "noise", "classes"})

DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in [
        DatasetSpec("circle", "classification", "A disc of one class inside a ring of the other.",
                    500, 2, _ALL, generate=gen.circle),
        DatasetSpec("xor", "classification", "Four quadrants: the class is the sign of x1 * x2.",
                    500, 2, _ALL, generate=gen.xor),
        DatasetSpec("gauss", "classification", "Two Gaussian clouds; noise widens them until they overlap.",
                    500, 2, _ALL, generate=gen.gauss),
        DatasetSpec("spiral", "classification", "Two interleaved spiral arms.", 500, 2, _ALL,
                    generate=gen.spiral),
        DatasetSpec("moons", "classification", "Two interleaved half circles.", 500, 2, _ALL,
                    generate=gen.moons),
        DatasetSpec("checkerboard", "classification", "A 4 x 4 checkerboard of two classes.", 500, 2, _ALL,
                    generate=gen.checkerboard),
        DatasetSpec("spirals", "classification", "K interleaved spiral arms, one class each.", 500, 3, _K,
                    class_range=(MIN_CLASSES, MAX_CLASSES), generate=gen.spirals),
        DatasetSpec("blobs", "classification", "K Gaussian blobs on a circle, one class each.", 500, 3, _K,
                    class_range=(MIN_CLASSES, MAX_CLASSES), generate=gen.blobs),
        DatasetSpec("xor4", "classification", "The lecture's four XOR points (0,0), (0,1), (1,0), (1,1).",
                    4, 2, frozenset(), box=(-0.5, 1.5), generate=gen.xor4),
        DatasetSpec("user", "classification", "Points you place yourself, or a CSV file of yours.", None, 2,
                    frozenset({"classes", "points", "regression", "box"}),
                    class_range=(MIN_CLASSES, MAX_CLASSES)),
        DatasetSpec("reg-plane", "regression", "Regression: the target is (x1 + x2) / 10.", 1200, 0, _ALL,
                    generate=gen.reg_plane),
        DatasetSpec("reg-gauss", "regression", "Regression: six signed cones, +1 and -1 alternating.",
                    1200, 0, _ALL, generate=gen.reg_gauss),
        DatasetSpec("sine", "function", "Fit y = sin(x) on [-6, 6].", 200, 0, _ALL, dims=1,
                    generate=gen.function(gen.FUNCTIONS["sine"])),
        DatasetSpec("step", "function", "Fit the step y = 1 for x >= 0, else 0.", 200, 0, _ALL, dims=1,
                    generate=gen.function(gen.FUNCTIONS["step"])),
        DatasetSpec("abs", "function", "Fit y = |x| / 6.", 200, 0, _ALL, dims=1,
                    generate=gen.function(gen.FUNCTIONS["abs"])),
        DatasetSpec("bump", "function", "Fit the smooth bump y = exp(-x^2 / (2 * 1.5^2)).", 200, 0, _ALL,
                    dims=1, generate=gen.function(gen.FUNCTIONS["bump"])),
    ]
}


# ---------------------------------------------------------------------------------------------------
# Argument checks: every message starts with the argument's name.


def _is_real(v: object) -> TypeGuard[SupportsFloat]:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_integer(v: object) -> TypeGuard[SupportsIndex]:
    # numbers.Integral (Python and NumPy integers) all have __index__
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    number = operator.index(value) if _is_integer(value) else None
    if number is None or not lo <= number <= hi:
        raise FieldError(name, f"{name}: must be an integer in {lo}..{hi}, got {value!r}")
    return number


def _check_noise(noise: object) -> float:
    if not _is_real(noise) or not 0.0 <= float(noise) <= MAX_NOISE:
        raise FieldError("noise", f"noise: must be a number in [0, {MAX_NOISE}], got {noise!r}")
    return float(noise)


def get_spec(name: object) -> DatasetSpec:
    """The registry entry of ``name``; ValueError naming the argument ``dataset`` if unknown."""
    spec = DATASETS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise FieldError("dataset", f"dataset: unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return spec


def _user_points(points: object, classes: int | None,
                 regression: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """``points`` as ``X`` ``(n, 2)``, ``y`` ``(n,)`` (int64 labels, or float64 targets when ``regression``)
    and the class count (0 for regression)."""
    if points is None or isinstance(points, str | bytes | dict):
        raise FieldError("points", "points: the 'user' dataset needs a list of (x1, x2, label)")
    try:
        rows = list(points)  # type: ignore[call-overload]
    except TypeError:
        raise FieldError("points",
                         f"points: expected a list of (x1, x2, label), got {type(points).__name__}") from None
    if not MIN_POINTS <= len(rows) <= MAX_POINTS:
        raise FieldError("points", f"points: need {MIN_POINTS}..{MAX_POINTS} points, got {len(rows)}")
    plain = _plain_rows(rows, regression)
    if plain is not None:
        X, y = plain
    else:  # something is wrong: find the first point at fault, to name it
        X, y = _checked_rows(rows, regression)
    if regression:
        return X, y, 0
    needed = max(MIN_CLASSES, int(y.max()) + 1)
    if classes is None:
        classes = needed
    elif classes < needed:
        raise FieldError("classes",
                         f"classes: the points use labels up to {needed - 1}, so classes must be at least "
                         f"{needed}, got {classes}")
    return X, y, classes


_PLAIN_NUMBERS = frozenset({float, int, np.float64, np.int64})


def _plain_rows(rows: list[Any], regression: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """The points checked in bulk when every one is a list or tuple of three plain numbers (what a config
    or a CSV gives: 5,000 points in ~2 ms rather than ~25 ms one by one), else None."""
    if not all(type(row) in (list, tuple) and len(row) == 3 for row in rows):
        return None
    if not {type(v) for row in rows for v in row} <= _PLAIN_NUMBERS:
        return None
    try:
        values = np.array(rows, dtype=np.float64)
    except OverflowError:  # an integer beyond float range
        return None
    X, labels = np.ascontiguousarray(values[:, :2]), values[:, 2]
    if not np.isfinite(X).all():
        return None
    if regression:
        return (X, labels) if np.isfinite(labels).all() else None
    if not ((labels == np.round(labels)) & (labels >= 0) & (labels < MAX_CLASSES)).all():
        return None
    return X, labels.astype(np.int64)


def _checked_rows(rows: list[Any], regression: bool) -> tuple[np.ndarray, np.ndarray]:
    """The points one by one; the first that is wrong raises a FieldError naming it."""
    X = np.empty((len(rows), 2))
    y = np.empty(len(rows), dtype=np.float64 if regression else np.int64)
    for i, row in enumerate(rows):
        try:
            x1, x2, label = row
        except (TypeError, ValueError):
            raise FieldError("points", f"points[{i}]: expected (x1, x2, label), got {row!r}") from None
        if not (_is_real(x1) and _is_real(x2) and math.isfinite(x1) and math.isfinite(x2)):
            raise FieldError("points",
                             f"points[{i}]: coordinates must be finite numbers, got ({x1!r}, {x2!r})")
        X[i] = x1, x2
        if regression:
            if not (_is_real(label) and math.isfinite(label)):
                raise FieldError("points", f"points[{i}]: a regression target must be a finite number, "
                                           f"got {label!r}")
            y[i] = float(label)
            continue
        integral = _is_integer(label) or (_is_real(label) and float(label).is_integer())
        if not integral or not 0 <= label < MAX_CLASSES:
            raise FieldError("points",
                             f"points[{i}]: label must be an integer in 0..{MAX_CLASSES - 1}, got {label!r}")
        y[i] = int(label)
    return X, y


def _check_box(box: object) -> tuple[float, float] | None:
    """A view box ``(lo, hi)`` of finite numbers with lo < hi, or None (the set's own box)."""
    if box is None:
        return None
    ends: list[object] = list(box) if isinstance(box, tuple | list) else []
    if len(ends) != 2:
        raise FieldError("box", f"box: expected (lo, hi), got {box!r}")
    lo, hi = (float(v) if _is_real(v) else math.nan for v in ends)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise FieldError("box", f"box: expected finite numbers lo < hi, got ({ends[0]!r}, {ends[1]!r})")
    return lo, hi


# ---------------------------------------------------------------------------------------------------
# Public API


def make_dataset(name: str, rng: np.random.Generator, n: int | None = None, noise: float = 0.0,
                 classes: int | None = None, points: Iterable[Any] | None = None, regression: bool = False,
                 box: Sequence[float] | None = None) -> Dataset:
    """Generate the data set ``name`` (a key of ``DATASETS``) drawing only from ``rng``.

    ``n``: number of points (default: the set's ``default_n``); ``noise``: fraction in [0, 0.5];
    ``classes``: K for the sets with ``class_range`` (default: the set's ``classes``); ``points``: for
    "user", a list of ``(x1, x2, label)`` with finite coordinates and labels 0..5, or with ``regression``
    ``(x1, x2, y)`` with any finite target y; ``box``: for "user", the view box ``(lo, hi)`` (None: the
    points editor's ``BOX_2D``). Arguments a set does not take (see ``DatasetSpec.takes``) are
    range-checked and ignored. Raises ValueError whose message starts with the name of the argument at
    fault.
    """
    spec = get_spec(name)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    noise = _check_noise(noise)
    if n is not None:
        n = _check_int("n", n, MIN_POINTS, MAX_POINTS)
    if classes is not None:
        classes = _check_int("classes", classes, MIN_CLASSES, MAX_CLASSES)

    user_box = _check_box(box)
    if spec.name == "user":
        X, y, k = _user_points(points, classes, bool(regression))
        return Dataset(X, y, regression=bool(regression), classes=k, box=user_box or spec.box, name=spec.name)

    k = spec.classes
    if classes is not None and spec.class_range is not None:
        lo, hi = spec.class_range
        k = _check_int("classes", classes, lo, hi)
    count = n if n is not None and "n" in spec.takes else spec.default_n
    assert count is not None and spec.generate is not None  # only "user" lacks them
    if count < k:
        raise FieldError("n", f"n: {k} classes need at least {k} points, got {count}")
    X, y = spec.generate(rng, count, noise if "noise" in spec.takes else 0.0, k)
    return Dataset(np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y),
                   regression=spec.regression, classes=k, box=spec.box, name=spec.name)


def split(dataset: Dataset, train_ratio: float, rng: np.random.Generator) -> tuple[Dataset, Dataset]:
    """Shuffle and cut into (train, test): train has round(n * train_ratio) points (halves round up),
    kept between 1 and n - 1 so both parts are non-empty (a ratio of 1 leaves one test point).
    ``train_ratio`` in (0, 1]."""
    if not _is_real(train_ratio) or not 0.0 < float(train_ratio) <= 1.0:
        raise FieldError("train_ratio", f"train_ratio: must be a number in (0, 1], got {train_ratio!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    n = dataset.n
    if n < 2:
        raise FieldError("dataset", f"dataset: needs at least 2 points to split, has {n}")
    n_train = train_size(n, float(train_ratio))
    order = rng.permutation(n)

    def part(idx: np.ndarray) -> Dataset:
        return Dataset(dataset.X[idx], dataset.y[idx], regression=dataset.regression,
                       classes=dataset.classes, box=dataset.box, name=dataset.name)

    return part(order[:n_train]), part(order[n_train:])


def train_size(n: int, train_ratio: float) -> int:
    """How many of ``n >= 2`` points ``split`` puts in the training set: round(n * train_ratio), halves
    rounding up, kept between 1 and n - 1."""
    # Halves round up (Python's round() sends them to the even neighbour), and the product is first
    # rounded to 9 decimals so that 45 * 0.7 = 31.499999999999996 counts as the half it stands for.
    return min(max(math.floor(round(n * train_ratio, 9) + 0.5), 1), n - 1)
