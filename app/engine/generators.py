"""The generators behind ``datasets.DATASETS``: TensorFlow Playground's sets, a few more, 1-D functions.

Each generator maps ``(rng, n, noise, classes)`` to ``(X, y)``: ``X`` ``(n, 2)`` (``(n, 1)`` for the 1-D
functions) and ``y`` ``(n,)``, int64 class labels or float64 targets. The arguments come already checked by
``datasets.make_dataset``; every random draw comes from ``rng``.

TensorFlow Playground's sets (circle, xor, gauss, spiral, reg-plane, reg-gauss) follow the definitions of
its ``src/dataset.ts``: the same shapes, radii, paddings and noise scales. Where its noise moves the point
used for labelling but not the drawn point (circle, xor, reg-*), ours does the same, and every set draws
its noise whatever the noise level, so moving the noise slider with a fixed seed changes labels or spreads
points but never reshuffles the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

BOX_2D = (-6.0, 6.0)  #: the view box of the 2-D sets and of the 1-D functions' x axis
MAX_NOISE = 0.5  #: TensorFlow Playground's noise slider at 50, as a fraction

Pair = tuple[np.ndarray, np.ndarray]
# A generator maps (rng, n, noise, classes) to (X, y); it gets arguments already validated.
GenerateFn = Callable[[np.random.Generator, int, float, int], Pair]


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


def circle(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
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


def xor(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Uniform in [-5, 5]^2, pushed 0.3 away from both axes; class 1 where x1 * x2 >= 0 (TF's +1).
    padding = 0.3
    X = rng.uniform(-5.0, 5.0, (n, 2))
    X += np.where(X > 0, padding, -padding)
    shifted = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return X, y


def gauss(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
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


def spiral(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Two arms half a turn apart: offset 0 is class 1 (TF's +1), offset pi class 0.
    counts = np.array(_halves(n))
    X = _arms(rng, counts, np.array([0.0, math.pi]), noise)
    return X, _labels(counts, [1, 0])


def spirals(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # K arms evenly spaced in angle; arm k is class k. K = 2 has TF's spiral geometry.
    counts = _class_counts(n, classes)
    X = _arms(rng, counts, 2.0 * math.pi * np.arange(classes) / classes, noise)
    return X, _labels(counts, range(classes))


MOON_SCALE = 3.5


def moons(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
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


def checkerboard(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
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


def blobs(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # One isotropic Gaussian per class, with TF's gauss variance scale (0.5 .. 4 as noise goes 0 .. 0.5).
    y = _labels(_class_counts(n, classes), range(classes))
    X = _blob_centers(classes)[y] + math.sqrt(_gauss_variance(noise)) * rng.standard_normal((n, 2))
    return X, y


def xor4(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # The lecture's four points, exactly; nothing random.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0], dtype=np.int64)


def _uniform_box_with_label_noise(rng: np.random.Generator, n: int, noise: float) -> Pair:
    """TF's regression sampling: points uniform in [-6, 6]^2 and the point used for the target shifted by
    U(-6, 6) * noise per coordinate."""
    radius = 6.0
    X = rng.uniform(-radius, radius, (n, 2))
    return X, X + rng.uniform(-radius, radius, (n, 2)) * noise


def reg_plane(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
    # Target (x1 + x2) / 10: TF's linear scale from [-10, 10] to [-1, 1], not clamped.
    X, shifted = _uniform_box_with_label_noise(rng, n, noise)
    return X, (shifted[:, 0] + shifted[:, 1]) / 10.0


REG_GAUSSIANS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                          [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])


def reg_gauss(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
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


def function(f: Callable[[np.ndarray], np.ndarray]) -> GenerateFn:
    """1-D function fitting: x uniform in the box, target f(x) plus Gaussian noise of std `noise`."""

    def generate(rng: np.random.Generator, n: int, noise: float, classes: int) -> Pair:
        x = rng.uniform(BOX_2D[0], BOX_2D[1], n)
        y = f(x) + noise * rng.standard_normal(n)
        return x[:, None], y

    return generate
