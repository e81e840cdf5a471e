"""The ``lecture`` message over a real WebSocket, and the scenes over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app import protocol as p
from app.server import create_app
from app.settings import Settings
from tests.server.helpers import Reader, assert_error


def _client() -> TestClient:
    return TestClient(create_app(Settings()))


def test_api_scenes_lists_every_scene_with_panel_and_topic():
    with _client() as client:
        body = client.get("/api/scenes").json()
    by_name = {s["name"]: s for s in body["scenes"]}
    assert by_name["xor-by-hand"]["panel"] == "walkthrough"
    assert by_name["universality"]["config"]["dataset"] == "sine"
    assert all("topic" in s and "caption" in s for s in body["scenes"])


def test_lecture_walkthrough_over_the_socket_follows_a_weight_edit():
    with _client() as client, client.websocket_connect("/ws") as ws:
        reader = Reader(ws)
        welcome = reader.hello(scene="xor-by-hand")
        assert welcome["scene"]["panel"] == "walkthrough"
        reader.send(type="lecture", what="walkthrough")
        answer = reader.until("lecture")
        assert answer["what"] == "walkthrough" and answer["data"]["output"] == [[0], [1], [1], [0]]
        reader.send(type="set_param", kind="weight", layer=1, index=[1, 0], value=-1.0)
        reader.send(type="lecture", what="walkthrough")
        assert reader.until("lecture")["data"]["output"] == [[0], [1], [1], [1]]


def test_lecture_backprop_takes_the_clicked_point():
    with _client() as client, client.websocket_connect("/ws") as ws:
        reader = Reader(ws)
        reader.hello(scene="backprop")
        reader.send(type="lecture", what="backprop", x=[0.25, 0.75], y=0)
        data = reader.until("lecture")["data"]
        assert data["x"] == [0.25, 0.75] and data["y"] == 0.0 and data["check"]["max_error"] < 1e-7


def test_lecture_panel_that_does_not_fit_is_an_invalid_value_naming_what():
    with _client() as client, client.websocket_connect("/ws") as ws:
        reader = Reader(ws)
        reader.hello(scene="playground")
        reader.send(type="lecture", what="universality")
        assert_error(reader.until("error"), p.E_INVALID_VALUE, "what", mentions="1-D data")
        reader.send(type="lecture", what="slides")
        assert_error(reader.until("error"), p.E_BAD_MESSAGE, "what")
