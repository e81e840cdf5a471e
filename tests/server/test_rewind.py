"""Rewind over the WebSocket: the session goes back to a kept step, paused, and training on from there
retraces the run; bad steps are refused by field. (The engine's checkpoints: tests/engine/test_history.py.)"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app import protocol as p
from app.server import create_app
from app.session import Session
from app.settings import Settings

from .helpers import Reader, assert_error


@pytest.fixture
def ws():
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.hello(config={"optimizer": "adam", "steps_per_frame": 5})
        yield r


def _step(ws, n):
    ws.send(type="step", n=n)
    header = p.decode_frame(ws.until("frame"))[0]
    while header["step"] < n:  # a long step sends frames on the way
        header = p.decode_frame(ws.until("frame"))[0]
    ws.until("state")
    return header


def test_rewind_goes_back_to_a_kept_step_paused_and_says_where_it_is(ws):
    at_40 = _step(ws, 40)
    _step(ws, 60)
    ws.send(type="rewind", step=42)
    answer = ws.until("rewound")
    assert answer["step"] == 40 and answer["latest"] == 100 and answer["every"] == 5
    assert answer["kept"] == 21 and 0 < answer["bytes"] < 2_000_000
    frame = p.decode_frame(ws.until("frame"))[0]
    assert frame["step"] == 40 and frame["weights"] == at_40["weights"]
    assert ws.until("state")["state"] == "paused"


def test_training_on_from_a_rewound_step_retraces_the_original_run(ws):
    _step(ws, 30)
    original = _step(ws, 50)
    ws.send(type="rewind", step=30)
    ws.until("rewound")
    ws.until("state")
    again = _step(ws, 50)
    assert again["step"] == 80 and again["weights"] == original["weights"]
    assert again["train_loss"] == original["train_loss"]


def test_rewinding_forward_again_returns_to_the_latest_kept_step(ws):
    latest = _step(ws, 25)
    ws.send(type="rewind", step=10)
    ws.until("rewound")
    ws.until("state")
    ws.send(type="rewind", step=10**9)
    assert ws.until("rewound")["step"] == 25
    assert p.decode_frame(ws.until("frame"))[0]["weights"] == latest["weights"]


def test_a_negative_step_is_refused_naming_step(ws):
    ws.send(type="rewind", step=-1)
    assert_error(ws.until("error"), p.E_BAD_MESSAGE, "step")


def test_a_step_before_the_kept_history_is_refused_and_nothing_changes():
    s = Session()
    s.train(20)
    s.history.truncate_after(-1)  # as after a restore at step 20 dropped the earlier ones
    s.history.amend(s.trainer)
    with pytest.raises(ValueError, match="before the kept history"):
        s.rewind(5)
    assert s.step_count == 20
