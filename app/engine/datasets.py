"""Datasets of the playground: TensorFlow Playground's sets, a few more, 1-D function fitting, user points.

Pure NumPy. Every random draw comes from the ``numpy.random.Generator`` passed in (never the global RNG),
so a session's seed reproduces its data bit for bit. Classification labels are ``0..K-1`` (TensorFlow
Playground's -1/+1 become 0/1); regression targets are floats.

TensorFlow Playground's sets (circle, xor, gauss, spiral, reg-plane, reg-gauss) follow the definitions of
its ``src/dataset.ts``: the same shapes, radii, paddings and noise scales. Where its noise moves the point
used for labelling but not the drawn point (circle, xor, reg-*), ours does the same, and every set draws
its noise whatever the noise level, so moving the noise slider with a fixed seed changes labels or spreads
points but never reshuffles the data.

``noise`` is a fraction in [0, 0.5], TensorFlow Playground's slider value / 100.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .errors import FieldError

BOX_2D = (-6.0, 6.0)
MIN_POINTS = 2
MAX_POINTS = 10_000
MAX_NOISE = 0.5
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


Pair = tuple[np.ndarray, np.ndarray]
# A generator maps (rng, n, noise, classes) to (X, y); it gets arguments already validated.
GenerateFn = Callable[[np.random.Generator, int, float, int], Pair]


@dataclass(frozen=True)
class DatasetSpec:
    """What the UI needs to know about one entry of ``DATASETS``.

    ``takes`` lists the arguments of ``make_dataset`` that apply ("n", "noise", "classes", "points");
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
# Generators


def _halves(n: int) -> tuple[int, int]:
    """Two class sizes that add up to n (TF Playground makes n/2 of each)."""
    return n - n // 2, n // 2


def _class_counts(n: int, k: int) -> np.ndarray:
    """k class sizes that add up to n and differ by at most one."""
    counts = np.full(k, n // k, dtype=np.int64)
    counts[: n % k] += 1
    return counts


def _labels(counts: Iterable[int], classes: Iterable[int]) -> np.ndarray:
    return np.repeat(np.asarray(list(classes), dtype=np.int64), np.asarray(list(counts), dtype=np.int64))


def _gauss_variance(noise: float) -> float:
    # TF Playground: d3 linear scale from noise [0, 0.5] to variance [0.5, 4].
    return 0.5 + noise / MAX_NOISE * (4.0 - 0.5)


def _circle(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Class 1 (TF's +1) inside radius 2.5, class 0 in the band 3.5..5; the radius is uniform (not the
    # area), as in TF. Noise shifts the point that is labelled, not the drawn point.
    radius = 5.0
    n_in, n_out = _halves(n)
    r = np.concatenate([rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    angle = rng.uniform(0.0, 2.0 * math.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    shifted = X + rng.uniform(-radius, radius, (n, 2)) * noise
    y = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return X, y


def _xor(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Uniform in [-5, 5]^2, pushed 0.3 away from both axes; class 1 where x1 * x2 >= 0 (TF's +1).
    padding = 0.3
    X = rng.uniform(-5.0, 5.0, (n, 2))
    X += np.where(X > 0, padding, -padding)
    shifted = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return X, y


def _gauss(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Class 1 around (2, 2), class 0 around (-2, -2); noise widens both (variance 0.5 .. 4).
    n_pos, n_neg = _halves(n)
    centers = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [n_pos, n_neg], axis=0)
    X = centers + math.sqrt(_gauss_variance(noise)) * rng.standard_normal((n, 2))
    return X, _labels([n_pos, n_neg], [1, 0])


def _arms(rng: np.random.Generator, counts: np.ndarray, offsets: np.ndarray, noise: float) -> np.ndarray:
    """Spiral arms as in TF Playground: point i of m on an arm has r = 5 i / m and angle
    1.75 * 2 pi * i / m + offset, at (r sin t, r cos t); noise adds U(-1, 1) * noise to each coordinate."""
    parts = []
    for m, offset in zip(counts, offsets, strict=True):
        frac = np.arange(m) / m
        r = 5.0 * frac
        t = 1.75 * 2.0 * math.pi * frac + offset
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    X = np.concatenate(parts)
    return X + rng.uniform(-1.0, 1.0, X.shape) * noise


def _spiral(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Two arms half a turn apart: offset 0 is class 1 (TF's +1), offset pi class 0.
    counts = np.array(_halves(n))
    X = _arms(rng, counts, np.array([0.0, math.pi]), noise)
    return X, _labels(counts, [1, 0])


def _spirals(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # K arms evenly spaced in angle; arm k is class k. K = 2 has TF's spiral geometry.
    counts = _class_counts(n, classes)
    X = _arms(rng, counts, 2.0 * math.pi * np.arange(classes) / classes, noise)
    return X, _labels(counts, range(classes))


MOON_SCALE = 3.5


def _moons(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Two interleaved half circles of radius 1: class 0 is (cos t, sin t), class 1 is
    # (1 - cos t, 1/2 - sin t), t in [0, pi]; centred and scaled by 3.5 to fill the box. Noise is a
    # Gaussian displacement with standard deviation `noise` in the moons' own units.
    n0, n1 = _halves(n)
    t = rng.uniform(0.0, math.pi, n)
    upper = np.column_stack([np.cos(t[:n0]), np.sin(t[:n0])])
    lower = np.column_stack([1.0 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])])
    P = np.concatenate([upper, lower]) - np.array([0.5, 0.25])
    X = MOON_SCALE * (P + noise * rng.standard_normal((n, 2)))
    return X, _labels([n0, n1], [0, 1])


CHECKER_CELL = 3.0  # a 4 x 4 board over [-6, 6]^2


def _checker_parity(X: np.ndarray) -> np.ndarray:
    cells = np.floor((X - BOX_2D[0]) / CHECKER_CELL).astype(np.int64)
    return (cells[:, 0] + cells[:, 1]) % 2


def _checkerboard(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Class c fills the cells (i, j) with (i + j) % 2 == c: each point picks one of its class's 8 cells
    # and a uniform position inside, so the classes are exactly balanced. Noise shifts the point that is
    # labelled by up to `noise` cells, as TF does for xor.
    side = round((BOX_2D[1] - BOX_2D[0]) / CHECKER_CELL)
    grid = np.array([(i, j) for i in range(side) for j in range(side)])
    cells_of = [grid[(grid.sum(axis=1) % 2) == c] for c in (0, 1)]
    counts = _halves(n)
    labels = _labels(counts, [0, 1])
    pick = rng.integers(0, len(cells_of[0]), n)
    cells = np.concatenate([cells_of[c][pick[labels == c]] for c in (0, 1)])
    X = BOX_2D[0] + (cells + rng.uniform(0.0, 1.0, (n, 2))) * CHECKER_CELL
    shifted = X + rng.uniform(-CHECKER_CELL, CHECKER_CELL, (n, 2)) * noise
    return X, _checker_parity(shifted)


BLOB_RADIUS = 4.0


def _blob_centers(k: int) -> np.ndarray:
    """k centres evenly spaced on a circle of radius 4, the first at the top."""
    angle = math.pi / 2 + 2.0 * math.pi * np.arange(k) / k
    return BLOB_RADIUS * np.column_stack([np.cos(angle), np.sin(angle)])


def _blobs(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # One isotropic Gaussian per class, with TF's gauss variance scale (0.5 .. 4 as noise goes 0 .. 0.5).
    y = _labels(_class_counts(n, classes), range(classes))
    X = _blob_centers(classes)[y] + math.sqrt(_gauss_variance(noise)) * rng.standard_normal((n, 2))
    return X, y


def _xor4(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # The lecture's four points, exactly; nothing random.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0], dtype=np.int64)


def _uniform_box_with_label_noise(rng: np.random.Generator, n: int, noise: float) -> Pair:
    """TF's regression sampling: points uniform in [-6, 6]^2 and the point used for the target shifted by
    U(-6, 6) * noise per coordinate."""
    radius = 6.0
    X = rng.uniform(-radius, radius, (n, 2))
    return X, X + rng.uniform(-radius, radius, (n, 2)) * noise


def _reg_plane(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Target (x1 + x2) / 10: TF's linear scale from [-10, 10] to [-1, 1], not clamped.
    X, shifted = _uniform_box_with_label_noise(rng, n, noise)
    return X, (shifted[:, 0] + shifted[:, 1]) / 10.0


REG_GAUSSIANS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                          [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])


def _reg_gauss(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Six signed cones of radius 2 (height clamp(1 - d / 2, 0, 1)); the target is the signed height of
    # the cone that is largest in absolute value, the first one on ties, 0 outside all of them.
    X, shifted = _uniform_box_with_label_noise(rng, n, noise)
    d = np.hypot(shifted[:, :1] - REG_GAUSSIANS[:, 0], shifted[:, 1:] - REG_GAUSSIANS[:, 1])
    heights = REG_GAUSSIANS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)
    # argmax takes the first maximum, TF's tie rule; outside all cones that is the first (+1) cone, so
    # the target is 0.0 (never -0.0).
    pick = np.argmax(np.abs(heights), axis=1)
    return X, heights[np.arange(n), pick]


BUMP_WIDTH = 1.5

FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": np.sin,
    "step": lambda x: (x >= 0).astype(np.float64),
    "abs": lambda x: np.abs(x) / BOX_2D[1],
    "bump": lambda x: np.exp(-0.5 * (x / BUMP_WIDTH) ** 2),
}


def _function(f: Callable[[np.ndarray], np.ndarray]) -> GenerateFn:
    """1-D function fitting: x uniform in the box, target f(x) plus Gaussian noise of std `noise`."""

    def generate(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
        x = rng.uniform(BOX_2D[0], BOX_2D[1], n)
        y = f(x) + noise * rng.standard_normal(n)
        return x[:, None], y

    return generate


# ---------------------------------------------------------------------------------------------------
# Registry

_ALL = frozenset({"n", "noise"})
_K = frozenset({"n", "noise", "classes"})

DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in [
        DatasetSpec("circle", "classification", "A disc of one class inside a ring of the other.",
                    500, 2, _ALL, generate=_circle),
        DatasetSpec("xor", "classification", "Four quadrants: the class is the sign of x1 * x2.",
                    500, 2, _ALL, generate=_xor),
        DatasetSpec("gauss", "classification", "Two Gaussian clouds; noise widens them until they overlap.",
                    500, 2, _ALL, generate=_gauss),
        DatasetSpec("spiral", "classification", "Two interleaved spiral arms.", 500, 2, _ALL,
                    generate=_spiral),
        DatasetSpec("moons", "classification", "Two interleaved half circles.", 500, 2, _ALL,
                    generate=_moons),
        DatasetSpec("checkerboard", "classification", "A 4 x 4 checkerboard of two classes.", 500, 2, _ALL,
                    generate=_checkerboard),
        DatasetSpec("spirals", "classification", "K interleaved spiral arms, one class each.", 500, 3, _K,
                    class_range=(MIN_CLASSES, MAX_CLASSES), generate=_spirals),
        DatasetSpec("blobs", "classification", "K Gaussian blobs on a circle, one class each.", 500, 3, _K,
                    class_range=(MIN_CLASSES, MAX_CLASSES), generate=_blobs),
        DatasetSpec("xor4", "classification", "The lecture's four XOR points (0,0), (0,1), (1,0), (1,1).",
                    4, 2, frozenset(), box=(-0.5, 1.5), generate=_xor4),
        DatasetSpec("user", "classification", "Points you place yourself.", None, 2,
                    frozenset({"classes", "points"}), class_range=(MIN_CLASSES, MAX_CLASSES)),
        DatasetSpec("reg-plane", "regression", "Regression: the target is (x1 + x2) / 10.", 1200, 0, _ALL,
                    generate=_reg_plane),
        DatasetSpec("reg-gauss", "regression", "Regression: six signed cones, +1 and -1 alternating.",
                    1200, 0, _ALL, generate=_reg_gauss),
        DatasetSpec("sine", "function", "Fit y = sin(x) on [-6, 6].", 200, 0, _ALL, dims=1,
                    generate=_function(FUNCTIONS["sine"])),
        DatasetSpec("step", "function", "Fit the step y = 1 for x >= 0, else 0.", 200, 0, _ALL, dims=1,
                    generate=_function(FUNCTIONS["step"])),
        DatasetSpec("abs", "function", "Fit y = |x| / 6.", 200, 0, _ALL, dims=1,
                    generate=_function(FUNCTIONS["abs"])),
        DatasetSpec("bump", "function", "Fit the smooth bump y = exp(-x^2 / (2 * 1.5^2)).", 200, 0, _ALL,
                    dims=1, generate=_function(FUNCTIONS["bump"])),
    ]
}


# ---------------------------------------------------------------------------------------------------
# Argument checks: every message starts with the argument's name.


def _is_real(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_integer(v: object) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if not _is_integer(value) or not lo <= value <= hi:
        raise FieldError(name, f"{name}: must be an integer in {lo}..{hi}, got {value!r}")
    return int(value)


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


def _user_points(points: object, classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    if points is None or isinstance(points, str | bytes | dict):
        raise FieldError("points", "points: the 'user' dataset needs a list of (x1, x2, label)")
    try:
        rows = list(points)  # type: ignore[call-overload]
    except TypeError:
        raise FieldError("points",
                         f"points: expected a list of (x1, x2, label), got {type(points).__name__}") from None
    if not MIN_POINTS <= len(rows) <= MAX_POINTS:
        raise FieldError("points", f"points: need {MIN_POINTS}..{MAX_POINTS} points, got {len(rows)}")
    X = np.empty((len(rows), 2))
    y = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        try:
            x1, x2, label = row
        except (TypeError, ValueError):
            raise FieldError("points", f"points[{i}]: expected (x1, x2, label), got {row!r}") from None
        if not (_is_real(x1) and _is_real(x2) and math.isfinite(x1) and math.isfinite(x2)):
            raise FieldError("points",
                             f"points[{i}]: coordinates must be finite numbers, got ({x1!r}, {x2!r})")
        integral = _is_integer(label) or (_is_real(label) and float(label).is_integer())
        if not integral or not 0 <= label < MAX_CLASSES:
            raise FieldError("points",
                             f"points[{i}]: label must be an integer in 0..{MAX_CLASSES - 1}, got {label!r}")
        X[i] = x1, x2
        y[i] = int(label)
    needed = max(MIN_CLASSES, int(y.max()) + 1)
    if classes is None:
        classes = needed
    elif classes < needed:
        raise FieldError("classes",
                         f"classes: the points use labels up to {needed - 1}, so classes must be at least "
                         f"{needed}, got {classes}")
    return X, y, classes


# ---------------------------------------------------------------------------------------------------
# Public API


def make_dataset(name: str, rng: np.random.Generator, n: int | None = None, noise: float = 0.0,
                 classes: int | None = None, points: Iterable | None = None) -> Dataset:
    """Generate the data set ``name`` (a key of ``DATASETS``) drawing only from ``rng``.

    ``n``: number of points (default: the set's ``default_n``); ``noise``: fraction in [0, 0.5];
    ``classes``: K for the sets with ``class_range`` (default: the set's ``classes``); ``points``: for
    "user", a list of ``(x1, x2, label)`` with finite coordinates and labels 0..5. Arguments a set does not
    take (see ``DatasetSpec.takes``) are range-checked and ignored. Raises ValueError whose message
    starts with the name of the argument at fault.
    """
    spec = get_spec(name)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    noise = _check_noise(noise)
    if n is not None:
        n = _check_int("n", n, MIN_POINTS, MAX_POINTS)
    if classes is not None:
        classes = _check_int("classes", classes, MIN_CLASSES, MAX_CLASSES)

    if spec.name == "user":
        X, y, k = _user_points(points, classes)
        return Dataset(X, y, regression=False, classes=k, box=spec.box, name=spec.name)

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
    # Halves round up (Python's round() sends them to the even neighbour), and the product is first
    # rounded to 9 decimals so that 45 * 0.7 = 31.499999999999996 counts as the half it stands for.
    n_train = min(max(math.floor(round(n * float(train_ratio), 9) + 0.5), 1), n - 1)
    order = rng.permutation(n)

    def part(idx: np.ndarray) -> Dataset:
        return Dataset(dataset.X[idx], dataset.y[idx], regression=dataset.regression,
                       classes=dataset.classes, box=dataset.box, name=dataset.name)

    return part(order[:n_train]), part(order[n_train:])
