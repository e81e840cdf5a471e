"""Live sessions: admission, one runner task per playing session, control messages, reconnects, cleanup.

Concurrency model: everything here runs on the event loop except the session methods, which run in one
bounded thread pool shared by all sessions (``Hub.call``), one call at a time per session (its lock). The
pool is fair (app/fairpool.py): the next call it runs is that of the session that has used the least CPU,
so a heavy session gets the same share of the cores as a light one, not more. A playing session's runner
trains in time slices of at most ``slice_ms``, so its calls stay short, and caps its frame rate, lowering it
when its work or its client cannot keep up. Every other piece of work a client can ask for is sliced too:
frames (``call_sliced``), ``step n`` and lecture panels (app/runner.py) run as generators of bounded
pieces (app/slicing.py), re-queued in the pool after each slice so that the other sessions run in between.
Each connection has one sender task: control messages in order, then the latest frame (a newer frame
replaces one that has not been sent yet). The control messages are handled by app/handlers.py; what a
client is sent on demand (frame, points, full state) is app/delivery.py.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app import delivery, handlers, regioncount, runner, scenes, slicing
from app import protocol as p
from app.config import ConfigError, limits
from app.connection import AddressBuckets, Connection, ServerFull, TokenBucket, background
from app.errors import error_for
from app.fairpool import FairPool, Share
from app.overload import Overload
from app.rooms import Rooms
from app.session import Session
from app.settings import Settings

log = logging.getLogger("mlp_playground.hub")

ROOM_GUESS_RATE = 0.5  # wrong room codes per second one client address may try on average
ROOM_GUESS_BURST = 20  # ... and at once


@dataclass
class Live:
    """A session the hub holds, with its lock, its connection (None while detached) and its runner."""

    id: str
    token: str
    session: Session
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    conn: Connection | None = None
    runner: asyncio.Task | None = None
    detached_at: float | None = None
    touched: float = field(default_factory=time.monotonic)
    fps: float = 60.0
    bucket: TokenBucket | None = None  # the rate limit of its control messages; new with each connection
    share: Share = field(default_factory=Share)  # its place in the fair pool: heavy work waits its turn
    count_waiter: asyncio.Task | None = None  # sends a paused session's frame once its region count arrives
    address: str | None = None  # the client address that created it (the per-address limit)
    stepper: asyncio.Task | None = None  # a 'step n' in progress, slice by slice (see Hub._step)
    stop_stepping: bool = False  # set by the next message that changes the session: the stepper ends
    # lecture panels being computed, slice by slice, by ``what``: (the task, its stop flag)
    lectures: dict[str, tuple[asyncio.Task, list[bool]]] = field(default_factory=dict)


class Hub:
    """All live sessions of this process."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self.sessions: dict[str, Live] = {}
        self._by_token: dict[str, Live] = {}
        self._pool = FairPool(settings.train_threads, name="train")
        self.overload = Overload(settings.reduced_maps, clock)  # coarser maps while playing sessions lag
        self._janitor: asyncio.Task | None = None
        self.closing = False
        self._retired_sent = 0
        self._retired_dropped = 0
        self._creating = 0
        self._creating_by: dict[str, int] = {}  # sessions being built, per client address
        self.rooms = Rooms(self, settings)
        # wrong room codes per client address: enough for typos, far too few to find a room by guessing
        self.room_guesses = AddressBuckets(ROOM_GUESS_RATE, ROOM_GUESS_BURST, clock)

    # --- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._janitor = asyncio.create_task(self._janitor_loop())

    async def shutdown(self, code: int = p.CLOSE_GOING_AWAY) -> None:
        """Close every socket with ``code`` (1001 on SIGTERM) and stop every runner and the region-count
        worker. Takes about ``CLOSE_WAIT_S`` at most, whatever the clients do."""
        self.closing = True
        if self._janitor is not None:
            self._janitor.cancel()
        lives = list(self.sessions.values())
        for live in lives:
            _cancel_work(live)
        regioncount.shutdown()  # first: nothing below may keep the worker process alive
        try:
            await self.rooms.shutdown(code)
            await asyncio.gather(*(live.conn.close(code, "server shutting down") for live in lives
                                   if live.conn), return_exceptions=True)
        finally:
            self.sessions.clear()
            self._by_token.clear()
            self._pool.shutdown()

    async def call(self, live: Live, fn: Callable, *args: Any) -> Any:
        """Run a session method in the pool, serialized with every other call on that session."""
        async with live.lock:
            return await self._pool.run(live.share, fn, *args)

    # --- admission ----------------------------------------------------------------------------------
    async def hello(self, conn: Connection, msg: p.Hello) -> Live:
        """Resume the session of ``msg.token`` or start a new one (ServerFull past the cap)."""
        live = self._by_token.get(msg.token) if msg.token else None
        if live is None:
            return await self._admit(conn, lambda: self._new_session(conn, msg))
        await self._greet(live, conn, resumed=True)
        return live

    def by_token(self, token: str | None) -> Live | None:
        """The live session whose resume token is ``token`` (a file import names its session so)."""
        return self._by_token.get(token) if token else None

    async def adopt(self, conn: Connection, build: Callable[[], Session]) -> Live:
        """Hold the session ``build`` makes (in the pool; a viewer's fork) as a new session of ``conn``,
        greeted like a new hello. ServerFull past the cap."""
        return await self._admit(
            conn, lambda: self._pool.run(None, build))

    async def _admit(self, conn: Connection, make: Callable[[], Any]) -> Live:
        """Register the session ``await make()`` builds as a new live session of ``conn`` and greet it;
        ServerFull past the cap. The slot is held while the session is built off the loop."""
        self._make_room(conn.address)
        address = conn.address
        self._creating += 1
        if address is not None:
            self._creating_by[address] = self._creating_by.get(address, 0) + 1
        try:
            session = await make()
        finally:
            self._creating -= 1
            if address is not None:
                self._creating_by[address] -= 1
                if not self._creating_by[address]:
                    del self._creating_by[address]
        live = Live(id=secrets.token_hex(8), token=secrets.token_urlsafe(24), session=session,
                    fps=session.config.max_fps, address=conn.address)
        self.sessions[live.id] = live
        self._by_token[live.token] = live
        await self._greet(live, conn, resumed=False)
        return live

    def _make_room(self, address: str | None) -> None:
        """Make a place for one more session of ``address`` or raise ServerFull saying why.

        A parked session (its client gone, waiting out the grace period for a reconnect) never keeps a
        live client out: past a cap, the oldest parked one (of that address, for the per-address cap) is
        freed first. Only live sessions fill the server.
        """
        s = self.settings
        if address is not None and s.max_sessions_per_client:
            mine = [live for live in self.sessions.values() if live.address == address]
            held = len(mine) + self._creating_by.get(address, 0)
            if held >= s.max_sessions_per_client and not self._free_oldest_parked(mine):
                raise ServerFull(f"this address already holds {held} sessions, the most one client may "
                                 "(MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT); close a tab, or try again later")
        full = len(self.sessions) + self._creating >= s.max_sessions
        if full and not self._free_oldest_parked(list(self.sessions.values())):
            raise ServerFull(f"server full: it already trains {s.max_sessions} sessions; try again later")

    def _free_oldest_parked(self, lives: list[Live]) -> bool:
        parked = [(live.detached_at, live) for live in lives
                  if live.conn is None and live.detached_at is not None]
        if not parked:
            return False
        _, oldest = min(parked, key=lambda pair: pair[0])
        log.info("freed parked session %s to admit a live client", oldest.id)
        self.free(oldest)
        return True

    async def _greet(self, live: Live, conn: Connection, resumed: bool) -> None:
        """Attach ``conn`` and send welcome plus the full state (dataset, frame, state)."""
        if live.session.view.params != conn.params:  # in the pool: a frame in progress keeps its form
            await self.call(live, lambda: live.session.set_view(params=conn.params))
        await self.attach(live, conn)
        s = live.session
        conn.send(p.welcome(live.id, live.token, self.limits(), s.config.model_dump(),
                            s.scene.describe() if s.scene else None, resumed))
        await delivery.send_full_state(self, live)

    async def _new_session(self, conn: Connection, msg: p.Hello) -> Session:
        scene = msg.scene or scenes.DEFAULT_SCENE
        try:
            return await self._pool.run(None, lambda: Session(scene=scene, overrides=msg.config))
        except (KeyError, ValidationError, ConfigError, TypeError) as exc:
            # the page asked for something impossible: say what, and start the default scene instead
            conn.send(error_for(exc, "scene"))
            return await self._pool.run(None, lambda: Session(scene=scenes.DEFAULT_SCENE))

    def limits(self) -> dict[str, Any]:
        s = self.settings
        # the wire's own bounds come from protocol.py (config.py cannot import it: protocol imports config)
        return {**limits(), "step_n": [1, p.MAX_STEP_N], "max_message_bytes": p.MAX_MESSAGE_BYTES,
                "rate_limit": s.rate_limit, "rate_burst": s.rate_burst, "grace_period": s.grace_period}

    async def attach(self, live: Live, conn: Connection) -> None:
        """Make ``conn`` the session's viewer; an older connection (a reloaded tab) is closed with 4000."""
        old, live.conn = live.conn, conn
        conn.session_id = live.id
        live.detached_at = None
        live.touched = self.clock()
        live.bucket = TokenBucket(self.settings.rate_limit, self.settings.rate_burst, self.clock)
        if old is not None and old is not conn:
            old.tap = None
            background(old.close(p.CLOSE_REPLACED, "session resumed by another connection"))
        self.rooms.attached(live, conn)
        self.ensure_runner(live)

    def retire(self, conn: Connection) -> None:
        """Count a finished connection's frames in the process totals (see ``frame_stats``), and park its
        session if it still names this connection: a socket that ended during its greeting (its task
        cancelled before the caller learnt of the session) must not leave the session counted as live."""
        self._retired_sent += conn.frames_sent
        self._retired_dropped += conn.frames_dropped
        live = self.sessions.get(conn.session_id) if conn.session_id is not None else None
        if live is not None:
            self.detach(live, conn)

    def frame_stats(self) -> dict[str, int]:
        """Frames sent to clients and frames replaced before sending (slow clients), process-wide."""
        conns = [live.conn for live in self.sessions.values() if live.conn is not None]
        return {"frames_sent": self._retired_sent + sum(c.frames_sent for c in conns),
                "frames_dropped": self._retired_dropped + sum(c.frames_dropped for c in conns)}

    def detach(self, live: Live, conn: Connection) -> None:
        """The socket went away: keep the session for the grace period (its training pauses meanwhile)."""
        if live.conn is conn:
            live.conn = None
            live.detached_at = self.clock()
            self.rooms.detached(live)

    def free(self, live: Live) -> None:
        _cancel_work(live)
        self.sessions.pop(live.id, None)
        self._by_token.pop(live.token, None)
        self.rooms.freed(live)

    async def _janitor_loop(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.settings.grace_period / 4))
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # one failure must not end all cleanup for good: log it, sweep again
                log.exception("cleanup of sessions and rooms failed; trying again")

    async def sweep(self) -> None:
        """Free sessions without a viewer past the grace period and paused ones idle past idle_timeout."""
        now = self.clock()
        for live in list(self.sessions.values()):
            if live.conn is None and live.detached_at is not None:
                if now - live.detached_at > self.settings.grace_period:
                    self.free(live)
            elif not live.session.playing and now - live.touched > self.settings.idle_timeout:
                conn = live.conn
                self.free(live)
                if conn is not None:
                    conn.send(p.error(p.E_IDLE, "the session was idle too long and has been freed"))
                    await conn.flush_and_close(p.CLOSE_IDLE, "idle")
        self.room_guesses.prune()
        await self.rooms.sweep()

    # --- rate limit ---------------------------------------------------------------------------------
    def allow(self, live: Live) -> bool:
        """Whether the session's rate limit admits one more message; tells the client, at most once a
        second, that some were dropped."""
        if live.bucket is None:
            live.bucket = TokenBucket(self.settings.rate_limit, self.settings.rate_burst, self.clock)
        if live.bucket.allow():
            return True
        if live.conn is not None and live.bucket.warn():
            s = self.settings
            live.conn.send(p.error(p.E_RATE_LIMITED, f"too many messages: at most {s.rate_limit:g} per "
                                                     f"second (bursts of {s.rate_burst}); some were dropped"))
        return False

    def flooding(self, live: Live) -> bool:
        """True once the session's client keeps sending far beyond the rate limit (see TokenBucket)."""
        return live.bucket is not None and live.bucket.flooding()

    # --- control messages ---------------------------------------------------------------------------
    async def handle(self, live: Live, msg: Any) -> None:
        """Apply one parsed client message (app/handlers.py); a bad one is answered with an error and
        changes nothing."""
        conn = live.conn
        if conn is None:
            return
        live.touched = self.clock()
        await handlers.dispatch(self, live, conn, msg)

    # --- sliced work --------------------------------------------------------------------------------
    @property
    def pool(self) -> FairPool:
        """The fair pool every session's work runs in (app/fairpool.py)."""
        return self._pool

    async def call_sliced(self, live: Live, work: Callable[[], slicing.Work]) -> Any:
        """Run the generator ``work()`` (pieces of bounded work, app/slicing.py) in pool calls of at most
        one slice each, holding the session's lock throughout: between the slices the pool serves the
        other sessions, by their fair share. Returns what the generator returns."""
        async with live.lock:
            _, value, _ = await slicing.drive(self._pool, live.share, work(), self.settings.slice_ms / 1000.0)
        return value

    async def send_frame(self, live: Live) -> bool:
        """Offer the session's current frame to its client (app/delivery.py); True if it replaced a frame
        the client had not taken yet."""
        return await delivery.send_frame(self, live)

    # --- the runner ---------------------------------------------------------------------------------
    def ensure_runner(self, live: Live) -> None:
        if live.session.playing and live.conn is not None and (live.runner is None or live.runner.done()):
            live.runner = asyncio.create_task(runner.play(self, live))


def _cancel_work(live: Live) -> None:
    """Cancel the session's runner, its 'step n' and its lecture panels in progress."""
    for task in (live.runner, live.stepper, *(t for t, _ in live.lectures.values())):
        if task is not None:
            task.cancel()


