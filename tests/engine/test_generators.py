"""The seeded shape generators against their definitions (TF Playground's src/dataset.ts for its six sets).

References are written independently here: scalar per-point versions of the label rules and the spiral
formula, geometric bands, the function sets' formulas at hand points.
"""

import math
import random

import numpy as np
import pytest

from app.engine.datasets import DATASETS, make_dataset
from app.engine.generators import FUNCTIONS


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


GENERATED = [name for name in DATASETS if name != "user"]


# --- the RNG and noise ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATED)
def test_generators_never_touch_the_global_random_state(name):
    np.random.seed(123)
    random.seed(123)
    np_state, py_state = np.random.get_state(), random.getstate()
    make_dataset(name, rng(), noise=0.3)
    after = np.random.get_state()
    assert all(np.array_equal(x, y) for x, y in zip(np_state, after, strict=True))
    assert random.getstate() == py_state


@pytest.mark.parametrize("name", ["circle", "xor", "reg-plane", "reg-gauss"])
def test_noise_moves_the_labelled_point_not_the_drawn_point(name):
    # TF Playground draws the point, then labels a noisy copy of it: the positions do not depend on noise.
    quiet, loud = make_dataset(name, rng(3), noise=0.0), make_dataset(name, rng(3), noise=0.5)
    assert np.array_equal(quiet.X, loud.X)
    assert not np.array_equal(quiet.y, loud.y)


@pytest.mark.parametrize(("name", "scale"), [("moons", 3.5), ("spiral", None), ("spirals", None)])
def test_position_noise_is_one_fixed_displacement_scaled_by_the_noise_level(name, scale):
    base = make_dataset(name, rng(4), noise=0.0).X
    d1 = make_dataset(name, rng(4), noise=0.1).X - base
    d2 = make_dataset(name, rng(4), noise=0.4).X - base
    np.testing.assert_allclose(d2, 4.0 * d1, rtol=1e-9, atol=1e-12)
    if scale is None:  # TF spiral: U(-1, 1) * noise per coordinate
        assert np.abs(d2).max() <= 0.4 and np.abs(d2).max() > 0.39
    else:  # moons: Gaussian with std = noise in the moons' units
        assert abs(d2.std() / (scale * 0.4) - 1.0) < 0.1


# --- TF Playground's classification sets ------------------------------------------------------------


def test_circle_without_noise_puts_class_1_inside_radius_2_5_and_class_0_in_the_band_3_5_to_5():
    d = make_dataset("circle", rng(), n=1001)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    assert np.all(r[d.y == 1] < 2.5)
    assert np.all((r[d.y == 0] >= 3.5) & (r[d.y == 0] <= 5.0))
    assert np.bincount(d.y).tolist() == [500, 501]


def test_circle_noise_flips_only_points_within_the_largest_shift_of_the_boundary():
    noise = 0.3
    d = make_dataset("circle", rng(5), noise=noise)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    max_shift = 5.0 * noise * math.sqrt(2.0)  # U(-5, 5) * noise in each coordinate
    far = np.abs(r - 2.5) > max_shift
    assert np.array_equal(d.y[far], (r[far] < 2.5).astype(int))
    assert np.any(d.y != (r < 2.5))  # and some near ones did flip


def test_xor_without_noise_labels_quadrants_and_keeps_the_0_3_padding():
    d = make_dataset("xor", rng())
    x1, x2 = d.X[:, 0], d.X[:, 1]
    assert np.all((np.abs(x1) >= 0.3) & (np.abs(x1) <= 5.3) & (np.abs(x2) >= 0.3) & (np.abs(x2) <= 5.3))
    reference = np.array([1 if a * b >= 0 else 0 for a, b in zip(x1, x2, strict=True)])
    assert np.array_equal(d.y, reference)
    # Uniform quadrants: class 1 has probability 1/2; 500 draws stay within 4 standard deviations.
    assert abs(int(d.y.sum()) - 250) < 4 * math.sqrt(500 * 0.25)


def test_xor_noise_keeps_quadrant_labels_beyond_the_largest_shift():
    noise = 0.2
    d = make_dataset("xor", rng(6), noise=noise)
    margin = 5.0 * noise
    far = (np.abs(d.X[:, 0]) > margin) & (np.abs(d.X[:, 1]) > margin)
    assert np.array_equal(d.y[far], (d.X[far, 0] * d.X[far, 1] >= 0).astype(int))
    assert np.any(d.y[~far] != (d.X[~far, 0] * d.X[~far, 1] >= 0))


@pytest.mark.parametrize(("noise", "variance"), [(0.0, 0.5), (0.25, 2.25), (0.5, 4.0)])
def test_gauss_centres_are_plus_minus_2_and_variance_follows_tf_scale(noise, variance):
    d = make_dataset("gauss", rng(8), n=2000, noise=noise)
    assert np.bincount(d.y).tolist() == [1000, 1000]
    for label, centre in ((1, 2.0), (0, -2.0)):
        pts = d.X[d.y == label]
        # 2000 coordinates per class: standard errors ~0.02 sqrt(var) for the mean, ~3% for the variance.
        np.testing.assert_allclose(pts.mean(axis=0), [centre, centre], atol=0.15 * math.sqrt(variance))
        np.testing.assert_allclose(pts.var(axis=0), [variance, variance], rtol=0.15)


def reference_spiral_arm(m: int, delta_t: float) -> np.ndarray:
    pts = []
    for i in range(m):
        r = i / m * 5
        t = 1.75 * i / m * 2 * math.pi + delta_t
        pts.append((r * math.sin(t), r * math.cos(t)))
    return np.array(pts)


def test_spiral_without_noise_lies_exactly_on_tf_arms():
    d = make_dataset("spiral", rng(), n=300)
    np.testing.assert_allclose(d.X[d.y == 1], reference_spiral_arm(150, 0.0), atol=1e-12)
    np.testing.assert_allclose(d.X[d.y == 0], reference_spiral_arm(150, math.pi), atol=1e-12)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_k_spirals_have_k_balanced_arms_evenly_spaced_in_angle(k):
    d = make_dataset("spirals", rng(), n=301, classes=k)
    counts = np.bincount(d.y, minlength=k)
    assert d.classes == k and counts.max() - counts.min() <= 1 and counts.sum() == 301
    for c in range(k):
        np.testing.assert_allclose(d.X[d.y == c], reference_spiral_arm(int(counts[c]), 2 * math.pi * c / k),
                                   atol=1e-12)


# --- the other classification sets ---------------------------------------------------------------------


def test_moons_without_noise_lie_on_two_unit_half_circles():
    d = make_dataset("moons", rng(), n=401)
    P = d.X / 3.5 + np.array([0.5, 0.25])  # back to the moons' own units
    upper, lower = P[d.y == 0], P[d.y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5)
    assert np.bincount(d.y).tolist() == [201, 200]
    assert np.abs(d.X).max() <= 6.0


def checker_label(x1: float, x2: float) -> int:
    return (math.floor((x1 + 6) / 3) + math.floor((x2 + 6) / 3)) % 2


def test_checkerboard_without_noise_is_a_balanced_4_by_4_board():
    d = make_dataset("checkerboard", rng(), n=2000)
    assert np.all((d.X >= -6.0) & (d.X < 6.0))
    assert [checker_label(a, b) for a, b in d.X] == d.y.tolist()
    assert np.bincount(d.y).tolist() == [1000, 1000]
    cells = {(math.floor((a + 6) / 3), math.floor((b + 6) / 3)) for a, b in d.X}
    assert len(cells) == 16  # every cell of the board is used


def test_checkerboard_noise_flips_only_points_near_cell_edges():
    noise = 0.2
    d = make_dataset("checkerboard", rng(9), noise=noise)
    margin = 3.0 * noise  # U(-3, 3) * noise: at most a fifth of a cell
    frac = (d.X + 6.0) / 3.0
    edge_distance = 3.0 * np.minimum(frac - np.floor(frac), np.ceil(frac) - frac).min(axis=1)
    far = edge_distance > margin
    assert [checker_label(a, b) for a, b in d.X[far]] == d.y[far].tolist()
    assert any(checker_label(a, b) != c for (a, b), c in zip(d.X[~far], d.y[~far], strict=True))


@pytest.mark.parametrize("k", [2, 3, 6])
def test_blobs_are_k_balanced_gaussians_around_points_of_a_circle_of_radius_4(k):
    d = make_dataset("blobs", rng(10), n=600 * k, classes=k)
    counts = np.bincount(d.y)
    assert counts.tolist() == [600] * k
    means = np.array([d.X[d.y == c].mean(axis=0) for c in range(k)])
    np.testing.assert_allclose(np.hypot(means[:, 0], means[:, 1]), 4.0, atol=0.15)
    angles = np.sort(np.mod(np.arctan2(means[:, 1], means[:, 0]), 2 * math.pi))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 2 * math.pi]))
    np.testing.assert_allclose(gaps, 2 * math.pi / k, atol=0.05)
    np.testing.assert_allclose(np.concatenate([d.X[d.y == c] - means[c] for c in range(k)]).var(), 0.5,
                               rtol=0.1)


def test_xor4_is_the_lecture_s_four_points_exactly():
    d = make_dataset("xor4", rng())
    assert d.X.tolist() == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert d.y.tolist() == [0, 1, 1, 0]
    assert d.box == (-0.5, 1.5) and d.classes == 2


# --- regression and function fitting -------------------------------------------------------------------


def test_reg_plane_without_noise_targets_x1_plus_x2_over_10():
    d = make_dataset("reg-plane", rng())
    assert np.all(np.abs(d.X) <= 6.0)
    assert d.y.tolist() == [(a + b) / 10 for a, b in d.X]


def test_reg_plane_noise_moves_targets_by_at_most_the_largest_shift():
    noise = 0.25
    d = make_dataset("reg-plane", rng(11), noise=noise)
    error = np.abs(d.y - (d.X[:, 0] + d.X[:, 1]) / 10)
    assert error.max() <= 2 * 6 * noise / 10 and error.max() > 0.1


def reference_reg_gauss(x: float, y: float) -> float:
    """TF's getLabel, one point at a time."""
    cones = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    label = 0.0
    for cx, cy, sign in cones:
        scaled = min(max(1 - math.hypot(x - cx, y - cy) / 2, 0.0), 1.0)
        if abs(sign * scaled) > abs(label):
            label = sign * scaled
    return label


def test_reg_gauss_without_noise_matches_tf_label_rule():
    d = make_dataset("reg-gauss", rng(12))
    np.testing.assert_allclose(d.y, [reference_reg_gauss(a, b) for a, b in d.X], rtol=0, atol=1e-15)
    assert np.any(d.y == 0.0) and d.y.min() > -1.0 and d.y.max() < 1.0


@pytest.mark.parametrize(("name", "f"), [
    ("sine", math.sin),
    ("step", lambda x: 1.0 if x >= 0 else 0.0),
    ("abs", lambda x: abs(x) / 6),
    ("bump", lambda x: math.exp(-x * x / (2 * 1.5**2))),
])
def test_function_sets_sample_x_in_the_box_and_fit_their_function(name, f):
    d = make_dataset(name, rng(13))
    assert d.X.shape == (200, 1) and np.all(np.abs(d.X) <= 6.0)
    np.testing.assert_allclose(d.y, [f(x) for x in d.X[:, 0]], rtol=0, atol=1e-15)
    noisy = make_dataset(name, rng(13), n=4000, noise=0.3)
    residual = noisy.y - np.array([f(x) for x in noisy.X[:, 0]])
    assert abs(residual.std() - 0.3) < 0.02 and abs(residual.mean()) < 0.03


def test_function_definitions_at_hand_points():
    x = np.array([-6.0, -1.5, -1e-12, 0.0, 1e-12, 3.0])
    np.testing.assert_array_equal(FUNCTIONS["step"](x), [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(FUNCTIONS["abs"](x), [1.0, 0.25, 1e-12 / 6, 0.0, 1e-12 / 6, 0.5], rtol=1e-15)
    np.testing.assert_allclose(FUNCTIONS["bump"](np.array([0.0, 1.5, -3.0])),
                               [1.0, math.exp(-0.5), math.exp(-2.0)], rtol=1e-15)
    np.testing.assert_allclose(FUNCTIONS["sine"](np.array([math.pi / 2, -math.pi / 6])), [1.0, -0.5],
                               rtol=1e-14)
