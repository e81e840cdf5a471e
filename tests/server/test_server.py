"""The FastAPI app through Starlette's TestClient: routes, headers, and every WebSocket message and error."""

from __future__ import annotations

import json
import socket

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import protocol as p
from app.server import create_app, origin_allowed
from app.settings import Settings

from .helpers import Reader, assert_error


@pytest.fixture
def client():
    with TestClient(create_app(Settings(frame_ancestors="'self' https://slides.example"))) as c:
        yield c


def test_healthz_answers_json(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["sessions"] == 0


def test_pages_carry_csp_with_configured_frame_ancestors_and_nosniff(client):
    for path in ("/healthz", "/api/scenes", "/"):
        r = client.get(path)
        assert "frame-ancestors 'self' https://slides.example" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/").status_code in (200, 503)
    csp = client.get("/", headers={"host": "lecture.example:8000"}).headers["content-security-policy"]
    assert "connect-src 'self' ws://lecture.example:8000 wss://lecture.example:8000;" in csp
    csp = client.get("/", headers={"host": "x; script-src *"}).headers["content-security-policy"]
    assert "script-src *" not in csp and "connect-src 'self';" in csp


def test_scenes_lists_the_registry_with_the_default(client):
    body = client.get("/api/scenes").json()
    names = [s["name"] for s in body["scenes"]]
    assert body["default"] == "playground"
    assert {"playground", "xor-by-hand", "xor-linear", "logistic"} <= set(names)
    hand = next(s for s in body["scenes"] if s["name"] == "xor-by-hand")
    assert hand["parameters"]["weights"][0] == [[1.0, 1.0], [1.0, 1.0]] and hand["caption"]


def test_schema_is_the_config_json_schema(client):
    schema = client.get("/api/schema").json()
    assert schema["properties"]["hidden"]["maxItems"] == 8
    assert "circle" in schema["properties"]["dataset"]["enum"]


def test_dataset_previews_sample_every_offered_dataset(client):
    from app.config import limits
    from app.engine.datasets import DATASETS

    previews = client.get("/api/datasets").json()["datasets"]
    offered = limits()["datasets"]  # the data column's tiles (the schema also names the 1-D sets)
    assert set(previews) == set(offered) - {"user"}
    for name, d in previews.items():
        assert 4 <= len(d["points"]) <= 200 and all(len(row) == 3 for row in d["points"])
        assert d["box"] == list(DATASETS[name].box)
    assert sorted({row[2] for row in previews["xor4"]["points"]}) == [0, 1]


def test_plotly_is_served_from_the_installed_package(client):
    r = client.get("/static/vendor/plotly.min.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"] and len(r.content) > 100_000


def test_unknown_route_is_404_without_details(client):
    r = client.get("/nope")
    assert r.status_code == 404 and "Traceback" not in r.text


def test_welcome_gives_session_token_limits_and_default_scene(ws):
    w = ws.welcome
    assert w["protocol"] == p.PROTOCOL_VERSION and w["session"] and len(w["token"]) >= 24
    assert w["limits"]["max_units"] == 64 and w["limits"]["max_message_bytes"] == 65536
    assert w["scene"]["name"] == "playground" and w["config"]["hidden"] == [4, 2] and w["resumed"] is False


def test_hello_with_scene_and_config_overrides(client):
    with client.websocket_connect("/ws") as socket:
        w = Reader(socket).hello(scene="logistic", config={"learning_rate": 0.3})
        assert w["scene"]["name"] == "logistic" and w["config"]["learning_rate"] == 0.3


def test_hello_with_bad_config_reports_it_and_starts_the_default_scene(client):
    with client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.send(type="hello", config={"hidden": [1, 2, 3, 4, 5, 6, 7, 8, 9]})
        assert_error(r.next(), p.E_INVALID_CONFIG, "hidden", mentions="8")
        assert r.until("welcome")["config"]["hidden"] == [4, 2]


def test_hello_with_unknown_scene_names_scene_and_starts_the_default(client):
    with client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.send(type="hello", scene="nope")
        assert_error(r.next(), p.E_UNKNOWN_SCENE, "scene", mentions="xor-by-hand")
        assert r.until("welcome")["scene"]["name"] == "playground"


def test_first_message_must_be_hello(client):
    with client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.send(type="play")
        assert_error(r.next(), p.E_HELLO_EXPECTED, "type")
        assert socket.receive()["code"] == p.CLOSE_HELLO_EXPECTED


def test_silent_socket_is_closed_4001_after_the_hello_timeout():
    with TestClient(create_app(Settings(hello_timeout=0.05))) as c, c.websocket_connect("/ws") as socket:
        assert_error(json.loads(socket.receive_text()), p.E_HELLO_EXPECTED, "type", mentions="no hello")
        assert socket.receive()["code"] == p.CLOSE_HELLO_EXPECTED


def test_play_streams_frames_and_pause_stops(ws):
    ws.send(type="play")
    assert ws.until("state")["state"] == "playing"
    steps = [p.decode_frame(ws.until("frame"))[0]["step"] for _ in range(3)]
    assert steps == sorted(steps) and steps[-1] > 0
    ws.send(type="pause")
    paused = ws.until("state")
    assert paused["state"] == "paused"


def test_step_trains_n_batches_and_sends_frame_then_state(ws):
    ws.send(type="step", n=7)
    header, arrays = p.decode_frame(ws.until("frame"))
    assert header["step"] == 7 and arrays["output"].shape == (100, 100)
    assert ws.until("state") == {"type": "state", "state": "paused", "step": 7, "message": None}


def test_configure_live_field_keeps_steps(ws):
    ws.send(type="step", n=5)
    ws.until("state")
    ws.send(type="configure", config={"learning_rate": 0.1})
    msg = ws.until("config")
    assert msg["rebuilt"] is False and msg["config"]["learning_rate"] == 0.1
    assert p.decode_frame(ws.until("frame"))[0]["step"] == 5


def test_configure_structure_rebuilds_and_resends_data(ws):
    ws.send(type="configure", config={"hidden": [3, 3, 3], "dataset": "xor"})
    assert ws.until("config")["rebuilt"] is True
    assert len(ws.until("dataset")["train"]) == 250
    header, _ = p.decode_frame(ws.until("frame"))
    assert header["sizes"] == [2, 3, 3, 3, 1] and header["step"] == 0


@pytest.mark.parametrize(("config", "field", "mentions"), [
    ({"hidden": [65]}, "hidden.0", "64"),
    ({"learning_rate": 11}, "learning_rate", "10"),
    ({"grid": 500}, "grid", "200"),
    ({"points": 9999}, "points", "5000"),
    ({"batch_size": 400}, "batch_size", "250"),
    ({"dataset": "blobs", "classes": 5}, "output", "softmax"),
    ({"speed": 1}, "speed", "unknown"),
])
def test_configure_error_names_field_and_session_lives_on(ws, config, field, mentions):
    ws.send(type="configure", config=config)
    assert_error(ws.until("error"), p.E_INVALID_CONFIG, field, mentions=mentions)
    ws.send(type="step", n=1)
    assert p.decode_frame(ws.until("frame"))[0]["step"] == 1


def test_reset_returns_to_step_zero_with_the_same_weights(ws):
    ws.send(type="reset")
    first = p.decode_frame(ws.until("frame"))[0]
    ws.send(type="step", n=20)
    trained = p.decode_frame(ws.until("frame"))[0]
    ws.until("state")
    ws.send(type="reset")
    after = p.decode_frame(ws.until("frame"))[0]
    assert trained["weights"] != first["weights"]
    assert after["step"] == 0 and after["weights"] == first["weights"]


def test_regenerate_sends_new_seed_and_new_data(ws):
    old = ws.welcome["config"]["seed"]
    ws.send(type="regenerate")
    cfg = ws.until("config")
    assert cfg["config"]["seed"] != old
    assert ws.until("dataset")["train"]


def test_set_param_sends_a_frame_with_the_new_weight(ws):
    ws.send(type="set_param", kind="weight", layer=0, index=[1, 2], value=0.75)
    header, _ = p.decode_frame(ws.until("frame"))
    assert header["weights"][0][1][2] == 0.75


def test_set_param_out_of_range_is_an_invalid_value_naming_the_index(ws):
    ws.send(type="set_param", kind="weight", layer=0, index=[9, 0], value=1)
    err = ws.until("error")
    assert_error(err, p.E_INVALID_VALUE, "index")
    ws.send(type="set_param", kind="bias", layer=7, index=0, value=1)
    assert_error(ws.until("error"), p.E_INVALID_VALUE, "layer")


def test_restore_puts_back_every_layer_and_the_step_as_a_page_last_saw_them(client):
    with client.websocket_connect("/ws") as socket:
        first = Reader(socket)
        first.hello(config={"hidden": [3, 2], "activation": "prelu"})
        first.send(type="step", n=37)
        trained, _ = p.decode_frame(first.until("frame"))
    # a new session from the same config (what a page does after a restart lost its token)
    with client.websocket_connect("/ws") as socket:
        again = Reader(socket)
        again.hello(config={"hidden": [3, 2], "activation": "prelu"})
        for layer in range(3):
            last = layer == 2  # a frame for the whole network only: the others answer the state alone
            again.send(type="restore", step=trained["step"], layer=layer, weights=trained["weights"][layer],
                       biases=trained["biases"][layer], unit_params=trained["unit_params"][layer], frame=last)
            if last:
                header, _ = p.decode_frame(again.next())
            assert again.next() == p.state("paused", 37)
        assert header["step"] == 37 and header["epoch"] == trained["epoch"]
        for key in ("weights", "biases", "unit_params"):
            assert header[key] == trained[key], key
        # the frames carry 4 decimals, so the restored network's loss is the trained one's to about that
        assert header["train_loss"] == pytest.approx(trained["train_loss"], rel=1e-3)
        again.send(type="reset")  # reset goes back to the initial weights, not to the restored ones
        header, _ = p.decode_frame(again.until("frame"))
        assert header["step"] == 0 and header["weights"] != trained["weights"]


def test_restore_of_a_shape_the_network_lacks_names_it_and_changes_nothing(ws):
    ws.send(type="restore", step=5, layer=0, weights=[[1.0, 2.0]], biases=[0.0, 0.0])
    assert_error(ws.until("error"), p.E_INVALID_VALUE, "weights", mentions="shape")
    ws.send(type="restore", step=5, layer=9, weights=[[1.0]], biases=[0.0])
    assert_error(ws.until("error"), p.E_INVALID_VALUE, "layer")
    ws.send(type="step")
    header, _ = p.decode_frame(ws.until("frame"))
    assert header["step"] == 1


def test_load_scene_replaces_config_and_weights(ws):
    ws.send(type="load_scene", name="xor-by-hand")
    cfg = ws.until("config")
    assert cfg["scene"]["name"] == "xor-by-hand" and cfg["config"]["hidden"] == [2]
    assert len(ws.until("dataset")["train"]) == 4
    header, arrays = p.decode_frame(ws.until("frame"))
    assert header["weights"][0] == [[1.0, 1.0], [1.0, 1.0]] and header["regions"]["count"] >= 3
    assert arrays["region_ids"].dtype.name == "uint16" and "region_map" not in arrays


def test_unknown_scene_is_an_error_naming_name(ws):
    ws.send(type="load_scene", name="mnist")
    assert_error(ws.until("error"), p.E_UNKNOWN_SCENE, "name", mentions="playground")


def test_view_adds_the_unit_map_and_refuses_missing_units(ws):
    ws.send(type="view", unit=[1, 0], thumbnails=False)
    header, arrays = p.decode_frame(ws.until("frame"))
    assert header["unit"] == [1, 0] and arrays["unit"].shape == (100, 100) and "thumbnails" not in arrays
    ws.send(type="view", unit=[2, 0])
    assert_error(ws.until("error"), p.E_INVALID_VALUE, "unit")


def test_inspect_answers_every_layer(ws):
    ws.send(type="inspect", x=[1.0, -2.0], y=1)
    msg = ws.until("inspection")
    assert [len(layer["z"]) for layer in msg["layers"]] == [4, 2, 1]
    assert all(layer["delta"] is not None for layer in msg["layers"]) and msg["loss"] >= 0


def test_export_json_and_csv(ws):
    ws.send(type="export", format="json")
    msg = ws.until("export")
    assert msg["format"] == "json" and json.loads(msg["content"])["config"]["hidden"] == [4, 2]
    ws.send(type="export", format="csv")
    assert ws.until("export")["content"].startswith("x1,x2,label,set\n")


def test_bad_messages_get_errors_and_the_session_lives_on(ws):
    ws.ws.send_text("{oops")
    assert_error(ws.until("error"), p.E_BAD_JSON)
    ws.send(type="warp")
    assert_error(ws.until("error"), p.E_UNKNOWN_TYPE, "type")
    ws.send(type="step", n=0)
    assert_error(ws.until("error"), p.E_BAD_MESSAGE, "n")
    ws.send(type="hello")
    assert_error(ws.until("error"), p.E_BAD_MESSAGE, "type")
    ws.send(type="step")
    assert p.decode_frame(ws.until("frame"))[0]["step"] == 1


def test_play_after_divergence_is_refused_until_reset(ws):
    ws.send(type="configure", config={"dataset": "reg-plane", "output": "linear", "loss": "squared_error",
                                      "activation": "relu", "hidden": [8, 8], "learning_rate": 10,
                                      "init": "he"})
    ws.until("config")
    ws.until("state")  # the rebuild's
    ws.send(type="step", n=500)
    assert ws.until("state")["state"] == "diverged"
    ws.send(type="play")
    assert_error(ws.until("error"), p.E_DIVERGED, None, mentions="reset")
    ws.send(type="reset")
    assert ws.until("state")["state"] == "paused"


def close_code(socket) -> int:
    for _ in range(100):
        m = socket.receive()
        if m["type"] == "websocket.close":
            return m["code"]
    raise AssertionError("the socket was not closed")


def test_binary_message_closes_with_1003(ws):
    ws.ws.send_bytes(b"\x00\x01")
    assert close_code(ws.ws) == p.CLOSE_UNSUPPORTED_DATA


def test_oversize_message_closes_with_1009(ws):
    ws.ws.send_text(json.dumps({"type": "configure", "config": {"x": "a" * 70_000}}))
    assert close_code(ws.ws) == p.CLOSE_TOO_BIG


def test_rate_limit_drops_a_flood_with_one_error(client):
    app_settings = Settings(rate_limit=1, rate_burst=3)
    with TestClient(create_app(app_settings)) as c, c.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.hello()
        for _ in range(10):
            r.send(type="inspect", x=[0, 0])
        answers = [r.next() for _ in range(4)]
        kinds = [m["type"] for m in answers]
        assert kinds.count("inspection") == 3 and kinds.count("error") == 1
        error = next(m for m in answers if m["type"] == "error")
        assert_error(error, p.E_RATE_LIMITED, mentions="per second")


def test_server_full_sends_a_readable_error_and_closes_1013():
    with TestClient(create_app(Settings(max_sessions=1))) as c, c.websocket_connect("/ws") as first:
        Reader(first).hello()
        with c.websocket_connect("/ws") as second:
            r = Reader(second)
            r.send(type="hello")
            assert_error(r.next(), p.E_SERVER_FULL, mentions="server full")
            assert second.receive()["code"] == p.CLOSE_TRY_AGAIN_LATER


def test_resume_token_reattaches_the_same_session(client):
    with client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        w = r.hello()
        r.send(type="step", n=9)
        r.until("state")
    with client.websocket_connect("/ws") as socket:
        w2 = Reader(socket).hello(token=w["token"])
        assert w2["session"] == w["session"] and w2["resumed"] is True
    assert client.get("/healthz").json()["sessions"] == 1


def test_unknown_or_expired_token_starts_a_new_session(client):
    with client.websocket_connect("/ws") as socket:
        w = Reader(socket).hello(token="no-such-token")
        assert w["resumed"] is False and w["token"] != "no-such-token"


def test_second_connection_with_the_token_replaces_the_first(client):
    with client.websocket_connect("/ws") as first:
        w = Reader(first).hello()
        with client.websocket_connect("/ws") as second:
            r = Reader(second)
            r.hello(token=w["token"])
            assert close_code(first) == p.CLOSE_REPLACED
            r.send(type="step", n=2)  # the session lives on with the new connection
            assert p.decode_frame(r.until("frame"))[0]["step"] == 2


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.com", "http://testserver:81",
                                    "null", "garbage", "http://", "ftp://testserver"])
def test_foreign_origin_is_refused_before_accept(client, origin):
    refused = pytest.raises(WebSocketDisconnect)
    with refused as info, client.websocket_connect("/ws", headers={"origin": origin}):
        pass
    assert info.value.code == p.CLOSE_POLICY


def test_same_origin_and_configured_origins_are_accepted():
    settings = Settings(allowed_origins="https://slides.example, http://localhost:3000")
    with TestClient(create_app(settings)) as c:
        for origin in ("http://testserver", "https://slides.example", "http://localhost:3000"):
            with c.websocket_connect("/ws", headers={"origin": origin}) as socket:
                Reader(socket).hello()


def test_origin_rules():
    assert origin_allowed(None, "h:1", [])  # scripts send no Origin; documented
    assert origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", [])
    assert not origin_allowed("http://127.0.0.1:8001", "127.0.0.1:8000", [])
    assert origin_allowed("https://example.org", "example.org", [])  # behind a TLS-terminating proxy
    assert origin_allowed("https://example.org", "example.org:443", [])
    assert not origin_allowed("https://example.org", "example.org:8443", [])
    assert not origin_allowed("http://example.org.evil.com", "example.org", [])
    assert not origin_allowed("http://[::1", "127.0.0.1:8000", [])
    assert not origin_allowed("http://127.0.0.1:8000", None, [])
    assert origin_allowed("https://slides.example", "127.0.0.1:8000", ["https://slides.example"])


def test_an_internal_failure_answers_internal_without_a_trace_and_the_session_lives_on(client, monkeypatch):
    from app.session import Session

    def broken(self, x, y=None):
        raise RuntimeError("secret detail /srv/app/session.py line 12")

    monkeypatch.setattr(Session, "inspect", broken)
    with client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.hello()
        r.send(type="inspect", x=[0, 0])
        err = r.until("error")
        assert_error(err, p.E_INTERNAL)
        assert "secret" not in err["message"] and "session.py" not in err["message"]
        r.send(type="step", n=2)
        assert p.decode_frame(r.until("frame"))[0]["step"] == 2


def test_reload_while_playing_leaves_exactly_one_training_loop():
    app = create_app(Settings())
    hub = app.state.hub
    with TestClient(app) as c, c.websocket_connect("/ws") as first:
        r1 = Reader(first)
        w = r1.hello()
        r1.send(type="play")
        r1.until("frame")
        r1.send(type="play")  # a second play does not start a second loop
        r1.until("state")
        live = hub.sessions[w["session"]]
        runner = live.runner
        with c.websocket_connect("/ws") as second:  # the reloaded tab
            r2 = Reader(second)
            r2.send(type="hello", token=w["token"])
            r2.until("welcome")
            r2.until("frame")
            assert live.runner is runner and not runner.done()
            assert len(hub.sessions) == 1
            r2.send(type="pause")
            r2.until("state")


def test_healthz_names_the_node_from_its_setting_else_the_machines_host_name():
    # behind a load balancer, the one way to tell which machine answered a request
    with TestClient(create_app(Settings(node_name="web-2"))) as c:
        assert c.get("/healthz").json()["node"] == "web-2"
    with TestClient(create_app(Settings(node_name=""))) as c:
        assert c.get("/healthz").json()["node"] == socket.gethostname()
