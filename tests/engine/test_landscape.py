"""The loss landscape slice, checked against a loss written out by hand for a 2-2-1 network."""

import numpy as np
import pytest

from app.engine import Network
from app.engine.landscape import (
    filter_normalized_direction,
    landscape,
    loss_slice,
    project,
    random_directions,
    trajectory_directions,
)


def _reference_loss(W1, b1, W2, b2, X, y):
    """tanh hidden layer, sigmoid output, mean binary cross-entropy: written out independently."""
    h = np.tanh(X @ W1 + b1)
    p = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)[:, 0]))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _net_and_data():
    net = Network([2, 2, 1], "tanh", "sigmoid", seed=3)
    rng = np.random.default_rng(5)
    X = rng.uniform(-2, 2, size=(40, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    return net, X, y


def _flat_of(net, W1, b1, W2, b2):
    probe = net.copy()
    probe.set_parameters(weights=[W1, W2], biases=[b1, b2])
    return probe.flat.copy()


def test_slice_values_match_a_hand_written_loss_at_every_grid_point():
    net, X, y = _net_and_data()
    rng = np.random.default_rng(11)
    parts1 = [rng.standard_normal(s) for s in [(2, 2), (2,), (2, 1), (1,)]]
    parts2 = [rng.standard_normal(s) for s in [(2, 2), (2,), (2, 1), (1,)]]
    d1, d2 = _flat_of(net, *parts1), _flat_of(net, *parts2)
    base = [net.weights[0].copy(), net.biases[0].copy(), net.weights[1].copy(), net.biases[1].copy()]
    alphas, betas, loss = loss_slice(net, X, y, d1, d2, span=(-0.5, 1.0, -2.0, 0.25), resolution=5)
    assert alphas.tolist() == pytest.approx(np.linspace(-0.5, 1.0, 5).tolist())
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            moved = [p + a * u + b * v for p, u, v in zip(base, parts1, parts2, strict=True)]
            assert loss[i, j] == pytest.approx(_reference_loss(*moved, X, y), rel=1e-12, abs=1e-12)


def test_slice_leaves_the_network_untouched():
    net, X, y = _net_and_data()
    before = net.flat.copy()
    landscape(net, X, y, rng=np.random.default_rng(0), resolution=7)
    assert np.array_equal(net.flat, before)


def test_filter_normalised_direction_has_each_units_weight_norm_and_no_bias_component():
    net = Network([2, 5, 3, 1], "relu", "sigmoid", seed=2)
    d = filter_normalized_direction(net, np.random.default_rng(1))
    probe = net.copy()
    probe.flat[:] = d
    for W, D in zip(net.weights, probe.weights, strict=True):
        np.testing.assert_allclose(np.linalg.norm(D, axis=0), np.linalg.norm(W, axis=0), rtol=1e-12)
    for bias in probe.biases:
        assert not bias.any()


def test_random_directions_are_reproducible_from_the_seed_and_differ_from_each_other():
    net, _, _ = _net_and_data()
    a1, a2 = random_directions(net, np.random.default_rng(4))
    b1, b2 = random_directions(net, np.random.default_rng(4))
    assert np.array_equal(a1, b1) and np.array_equal(a2, b2)
    assert not np.allclose(a1, a2)


def test_a_zero_initialised_network_has_no_filter_normalised_direction():
    net = Network([2, 3, 1], "relu", "sigmoid", init="zeros")
    with pytest.raises(ValueError, match="zero norm"):
        filter_normalized_direction(net, np.random.default_rng(0))


def test_a_zero_direction_is_refused_by_name():
    net, X, y = _net_and_data()
    d = np.ones_like(net.flat)
    with pytest.raises(ValueError, match="direction 2 has zero norm"):
        loss_slice(net, X, y, d, np.zeros_like(d))


def test_a_direction_of_the_wrong_length_names_the_expected_shape():
    net, X, y = _net_and_data()
    with pytest.raises(ValueError, match=rf"direction 1 must have shape \({net.flat.size},\)"):
        loss_slice(net, X, y, np.ones(3), np.ones_like(net.flat))


@pytest.mark.parametrize("resolution", [2, 202, 4.5, True])
def test_an_out_of_range_resolution_is_refused(resolution):
    net, X, y = _net_and_data()
    d = np.ones_like(net.flat)
    with pytest.raises(ValueError, match="resolution"):
        loss_slice(net, X, y, d, d[::-1].copy(), resolution=resolution)


def test_principal_directions_recover_the_plane_a_trajectory_moved_in():
    rng = np.random.default_rng(9)
    P = 17
    center = rng.standard_normal(P)
    e, _ = np.linalg.qr(rng.standard_normal((P, 2)))
    coeffs = np.column_stack([np.linspace(3, 0.1, 12), 0.5 * np.sin(np.linspace(0, 3, 12))])
    traj = center + coeffs @ e.T
    d1, d2, explained = trajectory_directions(traj, center)
    # the two directions span the same plane as e: projecting e onto them loses nothing
    basis = np.stack([d1, d2], axis=1)
    np.testing.assert_allclose(basis @ (basis.T @ e), e, atol=1e-10)
    assert explained[0] > explained[1] > 0 and sum(explained) == pytest.approx(1.0)
    # and the projected path puts every kept point back where it was
    path = project(traj, center, d1, d2)
    np.testing.assert_allclose(center + path @ basis.T, traj, atol=1e-10)


def test_a_trajectory_along_one_line_has_no_second_principal_direction():
    center = np.zeros(6)
    traj = np.outer(np.linspace(1, 2, 5), np.arange(6.0))
    with pytest.raises(ValueError, match="one line"):
        trajectory_directions(traj, center)


def test_a_trajectory_that_never_moved_is_refused():
    center = np.ones(4)
    with pytest.raises(ValueError, match="at least 2"):
        trajectory_directions(np.tile(center, (5, 1)), center)


def test_pca_landscape_spans_the_projected_path_and_marks_the_current_point():
    net, X, y = _net_and_data()
    rng = np.random.default_rng(2)
    kept = [net.flat + 0.3 * k * rng.standard_normal(net.flat.size) / (k + 1) for k in range(6, 0, -1)]
    kept.append(net.flat.copy())
    s = landscape(net, X, y, kind="pca", trajectory=np.array(kept), resolution=9)
    assert s.path is not None and s.explained is not None
    assert s.alphas[0] <= s.path[:, 0].min() and s.path[:, 0].max() <= s.alphas[-1]
    assert s.betas[0] <= s.path[:, 1].min() and s.path[:, 1].max() <= s.betas[-1]
    np.testing.assert_allclose(s.path[-1], [0.0, 0.0], atol=1e-12)
    assert s.center_loss == pytest.approx(net.loss(X, y))


def test_pca_landscape_without_a_trajectory_says_what_it_needs():
    net, X, y = _net_and_data()
    with pytest.raises(ValueError, match="trajectory"):
        landscape(net, X, y, kind="pca")


def test_regularised_slice_adds_half_l2_times_the_squared_weights_at_each_point():
    net, X, y = _net_and_data()
    d1, d2 = random_directions(net, np.random.default_rng(3))
    _, _, plain = loss_slice(net, X, y, d1, d2, resolution=3)
    alphas, betas, reg = loss_slice(net, X, y, d1, d2, resolution=3, l2=0.1)
    probe = net.copy()
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            probe.flat[:] = net.flat + a * d1 + b * d2
            squares = sum(float(np.sum(W * W)) for W in probe.weights)  # weights only, never biases
            assert reg[i, j] == pytest.approx(plain[i, j] + 0.05 * squares, rel=1e-12)
