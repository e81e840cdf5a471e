"""Hidden units as a notebook meets them: ``get_activation(name).value(z)`` and ``.derivative(z)``.

Values are checked against scalar formulas written here with the ``math`` module, one number at a time;
derivatives against central finite differences of ``value``. Points stay away from the kinks, where a
finite difference straddles two pieces.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from app.engine import ACTIVATIONS, get_activation
from app.engine import activations as act

ELEMENTWISE = sorted(name for name, a in ACTIVATIONS.items() if a.kind == "elementwise")
KINKS = {"relu": [0.0], "leaky_relu": [0.0], "prelu": [0.0], "rrelu": [0.0], "abs": [0.0], "elu": [0.0],
         "hard_tanh": [-1.0, 1.0]}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# Scalar references with each unit's default parameter.
REFERENCE = {
    "linear": lambda x: x,
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x > 0 else 0.01 * x,
    "prelu": lambda x: x if x > 0 else 0.25 * x,
    "rrelu": lambda x: x if x > 0 else (1 / 8 + 1 / 3) / 2 * x,
    "abs": abs,
    "elu": lambda x: x if x > 0 else math.exp(x) - 1.0,
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "hard_tanh": lambda x: min(1.0, max(-1.0, x)),
    "softplus": lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))),
    "sine": math.sin,
}


def _points(name: str, n: int = 41) -> np.ndarray:
    z = np.linspace(-4.0, 4.0, n) + 0.0123  # off the grid of round numbers where the kinks sit
    for kink in KINKS.get(name, []):
        z = z[np.abs(z - kink) > 1e-3]
    return z


def _central(f, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return (f(z + eps) - f(z - eps)) / (2 * eps)


def test_every_elementwise_unit_has_a_scalar_reference_here():
    assert sorted(REFERENCE) == ELEMENTWISE


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_value_equals_the_scalar_formula(name):
    z = _points(name)
    expected = [REFERENCE[name](float(x)) for x in z]
    np.testing.assert_allclose(get_activation(name).value(z), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", [*ELEMENTWISE, "rbf"])
def test_derivative_matches_central_differences(name):
    unit = get_activation(name)
    z = _points(name)
    np.testing.assert_allclose(unit.derivative(z), _central(unit.value, z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("name", "parameter", "value", "at", "expected"), [
    ("leaky_relu", "leaky_slope", 0.2, -2.0, -0.4),
    ("prelu", "slope", -0.5, -2.0, 1.0),
    ("rrelu", "slope", 0.3, -1.0, -0.3),
    ("elu", "elu_alpha", 2.0, math.log(0.5), -1.0),  # 2 (e^z - 1) at e^z = 1/2
])
def test_a_units_parameter_is_a_keyword_and_its_derivative_follows_it(name, parameter, value, at, expected):
    unit = get_activation(name)
    assert list(unit.parameters) == [parameter]
    assert unit.value(np.array([at]), **{parameter: value})[0] == pytest.approx(expected, rel=1e-12)
    z = _points(name)
    numeric = _central(lambda x: unit.value(x, **{parameter: value}), z)
    np.testing.assert_allclose(unit.derivative(z, **{parameter: value}), numeric, rtol=1e-6, atol=1e-8)


def test_prelu_takes_one_slope_per_unit_broadcast_over_the_batch():
    z = np.array([[-1.0, -1.0, 2.0], [-3.0, 1.0, -2.0]])  # (n=2, units=3)
    slope = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(get_activation("prelu").value(z, slope=slope), [[-0.1, -0.5, 2.0],
                                                                               [-0.3, 1.0, -1.8]])
    np.testing.assert_allclose(get_activation("prelu").derivative(z, slope=slope), [[0.1, 0.5, 1.0],
                                                                                    [0.1, 1.0, 0.9]])


def test_maxout_takes_the_max_of_k_unit_major_pieces_and_its_derivative_marks_the_winner():
    maxout = get_activation("maxout")
    z = np.array([[1.0, 3.0, 2.0, -1.0, -4.0, 0.5]])  # 2 units x 3 pieces
    np.testing.assert_array_equal(maxout.value(z, maxout_k=3), [[3.0, 0.5]])
    np.testing.assert_array_equal(maxout.derivative(z, maxout_k=3), [[0, 1, 0, 0, 0, 1]])
    np.testing.assert_array_equal(maxout.value(z), [[3.0, 2.0, 0.5]])  # k = 2 by default: 3 units


def test_maxout_derivative_is_the_finite_difference_of_each_unit_by_each_piece():
    maxout = get_activation("maxout")
    z = np.random.default_rng(3).normal(size=(4, 6))  # 2 units x 3 pieces; ties have probability zero
    eps, k = 1e-6, 3
    numeric = np.zeros_like(z)
    for col in range(z.shape[1]):
        step = np.zeros_like(z)
        step[:, col] = eps
        change = (maxout.value(z + step, maxout_k=k) - maxout.value(z - step, maxout_k=k)) / (2 * eps)
        numeric[:, col] = change[:, col // k]  # d h_j / d z_(j, p): only unit j = col // k can move
    np.testing.assert_allclose(maxout.derivative(z, maxout_k=k), numeric, atol=1e-8)


def test_rbf_value_is_exp_of_minus_the_scaled_squared_distance():
    z = np.array([0.0, 1.0, 4.0])
    np.testing.assert_allclose(get_activation("rbf").value(z), [1.0, math.exp(-1.0), math.exp(-4.0)])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_networks_entry_points_give_the_same_numbers_as_the_public_pair(name):
    z = _points(name).reshape(-1, 1)
    params = {"slope": np.array([act.PRELU_SLOPE])} if name == "prelu" else {}
    options = {"leaky_slope": act.LEAKY_SLOPE, "elu_alpha": act.ELU_ALPHA}
    h = act.forward(name, z, params, options)
    np.testing.assert_array_equal(h, get_activation(name).value(z))
    d = act.derivative(name, z, h, params, options)
    np.testing.assert_array_equal(d, get_activation(name).derivative(z))


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n != "prelu"])
def test_float32_stays_float32_through_the_network_entry_points(name):
    # The grid evaluates in float32; a unit that upcast would double its memory and time.
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    h = act.forward(name, z, {}, {})
    assert h.dtype == np.float32 and act.derivative(name, z, h, {}, {}).dtype == np.float32


def test_rrelu_uses_the_sampled_slopes_in_training_and_the_mean_at_evaluation():
    z = np.array([[-2.0, -2.0]])
    sampled = np.array([[0.2, 0.3]])
    np.testing.assert_allclose(act.forward("rrelu", z, {}, {}, sampled), [[-0.4, -0.6]])
    np.testing.assert_allclose(act.forward("rrelu", z, {}, {}), [[-2.0 * act.RRELU_MEAN] * 2])
    np.testing.assert_allclose(act.derivative("rrelu", z, z, {}, {}, sampled), sampled)


@pytest.mark.parametrize("name", [*ELEMENTWISE, "rbf"])
def test_huge_pre_activations_give_finite_numbers_without_overflow(name):
    z = np.array([-1e4, -50.0, 50.0, 1e4])
    if name == "rbf":
        z = np.abs(z)  # a squared distance is never negative
    # Underflow to 0 (e^-1e4) is the right answer and stays silent, as in NumPy's default.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        h, d = get_activation(name).value(z), get_activation(name).derivative(z)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(d))


def test_unknown_parameters_are_refused_naming_them_and_what_the_unit_takes():
    with pytest.raises(ValueError, match=r"^slope: the relu unit takes no parameters"):
        get_activation("relu").value([1.0], slope=0.1)
    with pytest.raises(ValueError, match=r"^alpha: the elu unit takes only 'elu_alpha'"):
        get_activation("elu").derivative([1.0], alpha=2.0)
    with pytest.raises(ValueError, match=r"^maxout_k: expected an integer >= 1, got 0"):
        get_activation("maxout").value([1.0, 2.0], maxout_k=0)
    with pytest.raises(ValueError, match=r"^z: maxout with maxout_k=3 needs a last axis of units \* 3"):
        get_activation("maxout").value(np.zeros((2, 4)), maxout_k=3)
    with pytest.raises(ValueError, match=r"^leaky_slope: expected finite numbers"):
        get_activation("leaky_relu").value([1.0], leaky_slope=float("nan"))


def test_unknown_unit_names_are_refused_listing_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'relu6'; expected one of: linear, relu"):
        get_activation("relu6")
    with pytest.raises(ValueError, match="'maxout' is not an element-wise unit"):
        act.forward("maxout", np.zeros((1, 2)), {}, {})


def test_gallery_curves_are_the_public_pair_and_the_one_dimensional_maxout_and_rbf():
    z = np.linspace(-2.0, 2.0, 9)[None, :]
    for name in ELEMENTWISE:
        g, dg = act.evaluate(name, z)
        np.testing.assert_allclose(g, get_activation(name).value(z))
        np.testing.assert_allclose(dg, get_activation(name).derivative(z))
    g, dg = act.evaluate("maxout", z)
    np.testing.assert_array_equal(g, np.maximum(z, 0.0))  # max(z, 0): two pieces, one of them 0
    g, dg = act.evaluate("rbf", z)
    np.testing.assert_allclose(g, np.exp(-z * z))
    np.testing.assert_allclose(dg, _central(lambda x: np.exp(-x * x), z), atol=1e-8)
