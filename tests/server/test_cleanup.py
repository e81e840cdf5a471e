"""Cleanup that cannot be stopped (issue 11, item 9): the janitor outlives a failing sweep, and a backlog
overflow drops its messages at once and closes within a bounded wait on a peer that never reads."""

from __future__ import annotations

import asyncio

from app import protocol as p
from app.config import SessionConfig
from app.connection import CLOSE_WAIT_S, MAX_CONTROL_BACKLOG, Connection
from app.hub import Hub, Live
from app.session import Session
from app.settings import Settings

WAIT_S = 30.0  # turns a hang into a failure; nothing here measures speed


class NeverReadWS:
    """A peer whose receive window stays shut: every send and the close frame wait (for WAIT_S, so that a
    failing run ends)."""

    def __init__(self):
        self.close_started = asyncio.Event()

    async def send_text(self, text):
        await asyncio.sleep(WAIT_S)

    async def send_bytes(self, data):
        await asyncio.sleep(WAIT_S)

    async def close(self, code=1000, reason=""):
        self.close_started.set()
        await asyncio.sleep(WAIT_S)


def test_a_backlog_overflow_drops_the_queue_at_once_and_the_close_ends_within_its_bound():
    async def go():
        ws = NeverReadWS()
        conn = Connection(ws)
        conn.start()
        for i in range(MAX_CONTROL_BACKLOG + 1):
            conn.send({"type": "state", "state": "paused", "step": i, "message": "x" * 1000})
        assert len(conn._queue) == 0  # nothing held for a peer that will not read it
        await asyncio.sleep(0)
        assert conn.closed
        await asyncio.wait_for(ws.close_started.wait(), WAIT_S)
        # the close itself gives up on the peer: no task is left waiting on it
        await asyncio.sleep(CLOSE_WAIT_S + 0.5)
        stuck = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        assert not stuck, stuck
    asyncio.run(go())


def test_the_janitor_keeps_sweeping_after_a_sweep_fails():
    async def go():
        hub = Hub(Settings(grace_period=0.2))
        failures = []
        real_sweep = hub.rooms.sweep

        async def failing_once():
            if not failures:
                failures.append(1)
                raise RuntimeError("a bug in one sweep")
            await real_sweep()

        hub.rooms.sweep = failing_once
        live = Live(id="s1", token="t1", session=Session(SessionConfig(points=40)))
        hub.sessions[live.id] = live
        live.detached_at = hub.clock()  # parked: the janitor frees it after the grace period
        hub.start()
        try:
            for _ in range(int(WAIT_S / 0.05)):
                if failures and "s1" not in hub.sessions:
                    break
                await asyncio.sleep(0.05)
            assert failures, "the failing sweep never ran"
            assert "s1" not in hub.sessions, "the janitor stopped after the failed sweep"
        finally:
            await hub.shutdown(p.CLOSE_GOING_AWAY)
    asyncio.run(go())


def test_a_socket_that_ends_during_its_greeting_leaves_its_session_parked_not_live():
    # the socket's task can be cancelled (a client gone mid-greeting, a shutdown) after the hub attached
    # the session but before the server learnt of it; the retired connection must still park it, or the
    # session counts as live until the idle timeout and keeps a place from a real client
    class QuietWS:
        async def send_text(self, text):
            pass

        async def send_bytes(self, data):
            pass

        async def close(self, code=1000, reason=""):
            pass

    async def go():
        hub = Hub(Settings())
        live = Live(id="s1", token="t1", session=Session(SessionConfig(points=40)))
        hub.sessions[live.id] = live
        conn = Connection(QuietWS())
        await hub.attach(live, conn)
        hub.retire(conn)  # what the socket's handler does last, whatever happened before
        assert live.conn is None and live.detached_at is not None
    asyncio.run(go())
