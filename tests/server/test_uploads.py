"""POST /api/import through the app with a real socket session: what the answer and the socket get, every
refusal with its status, code, field and place in the file, and the session untouched after each."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
from starlette.testclient import TestClient
from websockets.asyncio.client import connect

from app import protocol as p
from app.config import SessionConfig
from app.server import create_app
from app.session import Session
from app.settings import Settings

from .helpers import Reader
from .live import LiveServer, recv_json, run

XOR_CSV = "x1,x2,label\n" + "".join(f"{x},{y},{int((x > 0) != (y > 0))}\n"
                                    for x in (-2, -1, 1, 2) for y in (-3, -1, 1, 3))
REGRESSION_CSV = "x1,x2,y\n" + "".join(f"{x},{y},{x * 10 + y}\n" for x in range(5) for y in range(4))


@pytest.fixture
def client():
    with TestClient(create_app(Settings())) as c:
        yield c


def post(client, ws, body: str | bytes, kind: str = "csv", **headers: str):
    token = headers.pop("token", ws.welcome["token"])
    return client.post(f"/api/import?kind={kind}", content=body,
                       headers={"X-Session-Token": token, **headers})


def live_of(client, ws):
    return client.app.state.hub.by_token(ws.welcome["token"])


def assert_import_error(response, status: int, code: str, field: str | None, row=None, column=None,
                        mentions: str = ""):
    body = response.json()
    assert response.status_code == status, body
    assert body == {"type": "error", "code": code, "message": body["message"], "field": field, "row": row,
                    "column": column}
    assert code in p.ERROR_CODES and mentions in body["message"] and "Traceback" not in body["message"]


def test_a_csv_is_answered_with_what_it_made_and_the_socket_gets_config_points_state_and_frame(client, ws):
    r = post(client, ws, REGRESSION_CSV)
    assert r.status_code == 200
    assert r.json() == {"ok": True, "kind": "csv", "rows": 20, "regression": True, "classes": 0, "step": 0,
                        "notes": [r.json()["notes"][0]]}
    assert r.json()["notes"][0].startswith("the output is now linear")
    config = ws.until("config")
    assert config["rebuilt"] is True and config["scene"] is None
    assert config["config"]["dataset"] == "user" and config["config"]["custom_regression"] is True
    dataset = ws.until("dataset")
    points = sorted(map(tuple, dataset["train"] + dataset["test"]))
    assert points == sorted((float(x), float(y), float(x * 10 + y)) for x in range(5) for y in range(4))
    assert dataset["regression"] is True and dataset["box"] == pytest.approx([-0.2, 4.2])
    assert ws.until("state")["step"] == 0
    header, _ = p.decode_frame(ws.until("frame"))
    assert header["step"] == 0 and header["box"] == pytest.approx([-0.2, 4.2])


def test_an_export_imported_into_another_session_draws_the_same_frame(client, ws):
    ws.send(type="configure", config={"hidden": [6, 3], "activation": "relu", "seed": 11})
    ws.until("config")
    ws.send(type="step", n=25)
    ws.until("frame")
    ws.until("state")
    ws.send(type="export", format="json")
    text = ws.until("export")["content"]
    with client.websocket_connect("/ws") as socket2:
        other = Reader(socket2)
        other.welcome = other.hello()
        r = post(client, other, text, kind="json")
        assert r.status_code == 200 and r.json()["step"] == 25 and r.json()["kind"] == "json"
        other.until("config")
        theirs = p.decode_frame(other.until("frame"))
    ours = live_of(client, ws).session
    ours_net = ours.network
    mine = client.app.state.hub.by_token(other.welcome["token"]).session
    assert mine.step_count == 25 and mine.config == ours.config
    # the imported session's frame against a session rebuilt from the export by hand, independently
    doc = json.loads(text)
    ref = Session(SessionConfig.model_validate(doc["config"]))
    ref.network.set_parameters(**doc["parameters"])
    ref.trainer.resume_at(doc["step"])
    expected = p.decode_frame(p.encode_snapshot(ref.snapshot()))
    np.testing.assert_array_equal(theirs[1]["output"], expected[1]["output"])
    assert theirs[0]["train_loss"] == expected[0]["train_loss"] and theirs[0]["step"] == 25
    assert ours_net is not mine.network


def test_a_csv_fault_carries_row_and_column_over_http(client, ws):
    r = post(client, ws, XOR_CSV.replace("\n1,1,0", "\n1,abc,0"))
    assert_import_error(r, 422, p.E_INVALID_FILE, "content", 12, 2,
                        mentions="row 12, column 2 (x2): 'abc' is not a number")


def test_an_empty_csv_is_refused_with_a_clear_message(client, ws):
    assert_import_error(post(client, ws, ""), 422, p.E_INVALID_FILE, "content",
                        mentions="the file has no rows")


def test_a_million_row_csv_is_refused_by_its_size_before_it_is_read(client, ws):
    big = "x1,x2,label\n" + "0.5,0.5,1\n" * 1_000_000
    assert_import_error(post(client, ws, big), 413, p.E_TOO_LARGE, "content",
                        mentions="over the limit of 1,048,576 bytes (1 MiB) for a CSV import")


@pytest.fixture(scope="module")
def server():
    s = LiveServer()
    yield s
    s.stop()


def live_token(server) -> str:
    async def go():
        async with connect(server.url, origin=server.origin) as page:
            await page.send(json.dumps({"type": "hello"}))
            return (await recv_json(page, "welcome"))["token"]
    # the session stays parked for the grace period after the socket closes: its token still counts
    return run(go())


def raw_post(server, head: str, body_parts) -> bytes:
    """Send a request by hand (nothing like httpx reading the whole body first) and read the answer while
    the rest of the body is still unsent."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(head.encode())
        for part in body_parts:
            conn.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_declared_length_over_the_limit_is_refused_before_any_byte_of_the_body(server):
    head = (f"POST /api/import?kind=csv HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"X-Session-Token: {live_token(server)}\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n")
    answer = raw_post(server, head, [])  # 50 MiB announced, none sent: the answer comes anyway
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code":"too_large"' in answer and b'"field":"content"' in answer


def test_a_chunked_body_is_refused_once_past_the_limit_without_the_rest(server):
    head = (f"POST /api/import?kind=csv HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"X-Session-Token: {live_token(server)}\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"0.5,0.5,1\n" * 6554  # 64 KiB
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    answer = raw_post(server, head, [chunk] * 17)  # just past 1 MiB sent, no end of body: never finished
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"over the limit of 1,048,576 bytes (1 MiB) for a CSV import" in answer


def test_a_json_of_another_version_is_refused_naming_version(client, ws):
    ws.send(type="export", format="json")
    doc = json.loads(ws.until("export")["content"])
    doc["version"] = 2
    assert_import_error(post(client, ws, json.dumps(doc), kind="json"), 422, p.E_INVALID_FILE, "version",
                        mentions="the file is version 2; this server reads version 1 exports")


def test_a_json_config_the_server_refuses_is_an_invalid_config_naming_config_field(client, ws):
    ws.send(type="export", format="json")
    doc = json.loads(ws.until("export")["content"])
    doc["config"]["learning_rate"] = 50
    assert_import_error(post(client, ws, json.dumps(doc), kind="json"), 422, p.E_INVALID_CONFIG,
                        "config.learning_rate", mentions="config.learning_rate: ")


def test_an_unknown_or_missing_token_is_404_naming_token(client, ws):
    assert_import_error(post(client, ws, XOR_CSV, token="not-a-token"), 404, p.E_UNKNOWN_SESSION, "token")
    r = client.post("/api/import?kind=csv", content=XOR_CSV)
    assert_import_error(r, 404, p.E_UNKNOWN_SESSION, "token")


@pytest.mark.parametrize("origin", ["https://evil.example", "http://testserver:81", "null"])
def test_a_cross_origin_post_is_refused(client, ws, origin):
    assert_import_error(post(client, ws, XOR_CSV, origin=origin), 403, p.E_CROSS_ORIGIN, "origin")


def test_no_cors_preflight_is_granted_so_other_sites_pages_cannot_send_the_token_header(client):
    r = client.options("/api/import?kind=csv", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-session-token"})
    assert r.status_code == 405 and "access-control-allow-origin" not in r.headers


def test_the_pages_own_origin_is_accepted(client, ws):
    assert post(client, ws, XOR_CSV, origin="http://testserver").status_code == 200


@pytest.mark.parametrize("kind", ["xlsx", ""])
def test_an_unknown_kind_is_refused_naming_kind(client, ws, kind):
    assert_import_error(post(client, ws, XOR_CSV, kind=kind), 400, p.E_INVALID_VALUE, "kind",
                        mentions="kind must be csv or json")


def test_a_form_instead_of_the_file_is_refused_saying_to_send_the_file_itself(client, ws):
    r = client.post("/api/import?kind=csv", files={"file": ("points.csv", XOR_CSV, "text/csv")},
                    headers={"X-Session-Token": ws.welcome["token"]})
    assert_import_error(r, 415, p.E_INVALID_VALUE, "content", mentions="send the file itself")
    assert post(client, ws, XOR_CSV, **{"content-type": "text/csv"}).status_code == 200


def test_imports_count_against_the_sessions_rate_limit():
    with (TestClient(create_app(Settings(rate_limit=0.1, rate_burst=2))) as client,
          client.websocket_connect("/ws") as page):
        ws = Reader(page)
        ws.welcome = ws.hello()
        codes = [post(client, ws, "x").status_code for _ in range(4)]
        assert codes[:2] == [422, 422] and 429 in codes[2:]
        r = post(client, ws, "x")
        assert_import_error(r, 429, p.E_RATE_LIMITED, None, mentions="at most 0.1 per second")


def test_every_refusal_leaves_a_playing_session_playing_with_its_network(client, ws):
    ws.send(type="play")
    ws.until("state")
    live = live_of(client, ws)
    session, network, config = live.session, live.session.network, live.session.config
    ws.send(type="export", format="json")
    doc = json.loads(ws.until("export")["content"])
    bad = [("csv", ""), ("csv", XOR_CSV.replace("\n1,1,0", "\n1,x,0")), ("json", "{"),
           ("json", json.dumps({**doc, "version": 7})), ("csv", "x1,x2,label\n" + "0,0,1\n" * 200_000),
           ("json", json.dumps({**doc, "parameters": {**doc["parameters"], "weights": [[[1.0]]]}}))]
    for kind, text in bad:
        assert post(client, ws, text, kind=kind).status_code in (413, 422)
    assert post(client, ws, XOR_CSV, token="nope").status_code == 404
    assert post(client, ws, XOR_CSV, origin="https://evil.example").status_code == 403
    assert live.session is session and session.network is network and session.config == config
    assert session.playing and live.runner is not None and not live.runner.done()
    steps = [p.decode_frame(ws.until("frame"))[0]["step"] for _ in range(3)]
    assert steps == sorted(steps) and steps[-1] > steps[0]


def test_every_refusal_leaves_a_paused_sessions_step_and_weights_as_they_were(client, ws):
    ws.send(type="step", n=7)
    ws.until("state")
    session = live_of(client, ws).session
    weights = [w.copy() for w in session.network.weights]
    for kind, text in [("csv", "x1,x2,label\n0,0,9\n1,1,0\n0,1,1\n1,0,1\n"), ("json", "[]")]:
        assert post(client, ws, text, kind=kind).status_code == 422
    assert session.step_count == 7 and session.state == "paused"
    for a, b in zip(weights, session.network.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_playing_session_plays_on_after_an_import(client, ws):
    ws.send(type="play")
    ws.until("state")
    assert post(client, ws, XOR_CSV).status_code == 200
    assert ws.until("config")["config"]["dataset"] == "user"
    assert ws.until("state")["state"] == "playing"
    header, _ = p.decode_frame(ws.until("frame"))
    assert header["box"] == pytest.approx([-3.3, 3.3])


def test_a_parked_session_takes_the_file_and_its_next_greeting_shows_it(client):
    with client.websocket_connect("/ws") as page:
        first = Reader(page)
        token = first.hello()["token"]
    r = client.post("/api/import?kind=csv", content=XOR_CSV, headers={"X-Session-Token": token})
    assert r.status_code == 200 and r.json()["rows"] == 16
    with client.websocket_connect("/ws") as page:
        welcome = Reader(page).hello(token=token)
    assert welcome["resumed"] is True and welcome["config"]["dataset"] == "user"
    assert welcome["config"]["custom_box"] == pytest.approx([-3.3, 3.3])
