"""Grid evaluation: every unit and the output on the view-box grid, checked against Network.forward.

Every test runs on both tanh/sigmoid paths (gridpath.py: ``e^(s z)`` forms, and NumPy's np.tanh), whichever
this machine would pick.
"""

import warnings

import numpy as np
import pytest

from app.engine import gridpath
from app.engine.activations import ACTIVATIONS
from app.engine.features import feature_map
from app.engine.grid import GridEvaluator, check_box, check_size, grid_points, thumbnails
from app.engine.network import Network

OUTPUTS = [("sigmoid", 1), ("softmax", 3), ("linear", 2), ("tanh", 1)]


@pytest.fixture(autouse=True, params=gridpath.PATHS)
def path(request, monkeypatch):
    monkeypatch.setattr(gridpath, "forced", request.param)
    return request.param


def _net(activation, output="sigmoid", k=1, sizes=(2, 5, 4), seed=3, **options):
    net = Network([*sizes, k], activation=activation, output=output, init="he", seed=seed,
                  activation_options=options or None)
    rng = np.random.default_rng(seed + 100)
    for b in net.biases:
        b[:] = rng.normal(0.0, 1.0, size=b.shape)  # lines away from the origin, both unit sides visible
    for params in net.unit_params:
        if "slope" in params:
            params["slope"][:] = np.linspace(-0.4, 0.7, params["slope"].size)
        if "sigma" in params:
            params["sigma"][:] = np.linspace(0.8, 2.5, params["sigma"].size)
    return net


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize(("output", "k"), OUTPUTS)
def test_every_hidden_unit_and_the_output_equal_network_forward_on_the_grid_points(activation, output, k):
    net = _net(activation, output, k, maxout_k=3)
    grid = GridEvaluator(box=(-6, 6), size=40)
    result = grid.evaluate(net)
    reference = net.forward(grid.inputs)  # float64, the network's own (independent) path
    np.testing.assert_allclose(result.output, net.predict(grid.inputs), atol=2e-5, rtol=1e-4)
    for l, layer in enumerate(result.layers):
        np.testing.assert_allclose(layer, reference.a[l + 1], atol=2e-5, rtol=1e-4,
                                   err_msg=f"hidden layer {l}")


@pytest.mark.parametrize("activation", ["tanh", "relu", "maxout", "rbf", "prelu", "gelu"])
def test_float64_grid_matches_forward_to_rounding(activation):
    net = _net(activation, sizes=(2, 6, 5, 4), maxout_k=2)
    grid = GridEvaluator(size=30, dtype=np.float64)
    result = grid.evaluate(net)
    reference = net.forward(grid.inputs)
    np.testing.assert_allclose(result.output, reference.output, atol=1e-12)
    np.testing.assert_allclose(result.hidden, np.hstack(reference.a[1:-1]), atol=1e-11)


@pytest.mark.parametrize(("activation", "output"), [("tanh", "tanh"), ("sigmoid", "sigmoid")])
def test_saturated_units_reach_their_limits_without_overflow_warnings(activation, output):
    net = _net(activation, output, sizes=(2, 6, 6))
    for w in net.weights:
        w *= 200.0  # pre-activations of several hundred: exp overflows in float32
    grid = GridEvaluator(size=25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = grid.evaluate(net)
    reference = net.forward(grid.inputs)
    assert np.all(np.isfinite(result.hidden)) and np.all(np.isfinite(result.output))
    # Where |z| is large the float32 value must sit on the limit (the few cells near z = 0 suffer float32
    # cancellation between terms of several hundred, so they are not compared).
    saturated = np.abs(np.hstack(reference.z[:-1])) > 20
    assert saturated.mean() > 0.5
    np.testing.assert_allclose(result.hidden[saturated], np.hstack(reference.a[1:-1])[saturated], atol=1e-7)
    far = np.abs(reference.z[-1]) > 20
    np.testing.assert_allclose(result.output[far], reference.output[far], atol=1e-7)


def test_leaky_relu_uses_the_networks_slope_option():
    net = _net("leaky_relu", leaky_slope=0.3)
    grid = GridEvaluator(size=20)
    np.testing.assert_allclose(grid.evaluate(net).hidden, np.hstack(net.forward(grid.inputs).a[1:-1]),
                               atol=2e-5, rtol=1e-5)


def test_points_are_cell_centres_row_major_with_row_zero_at_the_top():
    pts = grid_points((-6.0, 6.0), 4)
    # Cells are 3 wide: centres at -4.5, -1.5, 1.5, 4.5; x2 falls from row to row, x1 grows along a row.
    np.testing.assert_allclose(pts[:4], [[-4.5, 4.5], [-1.5, 4.5], [1.5, 4.5], [4.5, 4.5]])
    np.testing.assert_allclose(pts[[0, 4, 8, 12], 1], [4.5, 1.5, -1.5, -4.5])
    np.testing.assert_allclose(pts[-1], [4.5, -4.5])


def test_output_map_has_x2_high_in_row_zero_and_x1_low_in_column_zero():
    # y = x2 + 0.01 x1 through a linear output: the map's top row is largest, its left column smallest.
    net = Network([2, 1], output="linear")
    net.set_parameters(weights=[[[0.01], [1.0]]], biases=[[0.0]])
    grid = GridEvaluator(box=(-2, 2), size=8)
    out = grid.evaluate(net).output_maps[0]
    assert out.shape == (8, 8)
    assert np.all(np.diff(out, axis=0) < 0)  # going down a column x2 decreases
    assert np.all(np.diff(out, axis=1) > 0)  # going right along a row x1 increases
    np.testing.assert_allclose(out[0, 0], 1.75 + 0.01 * -1.75, rtol=1e-6)


def test_hidden_units_live_in_one_buffer_with_a_row_of_ones_under_each_layer_and_one_contiguous_map_each():
    net = _net("tanh", sizes=(2, 3, 4, 5))
    grid = GridEvaluator(size=10)
    result = grid.evaluate(net)
    assert result.hidden.shape == (100, 12)
    assert result.hidden.dtype == np.float32
    assert result.offsets == [0, 3, 7, 12]
    # every layer's units in the one buffer, then a row of ones (the next layer's bias input)
    assert result.planes.shape == (15, 10, 10)
    assert result.rows.tolist() == [0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13]
    for ones in (3, 8, 14):
        assert np.all(result.planes[ones] == 1.0)
    for layer, width, first in zip(result.layers, (3, 4, 5), (0, 4, 9), strict=True):
        assert layer.shape == (100, width)
        assert np.shares_memory(layer, result.planes)
        np.testing.assert_array_equal(layer, result.planes[first:first + width].reshape(width, 100).T)
    np.testing.assert_array_equal(result.hidden, np.hstack(result.layers))
    assert result.maps.shape == (12, 10, 10)
    for u in (0, 7, 11):
        assert result.unit_map(u).flags.c_contiguous and np.shares_memory(result.unit_map(u), result.planes)
        np.testing.assert_array_equal(result.unit_map(u), result.hidden[:, u].reshape(10, 10))
        np.testing.assert_array_equal(result.maps[u], result.unit_map(u))


def test_buffers_are_reused_between_calls_and_reallocated_when_the_structure_changes():
    net = _net("relu")
    grid = GridEvaluator(size=12)
    first = grid.evaluate(net)
    planes, output = first.planes, first.output
    before = output.copy()
    net.set_param("bias", 2, 0, net.get_param("bias", 2, 0) + 1.0)
    second = grid.evaluate(net)
    assert np.shares_memory(second.planes, planes) and np.shares_memory(second.output, output)
    assert all(np.shares_memory(a, b) for a, b in zip(first.layers, second.layers, strict=True))
    assert not np.allclose(second.output, before)
    np.testing.assert_allclose(second.output, net.predict(grid.inputs), atol=2e-5)
    wider = _net("relu", sizes=(2, 7))
    third = grid.evaluate(wider)
    assert third.hidden.shape == (144, 7)
    np.testing.assert_allclose(third.hidden, wider.forward(grid.inputs).a[1], atol=2e-5)


def test_network_without_hidden_layers_has_an_empty_hidden_buffer():
    net = Network([2, 1], output="sigmoid", seed=1)
    grid = GridEvaluator(size=5)
    result = grid.evaluate(net)
    assert result.hidden.shape == (25, 0) and result.layers == []
    np.testing.assert_allclose(result.output, net.predict(grid.inputs), atol=1e-6)


def test_one_dimensional_features_make_the_grid_a_line():
    grid = GridEvaluator(box=(-3, 3), size=6, features=("x1", "x1sq"))
    assert grid.one_d and grid.shape == (6,)
    np.testing.assert_allclose(grid.points[:, 0], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
    net = _net("tanh", output="linear", sizes=(2, 4))
    result = grid.evaluate(net)
    assert result.maps.shape == (4, 6)
    np.testing.assert_allclose(result.output, net.predict(grid.inputs), atol=2e-5)
    assert thumbnails(result, 3).shape == (4, 3)


def test_non_identity_features_are_the_network_inputs():
    features = ("x1", "x2", "x1x2", "sin_x1")
    grid = GridEvaluator(size=9, features=features)
    np.testing.assert_allclose(grid.inputs, feature_map(grid.points, features))
    net = _net("relu", sizes=(4, 6))
    np.testing.assert_allclose(grid.evaluate(net).output, net.predict(grid.inputs), atol=2e-5)


def test_thumbnails_sample_the_cell_holding_each_thumbnail_centre():
    net = _net("sigmoid", sizes=(2, 3, 2))
    grid = GridEvaluator(size=100)
    result = grid.evaluate(net)
    thumbs = thumbnails(result, 10)
    assert thumbs.shape == (5, 10, 10)
    # Thumbnail pixel (i, j) covers grid cells 10i..10i+9; its centre lies in cell 10i + 5.
    np.testing.assert_array_equal(thumbs[4, 2, 7], result.maps[4, 25, 75])
    np.testing.assert_array_equal(thumbnails(result, 100), result.maps)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"box": (3, 3)}, "box"), ({"box": (0, float("inf"))}, "box"), ({"box": "wide"}, "box"),
    ({"size": 1}, "size"), ({"size": 2.5}, "size"), ({"dtype": np.int32}, "dtype"),
    ({"features": ("x1", "x3")}, "x3"),
])
def test_bad_grid_settings_are_refused_naming_the_setting(kwargs, field):
    with pytest.raises(ValueError, match=field):
        GridEvaluator(**kwargs)


def test_network_with_the_wrong_number_of_inputs_is_refused():
    grid = GridEvaluator(size=5, features=("x1", "x2", "x1sq"))
    with pytest.raises(ValueError, match="3 features"):
        grid.evaluate(Network([2, 3, 1]))


def test_bad_thumbnail_size_is_refused():
    result = GridEvaluator(size=8).evaluate(Network([2, 3, 1]))
    for bad in (0, 9, 2.0):
        with pytest.raises(ValueError, match="thumbnail size"):
            thumbnails(result, bad)


# --- the fast forms: per-axis factors of the first layer, the bias folded into e^(s z), relu by clip ------
SEPARABLE = ("x1", "x2", "x1sq", "x2sq", "sin_x1", "sin_x2")


def _scaled_net(activation, features, weight_scale, bias_scale, output="tanh", sizes=(6, 6), seed=7):
    net = Network([len(features), *sizes, 1], activation=activation, output=output, init="glorot", seed=seed)
    rng = np.random.default_rng(seed)
    for w in net.weights:
        w[:] = rng.normal(0.0, weight_scale / np.sqrt(w.shape[0]), size=w.shape)
    for b in net.biases:
        b[:] = rng.normal(0.0, bias_scale, size=b.shape)
    return net


def _max_errors(result, net, inputs):
    reference = net.forward(inputs)
    hidden = np.abs(result.hidden - np.hstack(reference.a[1:-1])).max()
    return hidden, np.abs(result.output - reference.output).max()


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("features", [("x1", "x2"), SEPARABLE, ("x2", "sin_x1")])
def test_separable_first_layer_equals_forward_to_float32_rounding(activation, features):
    grid = GridEvaluator(box=(-3, 3), size=30, features=features)
    net = _scaled_net(activation, features, weight_scale=1.5, bias_scale=1.0)
    result = grid.evaluate(net)
    assert grid.separable.evaluate(net, activation, np.empty((6, 900), np.float32))  # the per-axis path ran
    hidden, output = _max_errors(result, net, grid.inputs)
    # A few float32 ulps of values in [-1, 1], after float32 inputs and matmuls on the general path.
    assert hidden < 2e-6 and output < 2e-6


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_separable_and_general_first_layers_agree_on_the_same_points(activation):
    # The same network on the same points, once with the per-axis factors and once through the x1 x2
    # feature (weight 0), which forces the general matmul + exp path.
    net = _scaled_net(activation, ("x1", "x2"), weight_scale=2.0, bias_scale=1.0)
    mixed = Network([3, 6, 6, 1], activation=activation, output="tanh")
    mixed.set_parameters(weights=[np.vstack([net.weights[0], np.zeros((1, 6))]), *net.weights[1:]],
                         biases=net.biases)
    fast = GridEvaluator(box=(-4, 4), size=25)
    general = GridEvaluator(box=(-4, 4), size=25, features=("x1", "x2", "x1x2"))
    assert fast.separable.axes is not None and general.separable.axes is None
    np.testing.assert_allclose(fast.evaluate(net).hidden, general.evaluate(mixed).hidden, atol=2e-6)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_first_layer_too_large_for_factors_falls_back_to_the_general_path(activation):
    # Weights of ~40 on x1sq (up to 36): e^(s A) would overflow float32, so the factored form is refused.
    grid = GridEvaluator(box=(-6, 6), size=20, features=SEPARABLE)
    net = _scaled_net(activation, SEPARABLE, weight_scale=40.0, bias_scale=1.0, sizes=(5,))
    assert not grid.separable.evaluate(net, activation, np.empty((5, 400), np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = grid.evaluate(net)
    reference = net.forward(grid.inputs)
    far = np.abs(reference.z[0]) > 1.0  # float32 inputs x 40: near z = 0 the rounding of z dominates
    np.testing.assert_allclose(result.hidden[far], reference.a[1][far], atol=2e-6)
    assert np.all(np.abs(result.hidden) <= 1.0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("bias", [19.0, -19.0, 150.0, -150.0])
def test_large_biases_of_later_layers_are_exact_folded_or_not(activation, bias):
    # |2 b| = 38 is folded into e^(-s b) (factors near e^38); 150 is beyond the fold's range and is added
    # to z instead. Both must reach the same values as forward, saturated or not.
    grid = GridEvaluator(box=(-3, 3), size=60)
    net = _scaled_net(activation, ("x1", "x2"), weight_scale=1.0, bias_scale=1.0, sizes=(4, 4))
    net.weights[0][:, 0] = [1.0, 0.0]  # unit 0 of layer 1 is g(x1), spanning most of its range
    net.biases[0][0] = 0.0
    net.biases[1][:] = bias + np.linspace(-1.0, 1.0, 4)
    net.weights[1][:] = 0.0
    net.weights[1][0] = -2.0 * net.biases[1]  # z = b (1 - 2 g(x1)) crosses 0 inside the box
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = grid.evaluate(net)
    reference = net.forward(grid.inputs)
    z = reference.z[1]
    assert np.any(np.abs(z) < 0.1 * abs(bias) + 1.0) and np.any(np.abs(z) > 15.0)
    # Float32 rounding of z (terms of ~|b|) moves z by a few ulp(max |z|), the value by that times g'(z).
    slope = 1.0 - reference.a[2] ** 2 if activation == "tanh" else reference.a[2] * (1 - reference.a[2])
    tol = 4e-7 + 3 * 6e-8 * np.abs(z).max() * slope
    assert np.all(np.abs(result.layers[1] - reference.a[2]) <= tol)


def test_relu_layers_are_exactly_the_clipped_affine_map():
    # The grid's first-layer matmul adds the bias through a row of ones: in float64 the result must equal
    # max(x W + b, 0) from forward to rounding, with exact zeros where forward has them.
    net = _scaled_net("relu", ("x1", "x2"), weight_scale=2.0, bias_scale=1.0, sizes=(8, 8))
    grid = GridEvaluator(size=30, dtype=np.float64)
    result = grid.evaluate(net)
    reference = net.forward(grid.inputs)
    for l, layer in enumerate(result.layers):
        np.testing.assert_allclose(layer, reference.a[l + 1], rtol=1e-13, atol=1e-13)
        clear = np.abs(reference.z[l]) > 1e-9
        assert np.array_equal(layer[clear] > 0, reference.a[l + 1][clear] > 0)
        assert np.all(layer >= 0.0)


def test_separable_path_needs_a_two_dimensional_grid_without_the_product_feature():
    assert GridEvaluator(size=5).separable.axes is not None
    assert GridEvaluator(size=5, features=SEPARABLE).separable.axes is not None
    assert GridEvaluator(size=5, features=("x1", "x2", "x1x2")).separable.axes is None
    assert GridEvaluator(size=5, features=("x1", "x1sq")).separable.axes is None


def test_per_axis_features_add_up_to_the_grid_inputs():
    grid = GridEvaluator(box=(-2, 5), size=7, features=SEPARABLE)
    halves = grid.separable.axes[:, :-1]
    by_column, by_row = halves[:7], halves[7:]
    summed = (by_row[:, None, :] + by_column[None, :, :]).reshape(49, -1)
    np.testing.assert_allclose(summed, grid.inputs, atol=1e-14)
    assert np.all(grid.separable.axes[:, -1] == 0.5)  # the two halves of the bias


def test_evaluate_steps_yields_between_layers_and_gives_what_evaluate_gives():
    net = Network([2, 6, 5, 4, 1], activation=["tanh", "relu", "sigmoid"], output="sigmoid", seed=3)
    steps = GridEvaluator((-6, 6), 30).evaluate_steps(net)
    pauses = 0
    while True:
        try:
            next(steps)
            pauses += 1
        except StopIteration as done:
            sliced = done.value
            break
    whole = GridEvaluator((-6, 6), 30).evaluate(net)
    assert pauses == net.depth - 1
    assert np.array_equal(sliced.output, whole.output) and np.array_equal(sliced.hidden, whole.hidden)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"box": (3, -3)}, r"box: expected finite lo < hi, got \(3.0, -3.0\)"),
    ({"box": "wide"}, "box: expected a pair"),
    ({"box": (0, float("inf"))}, "box: expected finite lo < hi"),
    ({"size": 1}, "size: expected an integer >= 2, got 1"),
    ({"size": 2.5}, "size: expected an integer >= 2, got 2.5"),
    ({"size": True}, "size: expected an integer >= 2, got True"),
])
def test_a_bad_box_or_size_is_refused_naming_it(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GridEvaluator(**kwargs)


def test_the_box_and_size_checks_are_public_for_the_other_grid_users():
    assert check_box([-2, 5]) == (-2.0, 5.0)
    assert check_size(np.int64(7), "resolution") == 7
    with pytest.raises(ValueError, match="resolution: expected an integer >= 2"):
        check_size(0, "resolution")
