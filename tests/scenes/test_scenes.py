"""Every lecture scene is registered, loads, and its defining numbers hold (issue 5).

References are independent of the code under test: the slides' matrices written out by hand, gradients
from a hand-written backprop and from finite differences, the bounds' formulas evaluated by hand.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from app import lecture, scenes
from app import protocol as p
from app.config import SessionConfig
from app.engine.activations import ACTIVATIONS, GROUPS
from app.engine.regions import region_count
from app.lecture import companion_hidden, dead_units
from app.session import Session

ISSUE_SCENES = ("logistic", "xor-linear", "xor-by-hand", "xor-learned", "activations", "saturation",
                "softmax", "depth", "backprop", "universality", "spiral-deep")


def test_all_eleven_lecture_scenes_are_registered_with_caption_title_and_topic():
    assert set(ISSUE_SCENES) <= set(scenes.SCENES)
    for name in ISSUE_SCENES:
        scene = scenes.get_scene(name)
        assert scene.title and len(scene.caption) > 60 and scene.topic, name
        assert scene.panel is None or scene.panel in scenes.PANELS


@pytest.mark.parametrize("name", list(scenes.SCENES))
def test_scene_loads_with_its_config_and_a_frame(name):
    session = Session(scene=name)
    scene = scenes.get_scene(name)
    for field, value in scene.config.items():
        assert getattr(session.config, field) == value, field
    assert session.scene is scene and session.playing == scene.autoplay
    session.train(3)
    header = p.frame_header(session.snapshot())
    assert header["step"] == 3 and header["train_loss"] is not None


@pytest.mark.parametrize("name", [n for n, s in scenes.SCENES.items() if s.panel])
def test_scene_panel_answers_for_the_scene_as_loaded(name):
    session = Session(scene=name)
    args = {"count": 2, "steps": 10} if name == "xor-learned" else {}
    data = lecture.compute(session, scenes.get_scene(name).panel, **args)
    assert isinstance(data, dict) and data


def test_unknown_panel_is_refused_naming_what():
    with pytest.raises(ValueError, match="what: unknown lecture panel 'nope'"):
        lecture.compute(Session(scene="xor-by-hand"), "nope")


def test_panel_that_does_not_fit_the_network_is_refused_naming_what():
    with pytest.raises(ValueError, match="what: the walk-through needs exactly one hidden layer"):
        lecture.compute(Session(scene="playground"), "walkthrough")


def test_scene_with_an_unknown_panel_fails_at_registration():
    with pytest.raises(ValueError, match="unknown panel 'slides'"):
        scenes.register(scenes.Scene("x-panel", "X", "c", {"hidden": [2]}, panel="slides"))


def test_unknown_scene_error_lists_the_known_ones():
    with pytest.raises(KeyError, match="known scenes: playground"):
        scenes.get_scene("xor-by-heart")


# --- xor by hand ------------------------------------------------------------------------------------
def test_xor_by_hand_outputs_0_1_1_0_and_shows_the_slides_matrices():
    data = lecture.compute(Session(scene="xor-by-hand"), "walkthrough")
    assert data["X"] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert data["W"] == [[1, 1], [1, 1]] and data["c"] == [0, -1]
    assert data["XW"] == [[0, 0], [1, 1], [1, 1], [2, 2]]
    assert data["XWc"] == [[0, -1], [1, 0], [1, 0], [2, 1]]
    assert data["H"] == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert data["w"] == [[1], [-2]] and data["b"] == [0]
    assert data["output"] == [[0], [1], [1], [0]]
    assert data["labels"] == [0, 1, 1, 0]


def test_xor_by_hand_hidden_points_are_separated_by_the_output_line():
    data = lecture.compute(Session(scene="xor-by-hand"), "walkthrough")
    H, w, b = np.array(data["H"]), np.array(data["w"])[:, 0], data["b"][0]
    side = H @ w + b > data["threshold"]
    assert side.tolist() == [False, True, True, False]
    # (0,1) and (1,0) collapse onto one hidden point: four inputs, three distinct points
    assert len({tuple(h) for h in H.tolist()}) == 3


def test_editing_a_weight_updates_the_walkthrough():
    session = Session(scene="xor-by-hand")
    session.set_param("bias", 0, 1, 0.0)  # c = [0, 0]: the second unit copies the first
    data = lecture.compute(session, "walkthrough")
    assert data["XWc"] == [[0, 0], [1, 1], [1, 1], [2, 2]]
    assert data["output"] == [[0], [-1], [-1], [-2]]


# --- xor linear / learned -----------------------------------------------------------------------------
def test_xor_linear_trains_to_w_zero_b_half():
    session = Session(scene="xor-linear")
    session.train(600)
    net = session.network
    assert np.max(np.abs(net.weights[0])) < 1e-3
    assert abs(net.biases[0][0] - 0.5) < 1e-3
    assert np.allclose(net.predict(session.data.train_x), 0.5, atol=2e-3)


def test_xor_learned_some_starts_solve_and_some_get_stuck_with_a_dead_relu():
    session = Session(scene="xor-learned")
    runs = lecture.compute(session, "seeds", count=12, steps=400)["runs"]
    assert any(r["solved"] for r in runs)
    stuck = [r for r in runs if not r["solved"] and r["dead"]]
    assert stuck


def test_a_dead_relu_gets_zero_gradient_on_its_incoming_weights():
    session = Session(scene="xor-learned")
    net = session.network
    net.set_parameters(weights=[[[1.0, -1.0], [1.0, -1.0]], [[1.0], [1.0]]], biases=[[0.0, -0.5], [0.0]])
    X, T = session.data.train_x, session.data.train_t
    assert dead_units(net, X) == [[0, 1]]  # -x1 - x2 - 0.5 < 0 on all four points
    grads = net.loss_and_gradients(X, T, train=False)
    assert np.all(grads.weights[0][:, 1] == 0) and grads.biases[0][1] == 0


# --- activations ----------------------------------------------------------------------------------------
def test_gallery_has_every_hidden_unit_grouped_with_its_verdict():
    data = lecture.compute(Session(scene="activations"), "gallery")
    names = [u["name"] for u in data["units"]]
    assert names == list(ACTIVATIONS) and data["groups"] == list(GROUPS)
    for unit in data["units"]:
        assert unit["verdict"] == ACTIVATIONS[unit["name"]].verdict
        assert unit["group"] in GROUPS


def test_gallery_derivative_matches_the_slope_of_g():
    data = lecture.compute(Session(scene="activations"), "gallery")
    z = np.array(data["z"])
    inner = np.abs(z) > 0.2  # away from the kinks at 0
    for unit in data["units"]:
        g, dg = np.array(unit["g"]), np.array(unit["dg"])
        slope = np.gradient(g, z)
        kinks = np.abs(np.abs(z) - 1) > 0.2 if unit["name"] == "hard_tanh" else True
        inner_u = inner & kinks
        assert np.allclose(dg[inner_u][1:-1], slope[inner_u][1:-1], atol=0.02), unit["name"]
    relu = next(u for u in data["units"] if u["name"] == "relu")
    assert np.array_equal(relu["g"], np.maximum(z, 0).round(4))


# --- saturation -----------------------------------------------------------------------------------------
def test_saturation_squared_error_output_gradient_is_smaller_at_every_step():
    data = lecture.compute(Session(scene="saturation"), "saturation")
    se, ce = data["runs"]["squared_error"], data["runs"]["cross_entropy"]
    assert se["step"] == ce["step"] and se["step"][0] == 0
    assert all(a < b for a, b in zip(se["output_gradient"], ce["output_gradient"], strict=True))
    # the squared-error run stalls confidently wrong; cross-entropy recovers
    assert se["accuracy"][-1] < 0.5 < ce["accuracy"][-1]
    assert se["cross_entropy"][-1] > 10 * ce["cross_entropy"][-1]


def test_saturation_output_gradients_at_the_start_match_the_formulas():
    session = Session(scene="saturation")
    X, t = session.data.train_x, session.data.train_y.astype(float)
    y = 1.0 / (1.0 + np.exp(-(X @ np.array([-3.0, -3.0]))))  # the scene's hand-set start
    data = lecture.compute(session, "saturation")
    assert data["runs"]["squared_error"]["output_gradient"][0] == pytest.approx(
        np.mean(np.abs((y - t) * y * (1 - y))), rel=1e-9)
    assert data["runs"]["cross_entropy"]["output_gradient"][0] == pytest.approx(
        np.mean(np.abs(y - t)), rel=1e-9)


# --- depth ----------------------------------------------------------------------------------------------
def test_depth_compares_the_same_number_of_hidden_units():
    assert companion_hidden([4, 4, 4]) == [12]
    assert companion_hidden([12]) == [4, 4, 4]
    assert companion_hidden([6]) == [3, 3]


def test_depth_shows_the_engines_exact_counts_and_both_bounds():
    session = Session(scene="depth")
    session.train(30)
    data = lecture.compute(session, "depth")
    shallow, deep = data["panels"]
    assert shallow["hidden"] == [12] and deep["hidden"] == [4, 4, 4]
    assert deep["regions"] == region_count(session.network, session.data.box, ("x1", "x2")).to_dict()
    companion = session.lecture_cache["depth"].net
    assert companion.sizes == [2, 12, 1]
    assert session.lecture_cache["depth"].step_count == 30
    assert shallow["regions"] == region_count(companion, session.data.box, ("x1", "x2")).to_dict()
    assert shallow["regions"]["exact"] and deep["regions"]["exact"]
    # Zaslavsky for 12 lines in the plane, and Montufar et al. for 4-4-4 by hand
    assert shallow["regions"]["bound"] == 1 + 12 + comb(12, 2) == shallow["regions"]["upper"]
    assert deep["regions"]["bound"] == (2 ** 2) * (2 ** 2) * (1 + 4 + 6)
    assert deep["regions"]["upper"] == (1 + 4 + 6) ** 3
    for panel in (shallow, deep):
        ids = np.array(panel["map"])
        assert ids.shape == (64, 64)
        assert 1 <= len(np.unique(ids)) <= panel["regions"]["count"]


# --- backprop -------------------------------------------------------------------------------------------
def _hand_backprop(W1, b1, W2, b2, x, t):
    """The lecture's recursion for a tanh hidden layer and a sigmoid + cross-entropy output."""
    a1 = x @ W1 + b1
    z1 = np.tanh(a1)
    a2 = z1 @ W2 + b2
    y = 1 / (1 + np.exp(-a2))
    d2 = y - t
    d1 = (1 - z1 ** 2) * (W2 @ d2)
    return a1, z1, d1, d2, np.outer(x, d1), np.outer(z1, d2)


def test_backprop_numbers_equal_a_hand_written_backprop_and_finite_differences():
    session = Session(scene="backprop")
    session.train(7)
    net = session.network
    data = lecture.compute(session, "backprop", x=[0.3, 0.8], y=1.0)
    a1, z1, d1, d2, dW1, dW2 = _hand_backprop(net.weights[0], net.biases[0], net.weights[1], net.biases[1],
                                              np.array([0.3, 0.8]), np.array([1.0]))
    first, out = data["layers"]
    assert np.allclose(first["a"], a1, atol=1e-6) and np.allclose(first["z"], z1, atol=1e-6)
    assert np.allclose(first["delta"], d1, atol=1e-6) and np.allclose(out["delta"], d2, atol=1e-6)
    assert np.allclose(first["dW"], dW1, atol=1e-6) and np.allclose(out["dW"], dW2, atol=1e-6)
    assert np.allclose(first["W_next"], net.weights[0] - 0.5 * dW1, atol=1e-6)
    assert data["check"]["parameters"] == data["check"]["of"] == net.flat.size
    assert data["check"]["max_error"] < 1e-7


def test_backprop_without_a_label_snaps_to_the_nearest_training_point():
    data = lecture.compute(Session(scene="backprop"), "backprop", x=[0.9, 0.1], y=None)
    assert data["y"] == 1.0  # nearest to (1, 0), an XOR 1
    assert data["x"] == [1.0, 0.0]  # the data point itself, not the click


def test_backprop_opens_on_a_data_point_whose_every_gradient_is_non_zero():
    session = Session(scene="backprop")
    data = lecture.compute(session, "backprop")
    # was (0, 0), the first XOR point: a zero input, so every dL/dw of the first layer was 0
    assert data["x"] == [1.0, 1.0] and data["y"] == 0.0
    assert data["x"] in session.data.train_raw.tolist()
    for layer in data["layers"]:
        assert np.all(np.abs(layer["dW"]) > 1e-6) and np.all(np.abs(layer["delta"]) > 1e-6)


# --- universality ----------------------------------------------------------------------------------------
def test_universality_curve_is_the_sum_of_the_unit_contributions_and_the_network_output():
    session = Session(scene="universality")
    session.train(50)
    data = lecture.compute(session, "universality")
    x = np.array(data["x"])
    contributions = np.array(data["contributions"])
    assert contributions.shape == (12, x.size)
    assert np.allclose(contributions.sum(axis=0) + data["bias"], data["curve"], atol=1e-3)
    assert np.allclose(session.network.predict(x[:, None])[:, 0], data["curve"], atol=1e-4)


def test_universality_fits_the_sine_better_than_a_constant():
    session = Session(scene="universality")
    session.train(1500)
    data = lecture.compute(session, "universality")
    x, curve = np.array(data["x"]), np.array(data["curve"])
    assert np.mean((curve - np.sin(x)) ** 2) < 0.25 * np.mean(np.sin(x) ** 2)


def test_one_d_sets_load_only_with_x1_features_and_send_points_on_their_curve():
    session = Session(scene="universality")
    rows = session.dataset_points()["train"]
    assert all(len(r) == 3 and r[1] == r[2] for r in rows)
    assert np.allclose([r[1] for r in rows], np.sin([r[0] for r in rows]), atol=1e-3)
    from app.config import ConfigError
    with pytest.raises(ConfigError) as info:
        Session(scene="universality", overrides={"features": ["x1", "x2"]})
    assert info.value.field == "features"
    assert SessionConfig(dataset="step", features=["x1"]).dataset == "step"


def test_softmax_scene_streams_a_class_map():
    session = Session(scene="softmax")
    snap = session.snapshot()
    assert snap.classes is not None and set(np.unique(snap.classes)) <= {0, 1, 2}


def test_backprop_check_of_a_large_network_covers_a_spread_subset():
    session = Session(scene="backprop", overrides={"hidden": [64, 64]})
    data = lecture.compute(session, "backprop", x=[0.2, 0.4], y=1.0)
    assert data["check"]["of"] == session.network.flat.size > 2000
    assert data["check"]["parameters"] == 2000 and data["check"]["max_error"] < 1e-6


def test_seeds_panel_refuses_large_networks_naming_what():
    session = Session(scene="xor-learned", overrides={"hidden": [32]})
    with pytest.raises(ValueError, match="what: the seeds panel trains 12 copies"):
        lecture.compute(session, "seeds")
