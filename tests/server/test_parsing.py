"""Messages that cannot be parsed, or are parsed too leniently, get the protocol's structured error
(issue 11, items 5 and 9): never a 1011 close, never a boolean read as a number."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from app import protocol as p
from app.server import create_app
from app.settings import Settings

from .helpers import Reader, assert_error

HUGE = "9" * 5000  # past Python's 4300-digit int-string limit


@pytest.fixture
def client():
    with TestClient(create_app(Settings())) as c:
        yield c


def test_a_5000_digit_seed_in_the_hello_is_bad_json_and_the_client_can_say_hello_again(client):
    with client.websocket_connect("/ws") as ws:
        r = Reader(ws)
        ws.send_text('{"type": "hello", "config": {"seed": ' + HUGE + "}}")
        assert_error(r.next(), p.E_BAD_JSON, None, mentions="4300 digits")
        assert r.hello(config={"seed": 7})["config"]["seed"] == 7


def test_a_hello_that_cannot_be_parsed_five_times_closes_4001(client):
    with client.websocket_connect("/ws") as ws:
        for _ in range(5):
            ws.send_text("{not json")
            assert json.loads(ws.receive_text())["code"] == p.E_BAD_JSON
        assert_error(json.loads(ws.receive_text()), p.E_HELLO_EXPECTED, "type")
        assert ws.receive()["code"] == p.CLOSE_HELLO_EXPECTED


@pytest.mark.parametrize("text", [
    '{"type": "configure", "config": {"seed": ' + HUGE + "}}",
    '{"type": "step", "n": ' + HUGE + "}",
    '{"type": "inspect", "x": [' + HUGE + ", 0]}",
    "[" * 60_000,  # under the 64 KiB message limit, past the parser's recursion limit
], ids=["seed", "step.n", "inspect.x", "nesting"])
def test_unparsable_numbers_and_nesting_after_the_hello_are_bad_json_and_the_session_lives_on(client, text):
    with client.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.hello()
        ws.send_text(text)
        assert_error(r.next(), p.E_BAD_JSON, None)
        r.send(type="step", n=3)
        assert r.until("state")["step"] == 3


@pytest.mark.parametrize("message, field", [
    ({"type": "set_param", "kind": "weight", "layer": 0, "index": [0, 0], "value": True}, "value"),
    ({"type": "set_param", "kind": "weight", "layer": False, "index": [0, 0], "value": 0.5}, "layer"),
    ({"type": "set_param", "kind": "bias", "layer": 0, "index": True, "value": 0.5}, "index"),
    ({"type": "step", "n": True}, "n"),
    ({"type": "inspect", "x": [True, 0.0]}, "x.0"),
    ({"type": "inspect", "x": [0.0, 0.0], "y": False}, "y"),
])
def test_booleans_are_not_numbers(message, field):
    with pytest.raises(p.ProtocolError) as info:
        p.parse_client_message(json.dumps(message))
    assert info.value.code == p.E_BAD_MESSAGE and info.value.field == field, info.value.to_message()


def test_set_param_still_takes_integers_and_floats_as_values():
    for value in (1, -0.25):
        msg = p.parse_client_message(json.dumps({"type": "set_param", "kind": "weight", "layer": 0,
                                                 "index": [0, 1], "value": value}))
        assert msg.value == value and isinstance(msg.value, float)


def test_inspect_with_a_label_out_of_range_is_an_error_naming_y(client):
    with client.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.hello(scene="playground", config={"output": "tanh"})
        for label in (99, 0.5, -1):
            r.send(type="inspect", x=[0.1, 0.2], y=label)
            answer = r.next()
            while isinstance(answer, bytes) or answer["type"] not in ("error", "inspection"):
                answer = r.next()
            assert_error(answer, p.E_INVALID_VALUE, "y", mentions="class index in 0..1")
        r.send(type="inspect", x=[0.1, 0.2], y=1)
        answer = r.until("inspection")
        assert answer["loss"] is not None and answer["loss"] < 10
