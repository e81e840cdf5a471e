"""app/delivery.py: what a client is sent on demand, in order, and only when it is of use."""

from __future__ import annotations

import asyncio
import json

from app import delivery
from app import protocol as p
from app.connection import Connection
from app.hub import Hub
from app.settings import Settings

from .test_handlers import attached


def kinds(sent: list) -> list[str]:
    return ["frame" if isinstance(m, bytes) else m["type"] for m in sent]


async def _flushed(ws, count: int) -> None:
    for _ in range(400):
        if len(ws.sent) >= count:
            return
        await asyncio.sleep(0.005)


def test_the_full_state_is_the_points_then_a_frame_then_the_state():
    async def go():
        hub = Hub(Settings())
        live, ws = attached(hub)
        live.session.train(4)
        await delivery.send_full_state(hub, live)
        await _flushed(ws, 3)
        await hub.shutdown()
        return ws.sent, live.session

    sent, session = asyncio.run(go())
    assert kinds(sent) == ["dataset", "frame", "state"]
    assert sent[0] == json.loads(p.dumps(p.dataset(**session.dataset_points())))
    assert p.decode_frame(sent[1])[0]["step"] == 4 and sent[2] == p.state("paused", 4)


def test_a_change_to_a_playing_session_sends_no_extra_frame():
    async def go():
        hub = Hub(Settings())
        live, ws = attached(hub)
        live.session.playing = True  # no runner: only what frame_if_paused sends can arrive
        await delivery.frame_if_paused(hub, live)
        await asyncio.sleep(0.05)
        playing = list(ws.sent)
        live.session.playing = False
        await delivery.frame_if_paused(hub, live)
        await _flushed(ws, 1)
        await hub.shutdown()
        return playing, ws.sent

    playing, paused = asyncio.run(go())
    assert playing == [] and kinds(paused) == ["frame"]


def test_a_frame_offered_while_the_last_is_unsent_replaces_it():
    async def go():
        hub = Hub(Settings())
        live, ws = attached(hub)
        live.conn = Connection(ws)  # not started: a client that has not read its first frame yet
        first = await delivery.send_frame(hub, live)
        second = await delivery.send_frame(hub, live)
        await hub.shutdown()
        return first, second, live.conn.frames_dropped

    first, second, dropped = asyncio.run(go())
    assert not first and second and dropped == 1
