"""Space folding: the plane and the data as a hidden layer sees them."""

import numpy as np
import pytest

from app.engine import Network
from app.engine.folding import fold, grid_lines, hidden_activations, principal_plane

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def _xor_by_hand():
    """The lecture's solution: W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0."""
    net = Network([2, 2, 1], "relu", "linear", loss="squared_error")
    net.set_parameters(weights=[[[1, 1], [1, 1]], [[1], [-2]]], biases=[[0, -1], [0]])
    return net


def test_xor_hidden_layer_folds_the_four_points_onto_the_lectures_three_places():
    folded = fold(_xor_by_hand(), XOR_X, layer=1)
    assert not folded.projected and folded.units == 2
    np.testing.assert_array_equal(folded.points, [[0, 0], [1, 0], [1, 0], [2, 1]])


def test_in_xor_hidden_space_one_line_separates_the_classes():
    folded = fold(_xor_by_hand(), XOR_X, layer=1)
    # the output unit's own line h1 - 2 h2 = 1/2 splits the mapped points by class
    side = folded.points @ np.array([1.0, -2.0]) > 0.5
    np.testing.assert_array_equal(side, XOR_Y.astype(bool))


def test_layer_zero_is_the_input_plane_itself():
    net = _xor_by_hand()
    folded = fold(net, XOR_X, layer=0, box=(-1.0, 2.0), count=4, samples=5)
    np.testing.assert_array_equal(folded.lines, grid_lines((-1.0, 2.0), 4, 5))
    np.testing.assert_array_equal(folded.points, XOR_X)


def test_grid_lines_bend_where_relu_folds_the_plane():
    folded = fold(_xor_by_hand(), XOR_X, layer=1, box=(-2.0, 2.0), count=5, samples=9)
    # a line of constant x1 = -2 runs through x2 in [-2, 2]; h1 = relu(x1 + x2) is 0 until x2 = 2: the whole
    # line collapses onto h = (0, 0)
    np.testing.assert_array_equal(folded.lines[0], np.zeros((9, 2)))
    # the line x1 = 2: h1 = 2 + x2 >= 0 everywhere, h2 = relu(1 + x2) is 0 for x2 <= -1, then grows
    x2 = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(folded.lines[4], np.column_stack([2 + x2, np.maximum(1 + x2, 0)]))


def test_a_wide_layer_is_projected_on_its_principal_components():
    net = Network([2, 6, 1], "tanh", "sigmoid", seed=4)
    data = np.random.default_rng(1).uniform(-3, 3, size=(80, 2))
    folded = fold(net, data, layer=1)
    assert folded.projected and folded.units == 6
    H = hidden_activations(net, data, 1)
    # independent check: eigenvectors of the covariance matrix
    cov = np.cov(H, rowvar=False, bias=True)
    values, vectors = np.linalg.eigh(cov)
    top = vectors[:, ::-1][:, :2]
    for k in range(2):
        assert abs(float(folded.basis[:, k] @ top[:, k])) == pytest.approx(1.0, abs=1e-8)
    shares = values[::-1][:2] / values.sum()
    np.testing.assert_allclose(folded.explained, shares, rtol=1e-8)
    np.testing.assert_allclose(folded.points, (H - H.mean(axis=0)) @ folded.basis, atol=1e-12)


def test_a_one_unit_layer_lies_on_a_line():
    net = Network([2, 1, 1], "sigmoid", "sigmoid", seed=1)
    folded = fold(net, XOR_X, layer=1)
    assert folded.units == 1 and not folded.projected
    assert not folded.points[:, 1].any() and not folded.lines[..., 1].any()


def test_principal_plane_of_identical_points_has_zero_shares():
    mean, basis, shares = principal_plane(np.ones((5, 3)))
    np.testing.assert_array_equal(mean, np.ones(3))
    assert basis.shape == (3, 2) and shares == (0.0, 0.0)


def test_features_other_than_x1_x2_are_applied_before_the_layer():
    net = Network([3, 2, 1], "relu", "sigmoid", seed=0)
    folded = fold(net, XOR_X, layer=1, features=("x1", "x2", "x1x2"))
    feats = np.column_stack([XOR_X, XOR_X[:, 0] * XOR_X[:, 1]])
    np.testing.assert_allclose(folded.points, np.maximum(feats @ net.weights[0] + net.biases[0], 0))


@pytest.mark.parametrize(("layer", "match"), [(2, "from 0 .* to 1"), (-1, "layer"), (True, "layer")])
def test_a_layer_out_of_range_is_refused_by_name(layer, match):
    with pytest.raises(ValueError, match=match):
        fold(_xor_by_hand(), XOR_X, layer=layer)


def test_feature_count_must_match_the_networks_inputs():
    with pytest.raises(ValueError, match="takes 2 inputs but 3 features"):
        fold(_xor_by_hand(), XOR_X, layer=1, features=("x1", "x2", "x1x2"))


def test_empty_data_is_refused():
    with pytest.raises(ValueError, match="non-empty"):
        fold(_xor_by_hand(), np.zeros((0, 2)), layer=1)
