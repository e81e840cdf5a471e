"""The dataset table, make_dataset's arguments and checks, user points, split.

References are written independently here: exact integer arithmetic for split sizes. The shape generators
behind the table are checked in test_generators.py.
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.datasets import (
    DATASETS,
    MAX_CLASSES,
    MAX_POINTS,
    Dataset,
    get_spec,
    make_dataset,
    split,
    train_size,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


GENERATED = [name for name in DATASETS if name != "user"]
NOISY = [name for name in GENERATED if "noise" in DATASETS[name].takes]


# --- registry and shapes -----------------------------------------------------------------------------


def test_registry_holds_every_set_of_the_issue_with_tf_point_counts():
    expected = {"circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss", "moons", "checkerboard",
                "spirals", "blobs", "xor4", "sine", "step", "abs", "bump", "user"}
    assert set(DATASETS) == expected
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.description and spec.kind in ("classification", "regression", "function")
        if spec.kind == "classification" and name not in ("xor4", "user"):
            assert spec.default_n == 500 and spec.box == (-6.0, 6.0)
        if spec.kind == "regression":
            assert spec.default_n == 1200 and spec.box == (-6.0, 6.0)
    assert DATASETS["spirals"].class_range == (2, 6) and DATASETS["blobs"].class_range == (2, 6)
    assert not DATASETS["circle"].adjustable_classes


@pytest.mark.parametrize("name", GENERATED)
def test_every_set_has_its_declared_shape_dtype_and_size(name):
    spec = DATASETS[name]
    d = make_dataset(name, rng())
    assert d.name == name and d.box == spec.box and d.regression == spec.regression
    assert d.X.shape == (spec.default_n, spec.dims) and d.X.dtype == np.float64
    assert d.y.shape == (spec.default_n,)
    assert np.all(np.isfinite(d.X)) and np.all(np.isfinite(d.y))
    if spec.regression:
        assert d.y.dtype == np.float64 and d.classes == 0
    else:
        assert d.y.dtype == np.int64 and d.classes == spec.classes
        assert set(np.unique(d.y)) == set(range(d.classes))


@pytest.mark.parametrize("name", [n for n in GENERATED if "n" in DATASETS[n].takes])
def test_n_sets_the_number_of_points_exactly_even_when_odd(name):
    assert make_dataset(name, rng(), n=37).X.shape[0] == 37


# --- seeds and the RNG ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_gives_the_same_data_bit_for_bit(name):
    a = make_dataset(name, rng(7), noise=0.2)
    b = make_dataset(name, rng(7), noise=0.2)
    assert a.X.tobytes() == b.X.tobytes() and a.y.tobytes() == b.y.tobytes()


@pytest.mark.parametrize("name", [n for n in GENERATED if n != "xor4"])
def test_different_seeds_give_different_data(name):
    # With some noise: TF's noise-free spiral is a fixed curve, drawn without randomness.
    a, b = make_dataset(name, rng(1), noise=0.1), make_dataset(name, rng(2), noise=0.1)
    assert not np.array_equal(a.X, b.X)


# --- user points ---------------------------------------------------------------------------------------


def test_user_points_become_the_dataset_as_given():
    pts = [(1.5, -2, 0), (0, 0, 1), (-3.25, 4, 2), (5, 5, 1.0)]
    d = make_dataset("user", rng(), points=pts)
    assert d.X.tolist() == [[1.5, -2.0], [0.0, 0.0], [-3.25, 4.0], [5.0, 5.0]]
    assert d.y.tolist() == [0, 1, 2, 1] and d.y.dtype == np.int64
    assert d.classes == 3 and not d.regression


def test_user_points_of_one_class_still_make_a_binary_problem_and_classes_can_be_raised():
    pts = [(0, 0, 0), (1, 1, 0)]
    assert make_dataset("user", rng(), points=pts).classes == 2
    assert make_dataset("user", rng(), points=pts, classes=4).classes == 4


@pytest.mark.parametrize(("points", "where"), [
    (None, "points:"),
    ("0,0,1", "points:"),
    (5, "points:"),
    ([(0, 0, 1)], "points:"),
    ([(0, 0, 1)] * (MAX_POINTS + 1), "points:"),
    ([(0, 0, 1), (1, 1)], "points[1]:"),
    ([(0, 0, 1), (1, 1, 0), (float("nan"), 1, 0)], "points[2]:"),
    ([(0, 0, 1), (1, float("inf"), 0)], "points[1]:"),
    ([(0, "1", 1), (1, 1, 0)], "points[0]:"),
    ([(0, 0, -1), (1, 1, 0)], "points[0]:"),
    ([(0, 0, 1.5), (1, 1, 0)], "points[0]:"),
    ([(0, 0, True), (1, 1, 0)], "points[0]:"),
    ([(0, 0, MAX_CLASSES), (1, 1, 0)], "points[0]:"),
])
def test_bad_user_points_are_refused_naming_the_point(points, where):
    with pytest.raises(ValueError) as err:
        make_dataset("user", rng(), points=points)
    assert str(err.value).startswith(where)


def test_user_classes_below_the_largest_label_are_refused_naming_classes():
    with pytest.raises(ValueError, match=r"^classes: .*at least 4"):
        make_dataset("user", rng(), points=[(0, 0, 3), (1, 1, 0)], classes=3)


def test_many_user_points_read_in_bulk_give_the_points_as_written():
    r = rng(9)
    xs, labels = r.normal(size=(MAX_POINTS, 2)) * 3, r.integers(0, 4, MAX_POINTS)
    pts = [(float(a), int(b) if i % 2 else float(b), int(c))  # ints and floats mixed, as JSON gives them
           for i, ((a, b), c) in enumerate(zip(xs, labels, strict=True))]
    d = make_dataset("user", rng(), points=pts)
    assert d.X.tolist() == [[a, float(b)] for a, b, _ in pts] and d.y.tolist() == labels.tolist()
    assert d.y.dtype == np.int64 and d.classes == 4
    pts[-1] = (pts[-1][0], pts[-1][1], True)  # one bad point among many is still named
    with pytest.raises(ValueError, match=rf"^points\[{MAX_POINTS - 1}\]: label must be an integer"):
        make_dataset("user", rng(), points=pts)


def test_user_regression_points_keep_any_finite_target_as_float():
    pts = [(0, 0, 12.5), (1, 0, -3), (0, 1, 1e6), (2, 2, 0)]
    d = make_dataset("user", rng(), points=pts, regression=True, classes=4)
    assert d.regression and d.classes == 0 and d.y.dtype == np.float64
    assert d.y.tolist() == [12.5, -3.0, 1e6, 0.0]


@pytest.mark.parametrize("target", [float("nan"), float("inf"), "1", None, True])
def test_user_regression_target_that_is_not_a_finite_number_is_refused_naming_the_point(target):
    with pytest.raises(ValueError, match=r"^points\[1\]: a regression target must be a finite number"):
        make_dataset("user", rng(), points=[(0, 0, 1), (1, 1, target)], regression=True)


def test_user_box_replaces_the_editor_box_and_defaults_to_it():
    pts = [(10, 20, 0), (30, 40, 1)]
    assert make_dataset("user", rng(), points=pts, box=(5.0, 45.0)).box == (5.0, 45.0)
    assert make_dataset("user", rng(), points=pts).box == DATASETS["user"].box == (-6.0, 6.0)


@pytest.mark.parametrize("box", [(1, 1), (2, 1), (0, float("inf")), (float("nan"), 1), (1,), "ab", 3])
def test_a_bad_user_box_is_refused_naming_box(box):
    with pytest.raises(ValueError, match=r"^box: "):
        make_dataset("user", rng(), points=[(0, 0, 0), (1, 1, 1)], box=box)


def test_box_and_regression_are_ignored_by_generated_sets():
    a = make_dataset("circle", rng(), box=(0, 1), regression=True)
    b = make_dataset("circle", rng())
    assert a.box == b.box and not a.regression and np.array_equal(a.X, b.X)


# --- argument checking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "spiral2"}, "dataset"),
    ({"name": None}, "dataset"),
    ({"noise": -0.01}, "noise"),
    ({"noise": 0.51}, "noise"),
    ({"noise": float("nan")}, "noise"),
    ({"noise": "0.1"}, "noise"),
    ({"n": 1}, "n"),
    ({"n": MAX_POINTS + 1}, "n"),
    ({"n": 10.0}, "n"),
    ({"n": True}, "n"),
    ({"classes": 1}, "classes"),
    ({"classes": MAX_CLASSES + 1}, "classes"),
    ({"name": "spirals", "classes": 7}, "classes"),
    ({"name": "blobs", "n": 3, "classes": 4}, "n"),
])
def test_out_of_range_arguments_are_refused_naming_the_argument(kwargs, field):
    args = {"name": "circle", **kwargs}
    with pytest.raises(ValueError) as err:
        make_dataset(args.pop("name"), rng(), **args)
    assert str(err.value).startswith(f"{field}: ")


def test_unknown_dataset_error_lists_the_known_names():
    with pytest.raises(ValueError, match="known: circle, xor"):
        get_spec("nope")


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match=r"^rng: "):
        make_dataset("circle", 0)  # type: ignore[arg-type]


def test_arguments_a_set_does_not_take_are_ignored():
    # The UI keeps one noise/classes/n setting while the user switches sets; DatasetSpec.takes says
    # which apply.
    assert make_dataset("circle", rng(), classes=4).classes == 2
    xor4 = make_dataset("xor4", rng(), n=500, noise=0.5)
    assert xor4.X.shape == (4, 2) and xor4.y.tolist() == [0, 1, 1, 0]
    assert make_dataset("circle", rng(), points=[(0, 0, 0)]).X.shape == (500, 2)


# --- split ---------------------------------------------------------------------------------------------


def rows(d: Dataset) -> list:
    return sorted(zip(map(tuple, d.X.tolist()), d.y.tolist(), strict=True))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 3000), percent=st.integers(1, 99), seed=st.integers(0, 2**32 - 1))
def test_split_sizes_round_half_up_and_keep_both_parts_non_empty(n, percent, seed):
    d = make_dataset("gauss", rng(seed), n=n)
    train, test = split(d, percent / 100, rng(seed))
    expected = min(max((2 * n * percent + 100) // 200, 1), n - 1)  # exact integer rounding, halves up
    assert train.n == expected and test.n == n - expected


@pytest.mark.parametrize(("n", "ratio", "train_n"),
                         [(25, 0.58, 15), (45, 0.7, 32), (50, 0.29, 15), (5, 0.5, 3)])
def test_split_rounds_halves_up_even_when_the_float_product_falls_just_below(n, ratio, train_n):
    # 45 * 0.7 == 31.499999999999996 in floating point: still the half 31.5, so 32.
    train, _ = split(make_dataset("circle", rng(), n=n), ratio, rng())
    assert train.n == train_n


def test_split_partitions_the_points_after_shuffling_and_keeps_the_metadata():
    d = make_dataset("spirals", rng(), classes=4)
    train, test = split(d, 0.7, rng(1))
    assert (train.n, test.n) == (350, 150)
    assert rows(d) == sorted(rows(train) + rows(test))
    assert not np.array_equal(train.X, d.X[:350])  # shuffled, not the first rows
    for part in (train, test):
        assert (part.classes, part.box, part.name, part.regression) == (4, d.box, "spirals", False)
        assert part.X.flags.c_contiguous and part.X.dtype == np.float64 and part.y.dtype == np.int64


def test_split_is_reproducible_from_its_rng():
    d = make_dataset("reg-gauss", rng())
    a, b = split(d, 0.5, rng(3)), split(d, 0.5, rng(3))
    assert all(np.array_equal(x.X, y.X) and np.array_equal(x.y, y.y) for x, y in zip(a, b, strict=True))
    c = split(d, 0.5, rng(4))
    assert not np.array_equal(a[0].X, c[0].X)


def test_split_of_two_points_gives_one_each_whatever_the_ratio():
    d = make_dataset("user", rng(), points=[(0, 0, 0), (1, 1, 1)])
    for ratio in (0.01, 0.5, 0.99, 1.0):
        train, test = split(d, ratio, rng())
        assert (train.n, test.n) == (1, 1)


@pytest.mark.parametrize(("n", "ratio", "expected"), [
    (4, 0.5, 2), (45, 0.7, 32), (5, 0.5, 3), (2, 0.01, 1), (500, 1.0, 499), (7, 0.3, 2), (3, 0.99, 2)])
def test_train_size_rounds_halves_up_and_leaves_both_parts_non_empty(n, ratio, expected):
    assert train_size(n, ratio) == expected
    d = make_dataset("user", rng(), points=[(i, i, i % 2) for i in range(n)])
    assert split(d, ratio, rng())[0].n == expected


def test_split_with_ratio_1_keeps_one_test_point():
    train, test = split(make_dataset("circle", rng()), 1.0, rng())
    assert (train.n, test.n) == (499, 1)


@pytest.mark.parametrize("ratio", [0, 1.0000001, 1.5, -0.2, float("nan"), "0.5", None])
def test_split_refuses_ratios_outside_0_1_naming_train_ratio(ratio):
    with pytest.raises(ValueError, match=r"^train_ratio: "):
        split(make_dataset("circle", rng()), ratio, rng())


def test_dataset_refuses_inconsistent_arrays_naming_the_array():
    with pytest.raises(ValueError, match=r"^y: "):
        Dataset(np.zeros((3, 2)), np.zeros(4, dtype=np.int64), False, 2, (-6.0, 6.0), "x")
    with pytest.raises(ValueError, match=r"^X: "):
        Dataset(np.zeros((3, 3)), np.zeros(3, dtype=np.int64), False, 2, (-6.0, 6.0), "x")
