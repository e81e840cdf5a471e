"""A viewer's socket (app/viewers.py): greeted with the room's picture, read-only, rate-limited, refused for
an unknown code, and forking a private session. The rooms around it are tested in test_rooms.py."""

from __future__ import annotations

import asyncio

from starlette.testclient import TestClient

from app import protocol as p
from app import viewers
from app.config import SessionConfig
from app.connection import Connection
from app.hub import Hub
from app.server import create_app
from app.settings import Settings

from .helpers import Reader, assert_error
from .test_rooms import SMALL, Clock, FakeWS, exported, greet_viewer, presenter, viewer


def test_viewer_is_greeted_like_a_session_with_the_room_picture_and_a_null_token():
    async def go():
        hub = Hub(Settings())
        live, _ = await presenter(hub)
        room = await hub.rooms.present(live)
        _, ws, task = await viewer(hub, room.code.lower())  # codes are read aloud: any case works
        kinds = ["frame" if isinstance(m, bytes) else m["type"] for m in ws.sent]
        assert kinds == ["room", "welcome", "dataset", "frame", "state"]
        room_msg, welcome = ws.sent[0], ws.sent[1]
        assert room_msg == {"type": "room", "code": room.code, "role": "viewer", "presenter": "connected",
                            "viewers": None, "message": None}
        assert welcome["token"] is None and welcome["session"] is None
        assert welcome["config"] == live.session.config.model_dump()
        task.cancel()
        await hub.shutdown()
    asyncio.run(go())


def test_a_flooding_viewer_is_limited_then_disconnected_with_4003():
    async def go():
        clock = Clock()  # frozen: the bucket never refills
        hub = Hub(Settings(rate_limit=10, rate_burst=5), clock=clock)
        live, _ = await presenter(hub)
        room = await hub.rooms.present(live)
        ws = FakeWS()
        conn = Connection(ws)
        conn.start()
        inbox: asyncio.Queue = asyncio.Queue()
        for _ in range(200):
            inbox.put_nowait('{"type": "play"}')
        result = await viewers.watch(hub.rooms, conn, p.Hello(type="hello", watch=room.code), inbox.get)
        assert result is None and ws.closed_with == p.CLOSE_FLOOD
        assert len(ws.of("error")) == 5 + 2  # the burst answered read_only, one warning, the last word
        assert all(e["code"] == p.E_READ_ONLY for e in ws.of("error")[:5])
        assert inbox.qsize() == 200 - 5 - (10 * 10 + 5) - 1  # read no further than the flood
        assert not room.viewers and hub.rooms.viewers == 0 and not live.session.playing
        await hub.shutdown()
    asyncio.run(go())


def test_viewer_controls_are_refused_as_read_only_and_change_nothing():
    app = create_app(Settings())
    with TestClient(app) as c, c.websocket_connect("/ws") as pws, c.websocket_connect("/ws") as vws:
        pr, vr = Reader(pws), Reader(vws)
        pr.hello(config=SMALL)
        pr.send(type="present")
        code = pr.until("room")["code"]
        greet_viewer(vr, code)
        for message in ({"type": "configure", "config": {"learning_rate": 0.9}}, {"type": "play"},
                        {"type": "set_param", "kind": "bias", "layer": 0, "index": 0, "value": 5}):
            vr.send(**message)
            assert_error(vr.until("error"), p.E_READ_ONLY, "type", mentions=code)
        doc = exported(pr)
        assert doc["config"]["learning_rate"] == SessionConfig().learning_rate and doc["step"] == 0
        assert doc["parameters"]["biases"][0][0] != 5


def test_fork_starts_a_private_session_from_the_presenters_config_and_weights():
    app = create_app(Settings())
    with TestClient(app) as c, c.websocket_connect("/ws") as pws, c.websocket_connect("/ws") as vws:
        pr, vr = Reader(pws), Reader(vws)
        pr.hello(config={**SMALL, "hidden": [3], "learning_rate": 0.3})
        pr.send(type="step", n=25)
        pr.until("state")
        pr.send(type="present")
        code = pr.until("room")["code"]
        greet_viewer(vr, code)
        health = c.get("/healthz").json()
        assert (health["rooms"], health["viewers"], health["sessions"]) == (1, 1, 1)
        vr.send(type="fork")
        welcome = vr.until("welcome")
        assert welcome["token"] and welcome["config"]["hidden"] == [3]
        assert welcome["config"]["learning_rate"] == 0.3
        assert vr.until("forked")["room"] == code
        mine, theirs = exported(vr), exported(pr)
        assert theirs["step"] == 25 and mine["step"] == 0
        assert mine["parameters"] == theirs["parameters"]  # exactly: no rounding on the way
        vr.send(type="step", n=5)  # the fork trains on its own; the presenter's weights stay put
        vr.until("state")
        vr.send(type="reset")  # and its reset returns to the fork point, not to fresh weights
        vr.until("state")
        assert exported(vr)["parameters"] == theirs["parameters"]
        assert exported(pr)["parameters"] == theirs["parameters"]
        assert c.get("/healthz").json()["sessions"] == 2


def test_unknown_room_code_is_an_error_naming_watch_then_4004_and_no_session():
    # a failed join builds nothing (issue 11, item 6); the page reconnects without watch for its own
    app = create_app(Settings())
    with TestClient(app) as c, c.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.send(type="hello", watch="ZZZZZZ", config={**SMALL, "hidden": [5]})
        assert_error(r.next(), p.E_UNKNOWN_ROOM, "watch", mentions="ZZZZZZ")
        assert ws.receive()["code"] == p.CLOSE_UNKNOWN_ROOM
        assert app.state.hub.sessions == {}
