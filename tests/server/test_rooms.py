"""Presenter broadcast rooms: one encode per frame for the whole room, read-only viewers, forks, the grace
period after the presenter leaves, and (with Redis) a viewer on one process watching a presenter on
another."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from app import protocol as p
from app import viewers
from app.config import SessionConfig
from app.connection import Connection
from app.hub import Hub, Live
from app.rooms import CODE_ALPHABET, CODE_LENGTH, normalize_code
from app.server import create_app
from app.session import Session
from app.settings import Settings

from .helpers import Reader, assert_error
from .live import LiveServer

SMALL = {"points": 40, "grid": 20, "thumbnail": 8}


class FakeWS:
    """A client that reads everything at once; ``blocked`` makes it stop reading frames."""

    def __init__(self, blocked: bool = False):
        self.sent: list = []
        self.blocked = asyncio.Event() if blocked else None
        self.closed_with: int | None = None

    async def send_text(self, text):
        self.sent.append(json.loads(text))

    async def send_bytes(self, data):
        if self.blocked is not None:
            await self.blocked.wait()  # never set: this client stopped reading
        self.sent.append(data)

    async def close(self, code=1000, reason=""):
        self.closed_with = code

    def of(self, kind: str) -> list:
        if kind == "frame":
            return [m for m in self.sent if isinstance(m, bytes)]
        return [m for m in self.sent if isinstance(m, dict) and m["type"] == kind]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def settle(rounds: int = 50) -> None:
    """Let every sender task run (FakeWS never waits, so a few loop turns deliver everything)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def presenter(hub: Hub) -> tuple[Live, FakeWS]:
    live = Live(id="s1", token="t1", session=Session(SessionConfig(**SMALL)))
    hub.sessions[live.id] = live
    hub._by_token[live.token] = live
    ws = FakeWS()
    conn = Connection(ws)
    conn.start()
    await hub.attach(live, conn)
    return live, ws


async def viewer(hub: Hub, code: str, blocked: bool = False) -> tuple[Connection, FakeWS, asyncio.Task]:
    """A viewer socket served by ``viewers.watch``; it sends nothing (its inbox stays empty)."""
    ws = FakeWS(blocked)
    conn = Connection(ws)
    conn.start()
    inbox: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(viewers.watch(hub.rooms, conn, p.Hello(type="hello", watch=code), inbox.get))
    await settle()
    return conn, ws, task


async def play_until(hub: Hub, live: Live, ws: FakeWS, frames: int) -> None:
    await hub.handle(live, p.Play(type="play"))
    for _ in range(100_000):  # bounded by loop turns, not by time
        if len(ws.of("frame")) >= frames:
            break
        await asyncio.sleep(0.001)
    await hub.handle(live, p.Pause(type="pause"))
    if live.runner is not None:
        await asyncio.gather(live.runner, return_exceptions=True)
    await settle()


def test_each_frame_is_encoded_once_for_the_whole_room_not_once_per_viewer(monkeypatch):
    encoded: list[bytes] = []
    real = p.encode_snapshot_steps  # the hub encodes a frame in pieces

    def counting(snap):
        frame = yield from real(snap)
        encoded.append(frame)
        return frame

    monkeypatch.setattr(p, "encode_snapshot_steps", counting)

    async def go():
        hub = Hub(Settings())
        live, pws = await presenter(hub)
        room = await hub.rooms.present(live)
        viewers = [await viewer(hub, room.code) for _ in range(5)]
        await play_until(hub, live, pws, frames=12)
        offered = pws.of("frame")
        assert len(offered) >= 12
        # one encode per frame the presenter was given (the welcome's and present's included), however
        # many viewers: with an encode per viewer there would be six times as many
        assert len(encoded) == len(offered) + live.conn.frames_dropped
        ids = {id(f) for f in encoded}
        for conn, ws, task in viewers:
            got = ws.of("frame")
            assert got and all(id(f) in ids for f in got)  # the very bytes encoded for the presenter
            # every frame, offered once each (a frame the viewer's client had not taken yet was replaced)
            assert len(got) + conn.frames_dropped == len(offered) + live.conn.frames_dropped
            task.cancel()
        await hub.shutdown()
    asyncio.run(go())


def test_a_viewer_that_stops_reading_holds_one_frame_and_slows_neither_room_nor_viewers():
    async def go():
        hub = Hub(Settings())
        live, pws = await presenter(hub)
        room = await hub.rooms.present(live)
        slow, slow_ws, t1 = await viewer(hub, room.code, blocked=True)
        fast, fast_ws, t2 = await viewer(hub, room.code)
        await play_until(hub, live, pws, frames=15)
        assert len(fast_ws.of("frame")) >= 14 and fast.frames_dropped == 0
        assert not slow_ws.of("frame")  # stuck in its first send
        pending = [item for item in slow._queue if item is None]
        assert len(pending) <= 1 and slow.frames_dropped >= 12  # latest frame wins: one frame held
        assert live.conn.frames_dropped == 0  # the presenter's stream never waited for the slow viewer
        for t in (t1, t2):
            t.cancel()
        await hub.shutdown()
    asyncio.run(go())


def test_room_ends_a_grace_period_after_the_presenter_leaves_and_viewers_are_told():
    async def go():
        clock = Clock()
        hub = Hub(Settings(grace_period=30), clock=clock)
        live, pws = await presenter(hub)
        room = await hub.rooms.present(live)
        _, ws, task = await viewer(hub, room.code)
        _, ws2, task2 = await viewer(hub, room.code)
        await hub.sweep()
        await settle()
        assert pws.of("room")[-1]["viewers"] == 2 and pws.of("room")[-1]["role"] == "presenter"
        hub.detach(live, live.conn)
        await settle()
        assert ws.of("room")[-1]["presenter"] == "away" and "30 s" in ws.of("room")[-1]["message"]
        clock.now += 29
        await hub.sweep()
        back = Connection(FakeWS())
        back.start()
        await hub.attach(live, back)  # the presenter reloads within the grace period: the room goes on
        await settle()
        assert ws.of("room")[-1]["presenter"] == "connected" and room.code in hub.rooms.hosted
        hub.detach(live, back)
        clock.now += 29
        await hub.sweep()
        await settle()
        assert ws.of("room")[-1]["presenter"] == "away"
        clock.now += 2
        await hub.sweep()
        await settle()
        for w in (ws, ws2):
            last = w.of("room")[-1]
            assert last["presenter"] == "ended" and "presenter left" in last["message"]
        assert not hub.rooms.hosted
        for t in (task, task2):
            t.cancel()
        await hub.shutdown()
    asyncio.run(go())


def greet_viewer(r: Reader, code: str) -> dict:
    r.send(type="hello", watch=code)
    assert r.next()["type"] == "room"
    welcome = r.until("welcome")
    r.until("state")
    return welcome


def exported(r: Reader) -> dict:
    r.send(type="export", format="json")
    return json.loads(r.until("export")["content"])


def test_fork_outside_a_room_is_a_bad_message():
    app = create_app(Settings())
    with TestClient(app) as c, c.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.hello(config=SMALL)
        r.send(type="fork")
        assert_error(r.until("error"), p.E_BAD_MESSAGE, "type", mentions="viewer")


def test_presenting_twice_keeps_one_room():
    app = create_app(Settings())
    with TestClient(app) as c, c.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.hello(config=SMALL)
        r.send(type="present")
        first = r.until("room")
        r.send(type="present")
        assert r.until("room")["code"] == first["code"] and first["role"] == "presenter"
        assert len(first["code"]) == CODE_LENGTH and set(first["code"]) <= set(CODE_ALPHABET)


def test_reconnect_with_a_token_this_process_does_not_hold_starts_fresh_from_the_hello_without_error():
    # what a reconnect that lands on another worker sees: the page's URL state, a new session, no error
    app = create_app(Settings())
    with TestClient(app) as c, c.websocket_connect("/ws") as ws:
        r = Reader(ws)
        r.send(type="hello", token="held-by-another-process", config={**SMALL, "hidden": [5]})
        welcome = r.next()
        assert welcome["type"] == "welcome" and welcome["resumed"] is False
        assert welcome["config"]["hidden"] == [5] and welcome["token"] != "held-by-another-process"


def test_room_codes_normalize_what_people_type():
    assert normalize_code(" abc-def ") == "ABCDEF"
    assert normalize_code("ABC") == "" and normalize_code("ABCDE0") == ""  # too short; 0 is not in codes


DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _documented_fields(kind: str) -> set[str]:
    """The backticked field names at the start of each item of message ``kind``'s row in the table of
    server messages (``| `room` | `code` (...), `role` (...) |``)."""
    row = next(line for line in DOC.read_text().splitlines() if line.startswith(f"| `{kind}` |"))
    fields = row.split("|")[2]
    depth, items, item = 0, [], ""
    for ch in fields:  # split on the commas outside parentheses
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
        else:
            item += ch
    items.append(item)
    return {re.match(r"\s*`(\w+)`", it).group(1) for it in items if re.match(r"\s*`(\w+)`", it)}


def test_room_and_fork_messages_carry_exactly_their_documented_fields():
    room = p.room("ABCDEF", "presenter", "away", 3, "the presenter is disconnected")
    assert room == {"type": "room", "code": "ABCDEF", "role": "presenter", "presenter": "away", "viewers": 3,
                    "message": "the presenter is disconnected"}
    assert set(room) - {"type"} == _documented_fields("room")
    assert p.forked("ABCDEF") == {"type": "forked", "room": "ABCDEF"}
    assert _documented_fields("forked") == {"room"}
    welcome = p.viewer_welcome({"max_hidden_layers": 6}, {"hidden": [4]}, None)
    assert welcome["session"] is None and welcome["token"] is None and welcome["resumed"] is False
    assert set(welcome) == set(p.welcome("s", "t", {}, {}, None, False))  # the same shape as a session's
    assert welcome["config"] == {"hidden": [4]} and welcome["protocol"] == p.PROTOCOL_VERSION


def test_redis_url_setting_must_be_a_redis_url():
    with pytest.raises(ValidationError, match="Redis URL"):
        Settings(redis_url="http://localhost:6379")
    assert Settings(redis_url=" redis://127.0.0.1:6379/0 ").redis_url == "redis://127.0.0.1:6379/0"


# --- two processes sharing one redis-server --------------------------------------------------------------


async def recv(ws, kind: str, limit: int = 2000):
    """The next message of ``kind`` ("frame": binary, decoded) within ``limit`` messages."""
    for _ in range(limit):
        m = await asyncio.wait_for(ws.recv(), 60)  # a hang guard, not a speed requirement
        if kind == "frame" and isinstance(m, bytes):
            return p.decode_frame(m)[0]
        if isinstance(m, str) and json.loads(m)["type"] == kind:
            return json.loads(m)
    raise AssertionError(f"no {kind} in {limit} messages")


def test_a_viewer_on_one_process_watches_and_forks_a_presenter_on_another_through_redis(redis_url):
    from websockets.asyncio.client import connect

    a = LiveServer(redis_url=redis_url, grace_period=1)
    b = LiveServer(redis_url=redis_url, grace_period=1)

    async def go():
        async with connect(a.url, origin=a.origin) as pres:
            await pres.send(json.dumps({"type": "hello", "config": SMALL}))
            await recv(pres, "state")
            await pres.send(json.dumps({"type": "present"}))
            code = (await recv(pres, "room"))["code"]
            await pres.send(json.dumps({"type": "play"}))
            async with connect(b.url, origin=b.origin) as v1, connect(b.url, origin=b.origin) as v2:
                for v in (v1, v2):
                    await v.send(json.dumps({"type": "hello", "watch": code}))
                    assert (await recv(v, "room"))["presenter"] == "connected"
                    assert (await recv(v, "welcome"))["token"] is None
                steps = [(await recv(v1, "frame"))["step"] for _ in range(8)]
                assert steps == sorted(steps) and steps[-1] > steps[0]  # live frames from process A
                for _ in range(200):  # B's heartbeat reaches A: the presenter learns of both viewers
                    if (await recv(pres, "room"))["viewers"] == 2:
                        break
                await pres.send(json.dumps({"type": "pause"}))
                await recv(pres, "state")
                await pres.send(json.dumps({"type": "export", "format": "json"}))
                theirs = json.loads((await recv(pres, "export"))["content"])
                await v1.send(json.dumps({"type": "fork"}))
                welcome = await recv(v1, "welcome")
                assert welcome["token"] and welcome["config"] == theirs["config"]
                await recv(v1, "forked")
                await v1.send(json.dumps({"type": "export", "format": "json"}))
                mine = json.loads((await recv(v1, "export"))["content"])
                assert mine["parameters"] == theirs["parameters"] and mine["step"] == 0
                assert b.health()["sessions"] == 1  # the fork lives where its viewer is
                await pres.close()  # the presenter leaves: B's viewer is told, then told the room ended
                assert (await recv(v2, "room"))["presenter"] == "away"
                ended = await recv(v2, "room")
                assert ended["presenter"] == "ended" and "presenter left" in ended["message"]
        assert a.health()["sessions"] == 0

    try:
        asyncio.run(go())
    finally:
        a.stop()
        b.stop()


def test_a_viewer_on_another_process_gets_the_presenters_scene_panel_through_redis(redis_url):
    from websockets.asyncio.client import connect

    a = LiveServer(redis_url=redis_url)
    b = LiveServer(redis_url=redis_url)

    async def go():
        async with connect(a.url, origin=a.origin) as pres:
            await pres.send(json.dumps({"type": "hello", "scene": "xor-by-hand"}))
            await recv(pres, "state")
            await pres.send(json.dumps({"type": "present"}))
            code = (await recv(pres, "room"))["code"]
            await pres.send(json.dumps({"type": "lecture", "what": "walkthrough"}))
            mine = await recv(pres, "lecture")
            async with connect(b.url, origin=b.origin) as v:  # joins later, on process B
                await v.send(json.dumps({"type": "hello", "watch": code}))
                assert await recv(v, "lecture") == mine  # the last answer, from the room's hash
                await pres.send(json.dumps({"type": "set_param", "kind": "bias", "layer": 1, "index": 0,
                                            "value": 1.0}))
                await pres.send(json.dumps({"type": "lecture", "what": "walkthrough"}))
                again = await recv(pres, "lecture")
                assert again != mine and await recv(v, "lecture") == again  # and live, on the channel

    try:
        asyncio.run(go())
    finally:
        a.stop()
        b.stop()


def test_viewers_get_the_presenters_parameter_form_and_a_fork_takes_the_form_its_own_hello_asked():
    # docs/protocol.md, "Parameters as one array": a room's frames are encoded once, in the presenter's form
    with TestClient(create_app(Settings())) as c, c.websocket_connect("/ws") as pws, \
            c.websocket_connect("/ws") as vws:
        pr, vr = Reader(pws), Reader(vws)
        pr.hello(config={**SMALL, "hidden": [3]}, params="binary")
        pr.send(type="present")
        code = pr.until("room")["code"]
        vr.send(type="hello", watch=code)  # no params: a viewer's own form waits for its fork
        frame = vr.until("frame")
        header, arrays = p.decode_frame(frame)
        assert "param_layout" in header and "weights" not in header and arrays["params"].size == 3 * 2 + 3 + 4
        pr.send(type="step", n=2)

        def at_step_2(r: Reader) -> bytes:
            while p.decode_frame(frame := r.until("frame"))[0]["step"] != 2:
                pass
            return frame

        assert at_step_2(pr) == at_step_2(vr)  # the very same bytes
        vr.send(type="fork")
        vr.until("welcome")
        header, arrays = p.decode_frame(vr.until("frame"))
        assert "weights" in header and "params" not in arrays  # the fork's frames: the viewer's JSON form


def test_each_viewer_is_left_out_only_what_it_was_sent_itself_a_late_one_gets_whole_arrays():
    # docs/protocol.md, "Arrays the client has already": a room's frames are the presenter's bytes, and each
    # socket leaves out of them only the arrays of the last frame it was sent
    def names(frame: bytes) -> tuple[list[str], list[str]]:
        header = json.loads(frame[4:4 + int.from_bytes(frame[:4], "little")])
        return header.get("same", []), [e["name"] for e in header["arrays"]]

    with TestClient(create_app(Settings())) as c, c.websocket_connect("/ws") as pws, \
            c.websocket_connect("/ws") as early_ws, c.websocket_connect("/ws") as late_ws:
        pr, early, late = Reader(pws), Reader(early_ws), Reader(late_ws)
        pr.hello(config={**SMALL, "hidden": [3]}, params="binary", same=True)
        pr.send(type="present")
        code = pr.until("room")["code"]
        early.send(type="hello", watch=code, same=True)
        assert names(early.until("frame"))[0] == []  # its first frame: whole
        pr.send(type="view", unit=[0, 1])  # paused: a hovered unit
        assert set(names(pr.until("frame"))[0]) == {"output", "thumbnails", "params"}
        assert set(names(early.until("frame"))[0]) == {"output", "thumbnails", "params"}
        late.send(type="hello", watch=code, same=True)  # joins now: the room's last frame, whole
        same, sent = names(late.until("frame"))
        assert same == [] and {"output", "thumbnails", "params", "unit"} <= set(sent)
