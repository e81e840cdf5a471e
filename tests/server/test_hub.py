"""Hub: grace period and idle cleanup on a fake clock, the rate bucket, frame-rate adaptation, fair share."""

from __future__ import annotations

import asyncio
import json

import numpy as np
from starlette.testclient import TestClient

from app import protocol as p
from app.config import SessionConfig
from app.connection import Connection
from app.hub import Hub, Live
from app.runner import MIN_FPS, adapt_fps
from app.server import create_app
from app.session import Session
from app.settings import Settings

from .helpers import Reader, assert_error


class FakeWS:
    def __init__(self):
        self.sent: list = []
        self.closed_with: int | None = None

    async def send_text(self, text):
        self.sent.append(json.loads(text))

    async def send_bytes(self, data):
        self.sent.append(data)

    async def close(self, code=1000, reason=""):
        self.closed_with = code


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def live_session(hub: Hub, session: Session | None = None) -> Live:
    """Session "s1" held by ``hub`` (default: a small one), not yet attached to a client."""
    live = Live(id="s1", token="t1", session=session or Session(SessionConfig(points=40)))
    hub.sessions[live.id] = live
    hub._by_token[live.token] = live
    return live


async def attached(hub: Hub, session: Session) -> tuple[Live, FakeWS]:
    """``session`` held by ``hub`` and attached to a client that reads everything (a FakeWS)."""
    live = live_session(hub, session)
    ws = FakeWS()
    conn = Connection(ws)
    conn.start()
    await hub.attach(live, conn)
    return live, ws


def test_detached_session_lives_through_the_grace_period_then_is_freed():
    async def go():
        clock = Clock()
        hub = Hub(Settings(grace_period=30), clock=clock)
        live = live_session(hub)
        conn = Connection(FakeWS())
        await hub.attach(live, conn)
        hub.detach(live, conn)
        clock.now += 29
        await hub.sweep()
        assert "s1" in hub.sessions
        clock.now += 2
        await hub.sweep()
        assert "s1" not in hub.sessions and "t1" not in hub._by_token
    asyncio.run(go())


def test_paused_untouched_session_is_freed_after_idle_timeout_with_4002():
    async def go():
        clock = Clock()
        hub = Hub(Settings(idle_timeout=600), clock=clock)
        live = live_session(hub)
        ws = FakeWS()
        conn = Connection(ws)
        conn.start()
        await hub.attach(live, conn)
        clock.now += 599
        await hub.sweep()
        assert "s1" in hub.sessions
        live.session.playing = True  # a playing session is never idle
        clock.now += 10
        await hub.sweep()
        assert "s1" in hub.sessions
        live.session.playing = False
        await hub.sweep()
        assert "s1" not in hub.sessions and ws.closed_with == p.CLOSE_IDLE
        assert_error(ws.sent[-1], "idle")
    asyncio.run(go())


def test_rate_bucket_allows_bursts_then_refills_at_the_rate():
    async def go():
        clock = Clock()
        hub = Hub(Settings(rate_limit=2, rate_burst=3), clock=clock)
        live = live_session(hub)
        await hub.attach(live, Connection(FakeWS()))
        assert [hub.allow(live) for _ in range(4)] == [True, True, True, False]
        clock.now += 0.5  # one more token at 2 per second
        assert [hub.allow(live) for _ in range(2)] == [True, False]
    asyncio.run(go())


def test_frame_rate_drops_under_load_and_recovers_up_to_the_cap():
    fps = 60.0
    for _ in range(50):
        fps = adapt_fps(fps, 60.0, busy=0.1, dropped=False)  # each frame's work takes 100 ms
    assert fps == MIN_FPS or fps < 10
    assert adapt_fps(30.0, 60.0, busy=0.001, dropped=True) < 30.0  # a slow client lowers it too
    for _ in range(100):
        fps = adapt_fps(fps, 45.0, busy=0.001, dropped=False)
    assert fps == 45.0


def test_train_stops_at_its_time_slice():
    s = Session(SessionConfig(hidden=[64] * 8, activation="relu", batch_size=100))
    done = s.train(1000, budget_s=0.0)
    assert 1 <= done < 1000 and s.step_count == done


def test_a_heavy_session_does_not_block_a_light_one():
    app = create_app(Settings(train_threads=1, slice_ms=5))
    with TestClient(app) as c, c.websocket_connect("/ws") as heavy_ws, c.websocket_connect("/ws") as light_ws:
        heavy, light = Reader(heavy_ws), Reader(light_ws)
        heavy.hello(config={"hidden": [64] * 8, "activation": "relu", "batch_size": 100, "points": 2000,
                            "steps_per_frame": 1000})
        light.hello()
        heavy.send(type="play")
        heavy.until("state")
        light.send(type="step", n=3)
        assert p.decode_frame(light.until("frame"))[0]["step"] == 3
        # the light session was served while the heavy one was still inside its first frame's 1000 steps
        heavy_live = next(live for live in app.state.hub.sessions.values() if live.session.config.points)
        assert heavy_live.session.step_count < 1000
        heavy.send(type="pause")


def test_pause_reports_the_step_the_session_really_stopped_at():
    # frames of 1,000 steps keep the runner inside a training slice nearly all the time, so the pause
    # lands while one runs; the state it answers must name the step after that slice, not before it
    async def go():
        hub = Hub(Settings())
        session = Session(SessionConfig(steps_per_frame=1000, hidden=[16, 16]))
        live, ws = await attached(hub, session)
        await hub.handle(live, p.Play(type="play"))
        await asyncio.sleep(0.3)
        await hub.handle(live, p.Pause(type="pause"))
        for _ in range(100):  # the state message goes through the connection's sender task
            states = [m for m in ws.sent if isinstance(m, dict) and m.get("type") == "state"]
            if states and states[-1]["state"] == "paused":
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # anything still running would move the step on now
        reported, final = states[-1]["step"], live.session.step_count
        await hub.shutdown()
        return reported, final

    reported, final = asyncio.run(go())
    assert reported == final > 0


def test_by_token_finds_the_live_session_of_a_token_and_nothing_for_others():
    hub = Hub(Settings())
    live = live_session(hub)
    assert hub.by_token("t1") is live
    assert hub.by_token("t2") is None and hub.by_token("") is None and hub.by_token(None) is None
    hub.free(live)
    assert hub.by_token("t1") is None


# --- hello.params: the form of a session's frames follows the client that greeted it ------------------------
def _frames(reader: Reader, n: int = 1) -> list[tuple[dict, dict]]:
    return [p.decode_frame(reader.until("frame")) for _ in range(n)]


def test_a_hello_asking_for_binary_params_gets_frames_with_the_parameter_array_and_no_lists():
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.send(type="hello", params="binary", config={"hidden": [3, 2], "activation": "prelu"})
        header, arrays = _frames(r)[0]
        assert "param_layout" in header and "weights" not in header and arrays["params"].dtype == "float32"
        assert len(header["param_layout"]) == 3 and set(header["param_layout"][0]["unit_params"]) == {"slope"}
        r.send(type="step", n=3)  # every later frame too
        header, arrays = _frames(r)[0]
        assert header["step"] == 3 and "param_layout" in header and "weights" not in header


def test_a_hello_without_params_gets_json_lists_and_a_bad_value_is_refused_naming_params():
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.send(type="hello", params="msgpack")
        assert_error(r.next(), p.E_BAD_MESSAGE, "params", mentions="'json' or 'binary'")
        r.hello()  # the same socket may greet again, without params: the JSON form of before
        r.send(type="step")
        header, arrays = _frames(r)[0]
        assert "weights" in header and "param_layout" not in header and "params" not in arrays


def test_a_session_resumed_by_a_hello_of_the_other_form_sends_that_form_from_then_on():
    with TestClient(create_app(Settings())) as client:
        with client.websocket_connect("/ws") as socket:
            welcome = Reader(socket).hello(params="binary")
        with client.websocket_connect("/ws") as socket:
            r = Reader(socket)
            r.send(type="hello", token=welcome["token"])  # the same session, no params: JSON again
            assert r.until("welcome")["resumed"]
            header, _ = _frames(r)[0]
            assert "weights" in header and "param_layout" not in header
        with client.websocket_connect("/ws") as socket:
            r = Reader(socket)
            r.send(type="hello", token=welcome["token"], params="binary")
            header, _ = _frames(r)[0]
            assert "param_layout" in header
            r.send(type="load_scene", name="xor-by-hand")  # a scene's view keeps the client's form
            header, arrays = _frames(r)[0]
            assert "param_layout" in header and arrays["params"].size == 9  # 2-2-1: 4 + 2 + 2 + 1


def test_a_hovered_unit_on_a_paused_session_sends_its_map_and_names_the_rest_same():
    config = {"hidden": [6, 4], "activation": "tanh", "seed": 9}
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as a, \
            client.websocket_connect("/ws") as b:
        lean, whole = Reader(a), Reader(b)
        frames = {}
        for r, same in ((lean, True), (whole, False)):  # the same config and seed: the same network
            r.send(type="hello", params="binary", same=same, config=config)
            first = r.until("frame")
            r.send(type="view", unit=[1, 2])
            frames[same] = (first, r.until("frame"))
        (first, hover), (_, reference) = frames[True], frames[False]
        header, arrays = p.decode_frame(hover, p.decode_frame(first)[1])
        assert set(header["same"]) == {"output", "thumbnails", "params"}  # not the unit map: it is new
        assert [e["name"] for e in header["arrays"]] == ["unit"]
        want_header, want = p.decode_frame(reference)
        assert "same" not in want_header and arrays.keys() == want.keys()
        assert all(np.array_equal(arrays[k], want[k]) for k in want)  # what a whole frame shows
        assert len(hover) < len(reference) / 2
