"""Compare (app/compare.py): network B trained in lockstep beside the session's A. Over a socket: A's frames
are the frames it would send without compare, B's loss is the loss of a network trained by hand on A's
batches, refused keys name compare.<key>, rewind and reset act on both, live fields reach B. In a session:
B's label in a lecturer's words, B's divergence, A's divergence."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from starlette.testclient import TestClient

from app import protocol as p
from app.compare import SAME, describe
from app.config import SessionConfig
from app.engine import Network, Trainer, make_dataset, make_optimizer, split
from app.engine.features import feature_map
from app.server import create_app
from app.session import Session
from app.settings import Settings

from .helpers import Reader, assert_error

BASE = {"dataset": "xor", "noise": 0.2, "seed": 5, "steps_per_frame": 5, "hidden": [4, 3],
        "activation": "rrelu", "batch_size": 7}  # rrelu in A: its noise draws must not reach B, nor B's A
B_DIFF = {"activation": "relu", "optimizer": "adam", "learning_rate": 0.01, "hidden": [6]}


@pytest.fixture
def client():
    with TestClient(create_app(Settings())) as c:
        yield c


def _socket_run(client, config, steps=12):
    """The frames of ``steps`` 'step 5' presses from a new session of ``config``: (header, arrays) each,
    and the session's whole config (the welcome's)."""
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        effective = ws.hello(config=config)["config"]
        frames = []
        for _ in range(steps):
            ws.send(type="step", n=5)
            frames.append(p.decode_frame(ws.until("frame")))
            ws.until("state")
        return frames, effective


def test_a_with_compare_on_sends_the_frames_it_sends_with_compare_off(client):
    off, _ = _socket_run(client, BASE)
    on, _ = _socket_run(client, {**BASE, "compare": B_DIFF})
    for (h_off, a_off), (h_on, a_on) in zip(off, on, strict=True):
        b = h_on.pop("compare")
        h_on.pop("arrays"), h_off.pop("arrays")
        assert h_on == h_off  # every field of A: step, losses, weights ... bit for bit as printed
        assert set(a_on) - set(a_off) == {"compare_output"}
        assert all(np.array_equal(a_on[name], a_off[name]) for name in a_off)
        assert b["step"] == h_on["step"] and b["epoch"] == h_on["epoch"]
        assert "compare" not in h_off
    assert [h["step"] for h, _ in off] == list(range(5, 65, 5))


def _hand_reference(config: SessionConfig, steps: int):
    """B's losses trained by hand: the session's data drawn from the seed as documented (data, split, then
    the initial weights), A's batch order taken from a solo A trainer, B's plain gradient steps on those
    rows. Returns B's parameters and its training-set loss after ``steps``."""
    rng = np.random.default_rng(config.seed)
    ds = make_dataset(config.dataset, rng, n=config.points, noise=config.noise)
    train, _ = split(ds, config.train_ratio, rng)
    b_rng = np.random.default_rng()
    b_rng.bit_generator.state = rng.bit_generator.state  # B's weights come from where A's do
    X = feature_map(train.X, config.features)
    a = Trainer(Network([2, 4, 3, 1], activation="rrelu", output=config.output, loss=config.loss,
                        init="playground", rng=rng), make_optimizer("sgd", 0.03),
                X, train.y, batch_size=7, rng=rng)
    a.use_fast_path = False
    rows_seen = []
    original = a.net.loss_and_gradients

    def spy(Xb, Tb, **kw):
        rows_seen.append(Xb.copy())
        return original(Xb, Tb, **kw)

    a.net.loss_and_gradients = spy
    a.step(steps)
    index = {tuple(row): i for i, row in enumerate(X)}
    b = Network([2, 6, 1], activation="relu", output=config.output, loss=config.loss, init="playground",
                rng=b_rng)
    opt = make_optimizer("adam", 0.01)
    T = b.encode_targets(train.y)
    for batch in rows_seen:
        rows = [index[tuple(r)] for r in batch]
        opt.update(b.flat, b.loss_and_gradients(X[rows], T[rows]).flat)
    return b, b.loss(X, T)


def test_b_is_the_network_trained_by_hand_on_as_batches_in_as_order(client):
    frames, config = _socket_run(client, {**BASE, "compare": B_DIFF}, steps=8)
    assert config["compare"] == B_DIFF
    ref, loss = _hand_reference(SessionConfig.model_validate(config), 40)
    b = frames[-1][0]["compare"]
    assert b["step"] == 40 and b["sizes"] == [2, 6, 1]
    assert math.isclose(b["metrics"]["train_loss"], loss, rel_tol=1e-9)
    assert np.allclose(np.asarray(b["weights"][0]), np.round(ref.weights[0], 4), atol=1.5e-4)
    assert b["label"] == ("B: 6 hidden instead of 4, 3; ReLU instead of randomized ReLU; "
                          "Adam instead of SGD; learning rate 0.01 instead of 0.03")


@pytest.mark.parametrize("key", ["seed", "batch_size", "dataset"])
def test_a_shared_key_in_compare_is_refused_by_name_and_the_session_goes_on(client, key):
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello(config=BASE)
        ws.send(type="step", n=5)
        ws.until("frame")
        ws.until("state")
        ws.send(type="configure", config={"compare": {key: SessionConfig().model_dump()[key]}})
        error = ws.until("error")
        assert_error(error, p.E_INVALID_CONFIG, f"compare.{key}", mentions="shares A's data and batches")
        ws.send(type="step", n=5)
        header = p.decode_frame(ws.until("frame"))[0]
        assert header["step"] == 10 and "compare" not in header


def test_rewind_puts_both_at_the_same_step_and_training_on_retraces_both(client):
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello(config={**BASE, "compare": B_DIFF})
        for _ in range(4):
            ws.send(type="step", n=5)
            at_20 = p.decode_frame(ws.until("frame"))[0]
            ws.until("state")
        later = []
        for _ in range(3):
            ws.send(type="step", n=5)
            later.append(p.decode_frame(ws.until("frame"))[0])
            ws.until("state")
        ws.send(type="rewind", step=20)
        assert ws.until("rewound")["step"] == 20
        back = p.decode_frame(ws.until("frame"))[0]
        ws.until("state")
        assert back["compare"]["step"] == back["step"] == 20
        assert back["compare"]["weights"] == at_20["compare"]["weights"] != later[-1]["compare"]["weights"]
        again = []
        for _ in range(3):
            ws.send(type="step", n=5)
            again.append(p.decode_frame(ws.until("frame"))[0])
            ws.until("state")
        assert [h["compare"] for h in again] == [h["compare"] for h in later]


def test_reset_and_regenerate_take_both_back_to_step_zero(client):
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello(config={**BASE, "compare": {"optimizer": "adam"}})
        ws.send(type="reset")  # answers the step-0 frame
        start = p.decode_frame(ws.until("frame"))[0]
        # same architecture and init: B starts from A's initial weights
        assert start["compare"]["weights"] == start["weights"]
        ws.send(type="step", n=15)
        ws.until("frame")  # a frame may be sent after the state (the latest frame waits behind messages)
        ws.until("state")
        ws.send(type="reset")
        header = p.decode_frame(ws.until("frame"))[0]
        assert header["compare"]["step"] == 0 and header["compare"]["weights"] == start["compare"]["weights"]
        ws.send(type="regenerate")
        header = p.decode_frame(ws.until("frame"))[0]
        assert header["step"] == header["compare"]["step"] == 0


def test_live_fields_in_compare_reach_b_without_a_rebuild(client):
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello(config={**BASE, "compare": {"learning_rate": 0.1}})
        ws.send(type="step", n=10)
        ws.until("frame")
        ws.until("state")
        ws.send(type="configure", config={"compare": {"learning_rate": 0.3}})
        answer = ws.until("config")
        assert answer["rebuilt"] is False and answer["config"]["compare"] == {"learning_rate": 0.3}
        header = p.decode_frame(ws.until("frame"))[0]
        assert header["step"] == header["compare"]["step"] == 10
        assert header["compare"]["label"] == "B: learning rate 0.3 instead of 0.03"
        ws.send(type="configure", config={"compare": {"learning_rate": 0.3, "hidden": [2]}})
        assert ws.until("config")["rebuilt"] is True


def test_a_session_without_compare_frames_exactly_as_a_compare_sessions_a_side():
    plain, paired = Session(SessionConfig.model_validate(BASE)), Session(
        SessionConfig.model_validate({**BASE, "compare": B_DIFF}))
    for s in (plain, paired):
        s.train(23)
    snap = paired.snapshot()
    assert snap.compare is not None
    assert p.encode_snapshot(plain.snapshot()) == p.encode_snapshot(dataclasses.replace(snap, compare=None))


def test_live_changes_of_a_apply_to_b_too():
    s = Session(SessionConfig.model_validate({**BASE, "compare": {"optimizer": "momentum"}}))
    s.train(10)
    assert s.configure({"learning_rate": 0.2, "momentum": 0.5}) is False
    assert s.compare is not None
    assert s.compare.trainer.optimizer.lr == 0.2 and s.compare.trainer.optimizer.beta == 0.5
    assert s.compare.trainer.step_count == 10


def test_b_that_diverges_stops_while_a_trains_on():
    s = Session(SessionConfig.model_validate({**BASE, "activation": "tanh", "compare": {
        "activation": "linear", "output": "linear", "loss": "squared_error", "learning_rate": 10}}))
    s.playing = True
    s.train(200)
    snap = s.snapshot()
    assert snap.compare is not None and snap.compare.state == "diverged" and snap.state == "playing"
    assert snap.step == 200 and snap.compare.step < 200 and snap.compare.metrics.train_loss is None


def test_a_that_diverges_stops_both():
    s = Session(SessionConfig.model_validate({**BASE, "activation": "linear", "output": "linear",
                                              "loss": "squared_error", "learning_rate": 10,
                                              "compare": {"learning_rate": 0.01}}))
    s.playing = True
    s.train(200)
    assert s.state == "diverged" and not s.playing
    assert s.compare is not None and s.compare.trainer.step_count == s.trainer.step_count < 200


def test_b_that_cannot_be_built_on_this_data_names_compare_field():
    cfg = SessionConfig.model_validate({"dataset": "blobs", "classes": 3, "output": "softmax",
                                        "compare": {"output": "sigmoid"}})
    with pytest.raises(ValueError) as info:
        Session(cfg)
    assert info.value.field == "compare.output" and "3 classes" in str(info.value)
    one_d = SessionConfig.model_validate({"dataset": "sine", "features": ["x1"], "output": "linear",
                                          "compare": {"features": ["x1", "x2"]}})
    with pytest.raises(ValueError) as info:
        Session(one_d)
    assert info.value.field == "compare.features" and "1-D" in str(info.value)


def test_b_checkpoints_count_in_the_rewind_budget_and_follow_as_thinning():
    s = Session(SessionConfig.model_validate({**BASE, "compare": B_DIFF, "steps_per_frame": 1}))
    alone = Session(SessionConfig.model_validate({**BASE, "steps_per_frame": 1}))
    for session in (s, alone):
        session.train(40)
    assert s.history.steps == alone.history.steps
    b_states = [s.history.companion_at(step) for step in s.history.steps]
    assert [b.step_count for b in b_states] == s.history.steps
    # B's own arrays are counted; its epoch orders are A's arrays (shared), counted once
    assert s.history.nbytes == alone.history.nbytes + sum(b.nbytes for b in b_states)
    assert all(b.order is a.order for b, a in zip(b_states, (s.history.at(t) for t in s.history.steps),
                                                    strict=True))
    assert s.history.companion_at(17).step_count == 17


# --- the label, in a lecturer's words -----------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "label"), [
    ({}, {"activation": "relu"}, "B: ReLU instead of tanh"),
    ({}, {"optimizer": "adam"}, "B: Adam instead of SGD"),
    ({"output": "sigmoid", "loss": "cross_entropy"}, {"loss": "squared_error"},
     "B: squared error instead of cross-entropy"),
    ({}, {"hidden": [8, 8, 8]}, "B: 3 x 8 hidden instead of 4, 2"),
    ({}, {"learning_rate": 0.3}, "B: learning rate 0.3 instead of 0.03"),
    ({}, {"activation": "relu", "optimizer": "adam"}, "B: ReLU instead of tanh; Adam instead of SGD"),
    ({}, {"activation": "leaky_relu", "leaky_slope": 0.2}, "B: leaky ReLU instead of tanh; "
                                                          "leaky slope 0.2 instead of 0.01"),
    ({}, {"hidden": []}, "B: no hidden layer instead of 4, 2"),
    ({}, {"init": "he", "regularization": "l2", "reg_rate": 0.01},
     "B: He init instead of Playground init; L2 regularization instead of no regularization; "
     "regularization rate 0.01 instead of 0"),
    ({}, {"output": "tanh"}, "B: tanh output instead of sigmoid; squared error instead of cross-entropy"),
    ({}, {}, SAME),
    ({}, {"momentum": 0.5, "activation": ["tanh", "tanh"]}, SAME),  # unused by SGD; the same units
    ({"hidden": []}, {"activation": "relu"}, SAME),  # no hidden layer in either: no hidden unit to differ
    ({}, {"hidden": [], "activation": "relu"}, "B: no hidden layer instead of 4, 2"),  # B has no unit
])
def test_the_label_names_each_difference_in_words(a, b, label):
    cfg = SessionConfig.model_validate({**a, "compare": b})
    got, differences = describe(cfg, cfg.compare_config())
    assert got == label
    assert len(differences) == (0 if label == SAME else label.count(";") + 1)


def test_differences_carry_the_raw_values_and_the_effective_loss():
    cfg = SessionConfig.model_validate({"compare": {"output": "linear", "hidden": [3]}})
    _, differences = describe(cfg, cfg.compare_config())
    assert differences == [{"field": "hidden", "a": [4, 2], "b": [3]},
                           {"field": "output", "a": "sigmoid", "b": "linear"},
                           {"field": "loss", "a": "cross_entropy", "b": "squared_error"}]


def _restore_all(ws, header, network):
    params = header if network == "a" else header["compare"]
    layers = len(params["weights"])
    for layer in range(layers):
        ws.send(type="restore", network=network, step=header["step"], layer=layer,
                weights=params["weights"][layer], biases=params["biases"][layer],
                unit_params=params["unit_params"][layer], frame=network == "b" and layer == layers - 1)


def test_after_a_restart_restore_puts_back_both_networks_and_they_train_on_in_lockstep(client):
    config = {**BASE, "activation": "tanh", "compare": {"activation": "relu", "hidden": [5]}}
    frames, _ = _socket_run(client, config, steps=4)
    seen = frames[-1][0]
    with client.websocket_connect("/ws") as socket:  # a new session: the server forgot the old one
        ws = Reader(socket)
        ws.hello(config=config)
        _restore_all(ws, seen, "a")
        _restore_all(ws, seen, "b")
        back = p.decode_frame(ws.until("frame"))[0]
        assert back["step"] == back["compare"]["step"] == 20
        assert back["compare"]["weights"] == seen["compare"]["weights"] and back["weights"] == seen["weights"]
        ws.send(type="step", n=5)
        after = p.decode_frame(ws.until("frame"))[0]
        assert after["compare"]["step"] == after["step"] == 25
        assert after["compare"]["weights"] != seen["compare"]["weights"]


def test_restore_of_b_is_refused_without_compare_or_at_another_step(client):
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello(config={**BASE, "activation": "tanh"})
        ws.send(type="restore", network="b", step=0, layer=0, weights=[[0.0] * 4] * 2, biases=[0.0] * 4)
        assert_error(ws.until("error"), p.E_INVALID_VALUE, "network", mentions="no second network")
    with client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello(config={**BASE, "activation": "tanh", "compare": {}})
        ws.send(type="restore", network="b", step=7, layer=0, weights=[[0.0] * 4] * 2, biases=[0.0] * 4)
        assert_error(ws.until("error"), p.E_INVALID_VALUE, "step", mentions="A's step 0")


def _cell_centres(box, g):
    """The grid's points, row 0 at the top (x2 = hi), column 0 at the left, at cell centres."""
    lo, hi = box
    c = lo + (np.arange(g) + 0.5) * (hi - lo) / g
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def test_b_maps_are_bs_network_on_the_grid_for_two_and_three_classes():
    cfg = {"dataset": "blobs", "classes": 3, "output": "softmax", "grid": 24,
           "compare": {"hidden": [6], "activation": "relu"}}
    three = Session(SessionConfig.model_validate(cfg))
    three.train(30)
    b = three.snapshot().compare
    assert b is not None and b.output is None and b.classes is not None
    net = three.compare.network
    out = net.predict(feature_map(_cell_centres(three.data.box, 24), ["x1", "x2"]))
    assert np.mean(b.classes.ravel() == np.argmax(out, axis=1)) > 0.99  # float32 grid: a tie may flip
    assert np.allclose(b.confidence.ravel(), out.max(axis=1), atol=1e-4)
    two = Session(SessionConfig.model_validate({"grid": 24, "compare": {"features": ["x1", "x2", "x1x2"]}}))
    two.train(30)
    b = two.snapshot().compare
    out = two.compare.network.predict(feature_map(_cell_centres(two.data.box, 24), ["x1", "x2", "x1x2"]))
    assert b.classes is None and np.allclose(b.output.ravel(), out[:, 0], atol=1e-4)
    assert two.config.output == "sigmoid" and b.output_range == (0.0, 1.0)
    a_out = two.network.predict(feature_map(_cell_centres(two.data.box, 24), ["x1", "x2"]))
    assert not np.allclose(a_out[:, 0], out[:, 0], atol=1e-2)  # A's map would not pass for B's
