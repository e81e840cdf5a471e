"""Nobody is locked out (issue 11, item 6): sessions waiting for a reconnect never keep a live client out,
one client address holds a bounded share, a wrong room code builds no session, and room codes cannot be
guessed at speed."""

from __future__ import annotations

import contextlib
import time

import pytest
from starlette.testclient import TestClient

from app import protocol as p
from app.hub import ROOM_GUESS_BURST
from app.server import create_app
from app.settings import Settings

from .helpers import Reader, assert_error

SMALL = {"points": 40, "grid": 20, "thumbnail": 8}
WAIT_S = 30.0  # turns a hang into a failure; nothing here measures speed


def hello_answer(client: TestClient, **fields) -> tuple[dict, int | None]:
    """Open a socket, say hello; the welcome (socket closed again: its session is parked) or the error
    with the close code that followed it."""
    with client.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.send(type="hello", config=SMALL, **fields)
        first = r.next()
        if first["type"] == "error" and first["code"] not in (p.E_UNKNOWN_SCENE, p.E_INVALID_CONFIG):
            return first, ws.receive()["code"]
        return first if first["type"] == "welcome" else r.until("welcome"), None


def parked_session(client: TestClient, app, **fields) -> dict:
    """A full greeting, then the socket closes; returns the welcome once the hub has parked the session
    (the server notices a closed socket in its own time)."""
    with client.websocket_connect("/ws") as ws:
        welcome = Reader(ws).hello(config=SMALL, **fields)
    for _ in range(int(WAIT_S / 0.01)):
        live = app.state.hub.sessions.get(welcome["session"])
        if live is None or live.conn is None:
            return welcome
        time.sleep(0.01)
    raise AssertionError("the closed socket's session was never parked")


def test_forty_quick_connect_hello_disconnect_cycles_leave_room_for_a_new_client():
    app = create_app(Settings(max_sessions=8, grace_period=30))
    with TestClient(app) as c:
        for _ in range(40):  # each leaves a session parked for 30 s, waiting for a reconnect
            parked_session(c, app)
        assert len(app.state.hub.sessions) == 8  # the oldest parked ones made room, one at a time
        with c.websocket_connect("/ws") as ws:
            assert Reader(ws).hello()["type"] == "welcome"


def test_the_newest_parked_sessions_survive_and_resume():
    app = create_app(Settings(max_sessions=3, grace_period=30))
    with TestClient(app) as c:
        tokens = [parked_session(c, app)["token"] for _ in range(5)]
        assert hello_answer(c, token=tokens[-1])[0]["resumed"] is True
        assert hello_answer(c, token=tokens[0])[0]["resumed"] is False  # the oldest was freed


def test_live_sessions_still_fill_the_server():
    app = create_app(Settings(max_sessions=2, max_sessions_per_client=0))
    with TestClient(app) as c, contextlib.ExitStack() as stack:
        for _ in range(2):
            Reader(stack.enter_context(c.websocket_connect("/ws"))).hello(config=SMALL)
        error, code = hello_answer(c)
        assert_error(error, p.E_SERVER_FULL, None, mentions="server full")
        assert code == p.CLOSE_TRY_AGAIN_LATER


def test_one_client_address_holds_at_most_its_share_and_others_still_get_in():
    app = create_app(Settings(max_sessions=10, max_sessions_per_client=3))
    # one lifespan (the first client's); the others are more addresses on the same app
    with TestClient(app, client=("10.0.0.1", 5000)) as greedy:
        other = TestClient(app, client=("10.0.0.2", 5000))
        with contextlib.ExitStack() as stack:
            for _ in range(3):
                Reader(stack.enter_context(greedy.websocket_connect("/ws"))).hello(config=SMALL)
            error, code = hello_answer(greedy)
            assert_error(error, p.E_SERVER_FULL, None, mentions="MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT")
            assert code == p.CLOSE_TRY_AGAIN_LATER
            assert hello_answer(other)[0]["type"] == "welcome"
        # its three sockets are gone: their sessions are parked, and a new one of its own takes a place
        assert hello_answer(greedy)[0]["type"] == "welcome"
        assert len(app.state.hub.sessions) == 4


def test_wrong_room_codes_build_no_session_and_are_limited_per_address():
    app = create_app(Settings())
    with TestClient(app, client=("10.0.0.3", 5000)) as guesser:
        answers = [hello_answer(guesser, watch=f"ZZZZ{a}{b}") for a in "ABCD" for b in "ABCDEFGH"]
        codes = [error["code"] for error, _ in answers]
        allowed = codes.index(p.E_RATE_LIMITED)
        # the burst (plus what refills while this loop runs), then nothing but the limit
        assert ROOM_GUESS_BURST <= allowed <= ROOM_GUESS_BURST + 5, codes
        assert set(codes[:allowed]) == {p.E_UNKNOWN_ROOM}
        assert all(close == p.CLOSE_UNKNOWN_ROOM for _, close in answers[:allowed])
        assert_error(answers[allowed][0], p.E_RATE_LIMITED, "watch")
        assert answers[allowed][1] == p.CLOSE_TRY_AGAIN_LATER
        assert app.state.hub.sessions == {}
        someone_else = TestClient(app, client=("10.0.0.4", 5000))
        error, code = hello_answer(someone_else, watch="ZZZZZZ")
        assert error["code"] == p.E_UNKNOWN_ROOM and code == p.CLOSE_UNKNOWN_ROOM


@pytest.mark.parametrize("bad", ["", "not a code"])
def test_a_malformed_room_code_is_an_unknown_room_too(bad):
    with TestClient(create_app(Settings())) as c:
        error, code = hello_answer(c, watch=bad)
        assert_error(error, p.E_UNKNOWN_ROOM, "watch")
        assert code == p.CLOSE_UNKNOWN_ROOM
