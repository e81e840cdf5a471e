"""Session: determinism from the one seed, live vs rebuild, scenes, inspection, export and divergence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from app import protocol as p
from app.config import ConfigError, SessionConfig
from app.session import Session


def params(session: Session) -> list[np.ndarray]:
    return [w.copy() for w in session.network.weights] + [b.copy() for b in session.network.biases]


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_reset_gives_back_the_same_data_weights_and_trajectory():
    s = Session(SessionConfig(seed=11))
    w0, x0 = params(s), s.data.train_raw.copy()
    s.train(30)
    after30 = params(s)
    s.reset()
    assert s.step_count == 0 and same(params(s), w0) and np.array_equal(s.data.train_raw, x0)
    s.train(30)
    assert same(params(s), after30)


def test_two_sessions_with_one_config_train_bit_for_bit_alike():
    a, b = Session(SessionConfig(seed=5, optimizer="adam")), Session(SessionConfig(seed=5, optimizer="adam"))
    a.train(25)
    b.train(10)
    b.train(15)
    assert same(params(a), params(b))


def test_a_different_seed_gives_different_data_and_weights():
    a, b = Session(SessionConfig(seed=1)), Session(SessionConfig(seed=2))
    assert not np.array_equal(a.data.train_raw, b.data.train_raw)
    assert not same(params(a), params(b))


def test_live_fields_apply_without_losing_training():
    s = Session(SessionConfig())
    s.train(20)
    w = params(s)
    rebuilt = s.configure({"learning_rate": 0.5, "reg_rate": 0.01, "steps_per_frame": 50, "max_fps": 30})
    assert rebuilt is False and s.step_count == 20 and same(params(s), w)
    assert s.trainer.optimizer.lr == 0.5 and s.trainer.reg_rate == 0.01


@pytest.mark.parametrize("optimizer,change,attrs", [
    ("momentum", {"momentum": 0.5, "nesterov": True}, {"beta": 0.5, "nesterov": True}),
    ("adam", {"beta1": 0.8, "beta2": 0.99}, {"beta1": 0.8, "beta2": 0.99}),
])
def test_optimizer_coefficients_apply_live_and_keep_the_optimizer_state(optimizer, change, attrs):
    s = Session(SessionConfig(optimizer=optimizer))
    s.train(20)
    opt = s.trainer.optimizer
    t = opt.t
    assert s.configure(change) is False and s.step_count == 20
    assert s.trainer.optimizer is opt and opt.t == t
    assert {k: getattr(opt, k) for k in attrs} == attrs
    # The following steps use the new coefficients: they match a twin whose engine optimizer got them
    # directly at the same step, and differ from a twin that kept the old ones.
    twin, unchanged = Session(SessionConfig(optimizer=optimizer)), Session(SessionConfig(optimizer=optimizer))
    twin.train(20)
    unchanged.train(20)
    for k, v in attrs.items():
        setattr(twin.trainer.optimizer, k, v)
    for session in (s, twin, unchanged):
        session.train(5)
    assert same(params(s), params(twin)) and not same(params(s), params(unchanged))


def test_structural_change_rebuilds_at_step_zero():
    s = Session(SessionConfig())
    s.train(20)
    assert s.configure({"hidden": [3]}) is True
    assert s.step_count == 0 and s.network.sizes == [2, 3, 1]


def test_rejected_config_leaves_the_session_unchanged():
    s = Session(SessionConfig(points=20, train_ratio=0.5))
    s.train(3)
    w = params(s)
    with pytest.raises(ConfigError) as info:
        s.configure({"batch_size": 11})
    assert info.value.field == "batch_size" and "10" in info.value.message
    with pytest.raises(ValidationError):
        s.configure({"hidden": [100]})
    assert s.step_count == 3 and same(params(s), w) and s.config.batch_size == 10


def test_many_classes_need_softmax():
    with pytest.raises(ConfigError) as info:
        Session(SessionConfig(dataset="blobs", classes=4, output="sigmoid"))
    assert info.value.field == "output"


def test_regenerate_draws_new_data_with_a_new_seed():
    s = Session(SessionConfig(seed=3))
    x = s.data.train_raw.copy()
    s.regenerate()
    assert s.config.seed != 3 and not np.array_equal(s.data.train_raw, x)
    # the new seed is in the config, so the URL reproduces the new data
    assert np.array_equal(Session(s.config).data.train_raw, s.data.train_raw)


def test_xor_by_hand_scene_computes_the_lecture_numbers():
    s = Session(scene="xor-by-hand")
    assert s.network.predict(s.data.train_x).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]
    assert not s.playing and s.view.regions
    # inspect (1, 1) with label 0: z1 = x W + c = [2, 1], h = [2, 1], y = h w + b = 2 - 2 = 0
    got = s.inspect((1.0, 1.0), 0.0)
    assert got["layers"][0]["z"] == [2.0, 1.0] and got["layers"][0]["a"] == [2.0, 1.0]
    assert got["output"] == [0.0] and got["loss"] == 0.0
    got = s.inspect((1.0, 1.0), 1.0)
    # squared error 1/2 (y - t)^2: delta of the output is y - t = -1, backpropagated by w = [1, -2]
    assert got["layers"][1]["delta"] == [-1.0]
    assert got["layers"][0]["delta"] == [-1.0, 2.0]
    s.train(5)
    s.reset()
    assert s.network.predict(s.data.train_x).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_inspect_deltas_match_finite_differences_of_the_loss():
    s = Session(SessionConfig(hidden=[3, 2], activation="tanh", output="sigmoid", seed=4))
    s.train(10)
    x, y = (0.7, -1.3), 1.0
    got = s.inspect(x, y)
    net = s.network
    X = np.array([x])
    T = net.encode_targets(np.array([y]))
    # delta of the first hidden layer = dL/dz: nudge that layer's bias (z moves one for one)
    for j in range(3):
        h = 1e-6
        net.biases[0][j] += h
        up = net.loss(X, T)
        net.biases[0][j] -= 2 * h
        down = net.loss(X, T)
        net.biases[0][j] += h
        assert got["layers"][0]["delta"][j] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)


def test_set_param_changes_one_number_and_names_a_bad_index():
    s = Session(scene="xor-by-hand")
    s.set_param("weight", 1, [1, 0], -1.0)
    assert s.network.weights[1][1, 0] == -1.0
    with pytest.raises((IndexError, ValueError)):
        s.set_param("weight", 0, [5, 0], 1.0)


def test_divergence_stops_play_and_reports_the_step():
    s = Session(SessionConfig(dataset="reg-plane", output="linear", hidden=[8, 8], activation="relu",
                              learning_rate=10.0, init="he"))
    s.playing = True
    s.train(500)
    assert s.state == "diverged" and not s.playing
    header = p.frame_header(s.snapshot())
    assert header["state"] == "diverged"
    frame = p.encode_snapshot(s.snapshot())  # NaN weights travel as null, never as invalid JSON
    json.loads(frame[4:4 + int.from_bytes(frame[:4], "little")])
    s.reset()
    assert s.state == "paused"


def test_export_json_reloads_the_same_network_and_csv_lists_every_point():
    s = Session(SessionConfig(seed=9))
    s.train(12)
    name, text = s.export("json")
    doc = json.loads(text)
    assert name.endswith(".json") and doc["step"] == 12
    clone = Session(SessionConfig.model_validate(doc["config"]))
    clone.network.set_parameters(**doc["parameters"])
    assert np.allclose(clone.network.predict(s.data.train_x), s.network.predict(s.data.train_x))
    name, text = s.export("csv")
    lines = text.strip().splitlines()
    assert lines[0] == "x1,x2,label,set"
    assert len(lines) - 1 == len(s.data.train_y) + len(s.data.test_y)


def test_train_ratio_one_trains_on_everything_without_a_test_set():
    s = Session(scene="xor-linear")
    assert len(s.data.train_y) == 4 and len(s.data.test_y) == 0
    s.train(3000)
    header = p.frame_header(s.snapshot())
    assert header["test_loss"] is None and header["test_accuracy"] is None
    # the lecture: least squares on XOR converges to w = 0, b = 1/2
    assert np.allclose(s.network.weights[0], 0.0, atol=1e-3) and s.network.biases[0][0] == pytest.approx(0.5,
                                                                                                     abs=1e-3)


def test_rebuild_that_removes_the_viewed_unit_drops_the_unit_view():
    s = Session(SessionConfig(hidden=[4, 2]))
    s.set_view(unit=(1, 1))
    s.configure({"hidden": [3]})
    assert s.view.unit is None and s.snapshot().unit is None


def test_start_from_sets_the_parameters_that_reset_returns_to():
    s = Session()
    start = s.network.get_parameters()
    start["weights"][0][0][0] = 0.75
    s.start_from(start)
    assert s.network.weights[0][0, 0] == 0.75
    s.train(5)
    assert s.network.get_parameters() != start
    s.reset()
    assert s.step_count == 0 and s.network.get_parameters() == start


def test_a_user_regression_set_trains_on_its_targets_in_its_own_box():
    points = [[x, y, 3.0 * x - y] for x in range(-2, 3) for y in range(-2, 3)]
    s = Session(SessionConfig(dataset="user", custom_points=points, custom_regression=True,
                              custom_box=[-2.5, 2.5], output="linear"))
    assert s.data.regression and s.data.classes == 0 and s.data.box == (-2.5, 2.5)
    targets = sorted(np.concatenate([s.data.train_y, s.data.test_y]).tolist())
    assert targets == sorted(p[2] for p in points)
    assert p.frame_header(s.snapshot())["box"] == [-2.5, 2.5]


def test_a_user_regression_set_with_a_classifier_output_is_refused_naming_output():
    points = [[0, 0, 0.5], [1, 0, 2.5], [0, 1, -1.5], [1, 1, 4.0]]
    with pytest.raises(ConfigError) as err:
        Session(SessionConfig(dataset="user", custom_points=points, custom_regression=True, output="sigmoid",
                              batch_size=2))
    assert err.value.field == "output" and "linear or tanh" in str(err.value)
