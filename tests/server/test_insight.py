"""The look-inside panels computed from a live session (app/insight.py): what a landscape and a folding
answer hold, checked against the engine and an independent evaluation; errors name the request field."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient

from app import lecture
from app import protocol as p
from app.config import SessionConfig
from app.engine.errors import FieldError
from app.pieces import finish
from app.server import create_app
from app.session import Session
from app.settings import Settings

from .helpers import Reader, assert_error


def test_landscape_center_is_the_sessions_training_loss_with_its_penalty():
    s = Session(SessionConfig(regularization="l2", reg_rate=0.01, optimizer="adam"))
    s.train(50)
    d = lecture.compute(s, "landscape")
    expected = s.network.loss(s.data.train_x, s.data.train_y, l2=0.01)
    assert d["center_loss"] == pytest.approx(expected, abs=1e-6) and d["regularized"]


def test_landscape_random_directions_stay_the_same_between_two_asks():
    s = Session()
    s.train(20)
    assert lecture.compute(s, "landscape")["loss"] == lecture.compute(s, "landscape")["loss"]


def test_landscape_path_ends_at_the_origin_with_the_current_step():
    s = Session(SessionConfig(steps_per_frame=5))
    for _ in range(8):
        s.train(5)
    d = lecture.compute(s, "landscape", directions="pca")
    assert d["path"][-1] == [0.0, 0.0] and d["path_steps"][-1] == 40
    assert d["path_steps"] == sorted(d["path_steps"]) and len(d["path"]) == len(d["path_steps"])
    assert 0.5 < sum(d["explained"]) <= 1.0 + 1e-9


def test_landscape_grid_is_finite_and_41_square_with_its_extremes():
    d = lecture.compute(Session(), "landscape")
    grid = np.array(d["loss"], dtype=float)
    assert grid.shape == (41, 41) and np.isfinite(grid).all()
    assert d["min"] == pytest.approx(grid.min(), abs=1e-5) and d["max"] == pytest.approx(grid.max(), abs=1e-5)


def test_pca_before_training_is_refused_naming_directions():
    with pytest.raises(FieldError) as err:
        lecture.compute(Session(), "landscape", directions="pca")
    assert err.value.field == "directions" and "train longer first" in str(err.value)


def test_folding_of_a_wide_layer_is_its_pca_and_reports_the_shares():
    s = Session(SessionConfig(hidden=[6, 2], activation="tanh"))
    d = lecture.compute(s, "folding", layer=1)
    assert d["projected"] and d["units"] == 6 and len(d["explained"]) == 2
    assert len(d["lines"]) == 26 and len(d["lines"][0]) == 61
    assert len(d["points"]) == len(d["labels"]) == s.data.train_raw.shape[0]


def test_folding_defaults_to_the_first_hidden_layer_and_draws_the_decision_line_of_the_last():
    s = Session(scene="xor-fold")
    d = lecture.compute(s, "folding")
    assert d["layer"] == 1 and d["layers"] == 1
    assert d["boundary"] == {"w": [1.0, -2.0], "b": 0.0, "level": 0.5}


def test_folding_of_a_big_training_set_draws_a_spread_subset():
    s = Session(SessionConfig(points=2000, train_ratio=0.5))
    d = lecture.compute(s, "folding")
    assert len(d["points"]) == 500


def test_folding_of_1d_data_is_refused_naming_layer():
    s = Session(scene="universality")
    with pytest.raises(FieldError) as err:
        lecture.compute(s, "folding")
    assert err.value.field == "layer" and "1-D" in str(err.value)


def test_folding_layer_past_the_last_hidden_one_is_refused_naming_layer():
    with pytest.raises(FieldError) as err:
        lecture.compute(Session(), "folding", layer=3)
    assert err.value.field == "layer"


def test_over_the_socket_a_refused_panel_is_an_invalid_value_error_naming_the_request_field():
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as socket:
        ws = Reader(socket)
        ws.hello()
        ws.send(type="lecture", what="landscape", directions="pca")
        assert_error(ws.until("error"), p.E_INVALID_VALUE, "directions", mentions="train longer first")
        ws.send(type="lecture", what="folding", layer=1)
        answer = ws.until("lecture")
        assert answer["what"] == "folding" and answer["data"]["layer"] == 1


def test_after_a_rewind_the_path_ends_at_the_step_shown_not_at_the_kept_future():
    s = Session(SessionConfig(steps_per_frame=5))
    for _ in range(12):
        s.train(5)
    s.rewind(30)
    d = lecture.compute(s, "landscape", directions="pca")
    assert d["step"] == 30 and d["path_steps"][-1] == 30 and max(d["path_steps"]) == 30
    assert d["path"][-1] == [0.0, 0.0]


def test_a_landscape_computed_while_the_session_trains_reports_the_step_of_the_network_it_copied():
    s = Session()
    s.train(20)
    work = lecture.compute_steps(s, "landscape")
    next(work)  # the first piece copies the network at step 20
    s.train(30)
    d = finish(work)
    assert d["step"] == 20 and d["path_steps"][-1] == 20
