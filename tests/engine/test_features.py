"""Input features against hand computation and a scalar reference built on the math module."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine.features import FEATURES, feature_map, is_identity, validate_features

ALL = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2"]

SCALAR = {  # the reference: one point at a time with the math module
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a * a,
    "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: math.sin(a),
    "sin_x2": lambda a, b: math.sin(b),
}


def test_features_are_the_issue_s_seven_in_order_with_ui_labels():
    assert list(FEATURES) == ALL
    assert [f.label for f in FEATURES.values()] == ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin(x₁)", "sin(x₂)"]
    label, fn = FEATURES["x1sq"]  # (label, function) pairs
    assert label == "x₁²" and callable(fn)


def test_feature_map_matches_hand_computed_values():
    X = np.array([[0.0, 0.0], [1.0, 2.0], [-3.0, 0.5]])
    got = feature_map(X, ["x1", "x2", "x1sq", "x2sq", "x1x2"])
    assert got.tolist() == [[0, 0, 0, 0, 0], [1, 2, 1, 4, 2], [-3, 0.5, 9, 0.25, -1.5]]
    X = np.array([[math.pi / 2, -math.pi / 6], [math.pi, 0.0]])
    np.testing.assert_allclose(feature_map(X, ["sin_x1", "sin_x2"]), [[1.0, -0.5], [0.0, 0.0]], atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(1, 20), st.just(2)),
                    elements=st.floats(-1e3, 1e3, allow_nan=False)),
       names=st.permutations(ALL).flatmap(lambda p: st.integers(1, len(p)).map(lambda k: p[:k])))
def test_every_column_equals_the_scalar_reference_in_any_order(X, names):
    got = feature_map(X, names)
    want = [[SCALAR[name](a, b) for name in names] for a, b in X.tolist()]
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-300)


def test_one_dimensional_data_takes_x1_features_only():
    X = np.array([[2.0], [-1.0]])
    np.testing.assert_allclose(feature_map(X, ["x1", "x1sq", "sin_x1"]),
                               [[2.0, 4.0, math.sin(2.0)], [-1.0, 1.0, math.sin(-1.0)]], rtol=1e-14)
    for name in ["x2", "x2sq", "x1x2", "sin_x2"]:
        with pytest.raises(ValueError, match=f"'{name}' needs x2"):
            feature_map(X, ["x1", name])


def test_out_buffer_is_filled_and_returned_in_its_own_dtype_and_layout():
    X = np.random.default_rng(0).uniform(-6, 6, (50, 2))
    for out in (np.empty((50, 7), np.float32), np.empty((50, 7), order="F"), np.empty((7, 50)).T):
        sentinel = out
        result = feature_map(X, ALL, out=out)
        assert result is sentinel and result.dtype == out.dtype
        np.testing.assert_allclose(result, feature_map(X, ALL), rtol=1e-6)


def test_result_dtype_follows_x_and_integer_input_gives_float64():
    assert feature_map(np.zeros((3, 2), np.float32), ["x1x2"]).dtype == np.float32
    ints = feature_map(np.array([[1, 2], [3, 4]]), ["x1", "sin_x2"])
    assert ints.dtype == np.float64 and ints[1, 0] == 3.0


def test_identity_features_return_a_copy_not_x_itself():
    X = np.array([[1.0, 2.0]])
    out = feature_map(X, ["x1", "x2"])
    out[0, 0] = 99.0
    assert X[0, 0] == 1.0


@pytest.mark.parametrize(("names", "message"), [
    ([], "at least one feature"),
    (["x1", "x3"], "unknown feature 'x3'"),
    (["x1", "x2", "x1"], "'x1' is listed twice"),
    ("x1", "got the string 'x1'"),
])
def test_bad_feature_lists_are_refused_naming_the_feature(names, message):
    with pytest.raises(ValueError, match=r"^features: ") as err:
        feature_map(np.zeros((2, 2)), names)
    assert message in str(err.value)
    with pytest.raises(ValueError, match=r"^features: "):
        validate_features(names)


@pytest.mark.parametrize("out", [
    np.empty((4, 3)),            # wrong width
    np.empty((5, 2)),            # wrong height
    np.empty((4, 2), np.int64),  # not float
    [[0.0, 0.0]] * 4,            # not an array
])
def test_bad_out_buffers_are_refused_naming_out(out):
    with pytest.raises(ValueError, match=r"^out: "):
        feature_map(np.zeros((4, 2)), ["x1", "x2"], out=out)


def test_read_only_or_overlapping_out_is_refused_naming_out():
    X = np.zeros((4, 2))
    frozen = np.empty((4, 2))
    frozen.flags.writeable = False
    for out in (frozen, X):
        with pytest.raises(ValueError, match=r"^out: "):
            feature_map(X, ["x2", "x1"], out=out)


@pytest.mark.parametrize("X", [np.zeros(4), np.zeros((4, 3)), [[0.0, 0.0]]])
def test_inputs_of_the_wrong_shape_are_refused_naming_x(X):
    with pytest.raises(ValueError, match=r"^X: "):
        feature_map(X, ["x1"])


def test_is_identity_only_for_the_raw_inputs_in_order():
    assert is_identity(["x1", "x2"]) and is_identity(("x1", "x2")) and is_identity(["x1"])
    assert not is_identity(["x2", "x1"])
    assert not is_identity(["x1", "x2", "x1sq"])
    assert not is_identity(["x2"])
    assert not is_identity(["sin_x1"])
