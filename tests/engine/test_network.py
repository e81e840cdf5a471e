"""Network construction, parameter access by name and index, the forward pass, the weight penalty."""

import numpy as np
import pytest

from app.engine import Network


def test_weights_have_shape_fan_in_by_fan_out_and_z_is_a_at_W_plus_b():
    net = Network([3, 5, 2, 1], activation="tanh", seed=0)
    assert [w.shape for w in net.weights] == [(3, 5), (5, 2), (2, 1)]
    assert [b.shape for b in net.biases] == [(5,), (2,), (1,)]
    X = np.random.default_rng(0).normal(size=(4, 3))
    fwd = net.forward(X)
    np.testing.assert_allclose(fwd.z[0], X @ net.weights[0] + net.biases[0])
    np.testing.assert_allclose(fwd.a[1], np.tanh(fwd.z[0]))
    assert fwd.output.shape == (4, 1)


def test_activation_can_be_given_per_layer():
    net = Network([2, 3, 3, 1], activation=["relu", "sine"], seed=0)
    X = np.array([[0.3, -0.2]])
    fwd = net.forward(X)
    np.testing.assert_allclose(fwd.a[1], np.maximum(fwd.z[0], 0))
    np.testing.assert_allclose(fwd.a[2], np.sin(fwd.z[1]))


def test_unknown_activation_is_refused_with_its_name():
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        Network([2, 3, 1], activation="relux")


def test_activation_list_of_wrong_length_is_refused():
    with pytest.raises(ValueError, match="2 entries for 1 hidden layers"):
        Network([2, 3, 1], activation=["relu", "tanh"])


def test_disallowed_output_loss_pair_is_refused_listing_allowed_pairs():
    with pytest.raises(ValueError, match=r"cannot follow output 'linear'.*allowed pairs"):
        Network([2, 1], output="linear", loss="cross_entropy")


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match="unknown init 'uniformish'"):
        Network([2, 1], init="uniformish")


def test_one_weight_and_one_bias_can_be_read_and_written():
    net = Network([2, 3, 1], seed=0)
    net.set_param("weight", 0, (1, 2), 0.75)
    net.set_param("bias", 1, 0, -0.5)
    assert net.get_param("weight", 0, [1, 2]) == 0.75
    assert net.weights[0][1, 2] == 0.75
    assert net.get_param("bias", 1, 0) == -0.5


@pytest.mark.parametrize("kind,layer,index,value,message", [
    ("weight", 5, (0, 0), 1.0, "layer must be an integer in 0..1"),
    ("weight", 0, (2, 0), 1.0, r"weight index \[2, 0\] is out of range for shape \[2, 3\]"),
    ("weight", 0, 0, 1.0, r"a weight index is a pair"),
    ("bias", 0, 3, 1.0, r"bias index \[3\] is out of range"),
    ("bias", 0, 0, float("nan"), "must be a finite number"),
    ("slope", 0, 0, 1.0, "no parameter kind 'slope'"),
])
def test_bad_parameter_edits_are_refused_naming_what_was_wrong(kind, layer, index, value, message):
    net = Network([2, 3, 1], seed=0)
    before = net.flat.copy()
    with pytest.raises((ValueError, IndexError), match=message):
        net.set_param(kind, layer, index, value)
    np.testing.assert_array_equal(net.flat, before)


def test_set_parameters_checks_every_shape_before_writing():
    net = Network([2, 2, 1], seed=0)
    before = net.flat.copy()
    with pytest.raises(ValueError, match=r"weights\[1\] has shape \[1, 2\], expected \[2, 1\]"):
        net.set_parameters(weights=[[[1, 1], [1, 1]], [[1, -2]]], biases=[[0, -1], [0]])
    np.testing.assert_array_equal(net.flat, before)


def test_prelu_slopes_and_rbf_widths_are_parameters_by_name():
    net = Network([2, 3, 3, 1], activation=["prelu", "rbf"], seed=0)
    assert np.all(net.unit_params[0]["slope"] == 0.25)
    assert np.all(net.unit_params[1]["sigma"] == 1.5)
    net.set_param("slope", 0, 1, 0.1)
    assert net.get_param("slope", 0, 1) == 0.1
    with pytest.raises(ValueError, match="sigma"):
        net.set_param("sigma", 1, 0, -1.0)


def test_maxout_layer_has_k_pieces_per_unit():
    net = Network([2, 3, 1], activation="maxout", activation_options={"maxout_k": 4}, seed=0)
    assert net.weights[0].shape == (2, 12)
    X = np.random.default_rng(1).normal(size=(5, 2))
    fwd = net.forward(X)
    z = X @ net.weights[0] + net.biases[0]
    np.testing.assert_allclose(fwd.a[1], z.reshape(5, 3, 4).max(axis=2))


def test_rbf_unit_is_a_gaussian_of_the_distance_to_its_template():
    net = Network([2, 2, 1], activation="rbf", seed=0)
    x = np.array([[0.5, -1.0]])
    W, sigma = net.weights[0], net.unit_params[0]["sigma"]
    expected = [np.exp(-np.sum((x[0] - W[:, i]) ** 2) / sigma[i] ** 2) for i in range(2)]
    np.testing.assert_allclose(net.forward(x).a[1][0], expected)


def test_copy_is_independent():
    net = Network([2, 3, 1], seed=0)
    clone = net.copy()
    clone.set_param("weight", 0, (0, 0), 9.0)
    assert net.get_param("weight", 0, (0, 0)) != 9.0
    assert clone.rng.random() == net.rng.random()  # generator state copied, not shared
    assert clone.rng is not net.rng


def test_parameters_round_trip_through_plain_lists():
    net = Network([2, 3, 3, 1], activation=["prelu", "rbf"], seed=0)
    params = net.get_parameters()
    other = Network([2, 3, 3, 1], activation=["prelu", "rbf"], seed=1)
    other.set_parameters(**params)
    np.testing.assert_array_equal(other.flat, net.flat)


def test_piecewise_linear_flag_follows_the_hidden_units():
    assert Network([2, 3, 3, 1], activation=["relu", "maxout"]).piecewise_linear
    assert Network([2, 3, 1], activation="hard_tanh").piecewise_linear
    assert not Network([2, 3, 3, 1], activation=["relu", "tanh"]).piecewise_linear


def test_inputs_of_the_wrong_width_are_refused():
    with pytest.raises(ValueError, match=r"inputs must have shape \(n, 2\)"):
        Network([2, 1]).predict(np.zeros((3, 3)))


def test_regularization_penalises_weights_but_not_biases():
    net = Network([2, 3, 1], seed=0)
    net.flat[:] = 1.0
    X, y = np.zeros((4, 2)), np.zeros(4)
    plain = net.loss_and_gradients(X, y)
    reg = net.loss_and_gradients(X, y, l2=0.5)
    np.testing.assert_allclose(reg.weights[0] - plain.weights[0], 0.5)
    np.testing.assert_allclose(reg.biases[0] - plain.biases[0], 0.0)
    n_weights = sum(w.size for w in net.weights)
    assert reg.total - reg.loss == pytest.approx(0.5 * 0.5 * n_weights)
    l1 = net.loss_and_gradients(X, y, l1=0.25)
    assert l1.total - l1.loss == pytest.approx(0.25 * n_weights)
