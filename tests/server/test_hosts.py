"""DNS rebinding (issue 11, item 2): a real server on loopback answers only to the names it is reached by.

The attack, replayed with raw sockets: a page of ``http://evil.example:P`` whose name now resolves to
127.0.0.1 sends ``Host: evil.example:P`` and ``Origin: http://evil.example:P`` to the loopback server.
"""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.hosts import host_allowed

from .live import LiveServer

GUARD_S = 30.0  # turns a hang into a failure; nothing here measures speed


@pytest.fixture(scope="module")
def loopback():
    s = LiveServer()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def named():
    s = LiveServer(allowed_hosts="play.example.org,*.lecture.example")
    yield s
    s.stop()


def get(port: int, path: str, host: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD_S)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def open_socket(port: int, host: str) -> str:
    """'welcome' if a page of http://HOST gets a session over the loopback socket, else the refusal."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=GUARD_S)
    try:
        with connect(f"ws://{host}/ws", sock=sock, additional_headers={"Origin": f"http://{host}"},
                     open_timeout=GUARD_S) as ws:
            ws.send(json.dumps({"type": "hello"}))
            while True:
                message = ws.recv(timeout=GUARD_S)
                if isinstance(message, str):
                    return json.loads(message)["type"]
    except InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


def test_a_rebound_name_gets_400_for_the_page_and_no_websocket_on_loopback(loopback):
    evil = f"evil.example:{loopback.port}"
    status, body = get(loopback.port, "/", evil)
    assert status == 400 and "MLP_PLAYGROUND_ALLOWED_HOSTS" in body and "evil.example" in body
    assert get(loopback.port, "/api/scenes", evil)[0] == 400
    assert open_socket(loopback.port, evil) == "refused 403"
    assert loopback.health()["sessions"] == 0  # the refused socket built nothing


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "app.localhost"])
def test_loopback_names_reach_the_page_and_the_socket(loopback, name):
    host = f"{name}:{loopback.port}"
    assert get(loopback.port, "/", host)[0] == 200
    assert open_socket(loopback.port, host) == "welcome"


def test_healthz_answers_any_host_for_probes(loopback):
    status, body = get(loopback.port, "/healthz", "10.1.2.3:8000")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert get(loopback.port, "/healthz", "probe.internal")[0] == 200


def test_allowed_hosts_admits_the_named_hosts_and_their_subdomains_only(named):
    port = named.port
    assert get(port, "/", "play.example.org")[0] == 200
    assert get(port, "/", "room-3.lecture.example:443")[0] == 200
    assert open_socket(port, "play.example.org") == "welcome"
    assert get(port, "/", "evil.example")[0] == 400
    assert get(port, "/", "lecture.example")[0] == 400  # '*.x' means subdomains of x
    assert open_socket(port, f"evil.example:{port}") == "refused 403"
    assert get(port, "/", f"localhost:{port}")[0] == 200  # loopback names always work


def test_the_rule_per_interface():
    # arrived on loopback: a loopback name or an address; elsewhere (0.0.0.0, Docker) any name, unless listed
    assert not host_allowed("evil.example:8000", "127.0.0.1", [])
    assert not host_allowed("evil.example", "::1", [])
    assert host_allowed("10.0.0.5:8000", "127.0.0.1", [])  # an address cannot be re-pointed
    assert host_allowed("evil.example", "172.17.0.2", [])
    assert not host_allowed("evil.example", "172.17.0.2", ["play.example.org"])
    assert host_allowed("PLAY.example.org.", "172.17.0.2", ["play.example.org"])
    assert host_allowed("anything", "127.0.0.1", ["*"])
    for malformed in (None, "", "a b", "x:y:z", "[::1", "host:99999999"):
        assert not host_allowed(malformed, "172.17.0.2", []), malformed
