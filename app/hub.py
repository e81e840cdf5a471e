"""Live sessions: admission, one runner task per playing session, control messages, reconnects, cleanup.

Concurrency model: everything here runs on the event loop except the session methods, which run in one
bounded thread pool shared by all sessions (``Hub.call``), one call at a time per session (its lock). The
pool is fair (app/fairpool.py): the next call it runs is that of the session that has used the least CPU,
so a heavy session gets the same share of the cores as a light one, not more. A playing session's runner
trains in time slices of at most ``slice_ms``, so its calls stay short, and caps its frame rate, lowering it
when its work or its client cannot keep up. Every other piece of work a client can ask for is sliced too:
frames (``call_sliced``), ``step n`` (``_step``) and lecture panels (``_lecture``) run as generators of
bounded pieces, re-queued in the pool after each slice so that the other sessions run in between.
Each connection has one sender task: control messages in order, then the latest frame (a newer frame
replaces one that has not been sent yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app import lecture, regioncount, scenes
from app import protocol as p
from app.config import ConfigError, describe_validation_error, limits
from app.connection import AddressBuckets, Connection, ServerFull, TokenBucket, background
from app.fairpool import FairPool, Share
from app.rooms import Rooms
from app.session import Session
from app.settings import Settings

log = logging.getLogger("mlp_playground.hub")

MIN_FPS = 2.0
ROOM_GUESS_RATE = 0.5  # wrong room codes per second one client address may try on average
ROOM_GUESS_BURST = 20  # ... and at once
STEP_PROGRESS_S = 0.25  # a long 'step n' shows a frame this often while it trains


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
        parked = [live for live in lives if live.conn is None and live.detached_at is not None]
        if not parked:
            return False
        oldest = min(parked, key=lambda live: live.detached_at)
        log.info("freed parked session %s to admit a live client", oldest.id)
        self.free(oldest)
        return True

    async def _greet(self, live: Live, conn: Connection, resumed: bool) -> None:
        """Attach ``conn`` and send welcome plus the full state (dataset, frame, state)."""
        await self.attach(live, conn)
        s = live.session
        conn.send(p.welcome(live.id, live.token, self.limits(), s.config.model_dump(),
                            s.scene.describe() if s.scene else None, resumed))
        await self._send_full_state(live)

    async def _new_session(self, conn: Connection, msg: p.Hello) -> Session:
        scene = msg.scene or scenes.DEFAULT_SCENE
        try:
            return await self._pool.run(None, lambda: Session(scene=scene, overrides=msg.config))
        except (KeyError, ValidationError, ConfigError, TypeError) as exc:
            # the page asked for something impossible: say what, and start the default scene instead
            conn.send(_error_from(exc, scene_field="scene", config_prefix="config"))
            return await self._pool.run(None, lambda: Session(scene=scenes.DEFAULT_SCENE))

    def limits(self) -> dict[str, Any]:
        s = self.settings
        return {**limits(), "max_message_bytes": p.MAX_MESSAGE_BYTES, "rate_limit": s.rate_limit,
                "rate_burst": s.rate_burst, "grace_period": s.grace_period}

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
        self._ensure_runner(live)

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
        """Apply one parsed client message; a bad one is answered with an error and changes nothing."""
        conn = live.conn
        if conn is None:
            return
        live.touched = self.clock()
        s = live.session
        if live.stepper is not None and not isinstance(msg, _BESIDE_STEPPING):
            await self._stop_stepping(live)
        try:
            if isinstance(msg, p.Hello):
                raise p.ProtocolError(p.E_BAD_MESSAGE, "hello: already greeted; send hello only once", "type")
            if isinstance(msg, p.Configure):
                rebuilt = await self.call(live, s.configure, msg.config)
                conn.send(p.config_message(s.config.model_dump(), rebuilt))
                if rebuilt:
                    await self._send_dataset(live)
                    conn.send(p.state(s.state, s.step_count))
                live.fps = min(live.fps, s.config.max_fps) if s.playing else s.config.max_fps
                await self._frame_if_paused(live)
            elif isinstance(msg, p.Play):
                if s.state == "diverged":
                    raise p.ProtocolError(p.E_DIVERGED, f"the network diverged at step "
                                                        f"{s.trainer.diverged_at}; reset it first (a lower "
                                                        "learning rate may help)")
                s.playing = True
                conn.send(p.state(s.state, s.step_count))
                self._ensure_runner(live)
            elif isinstance(msg, p.Pause):
                s.playing = False
                # a training slice already running finishes its steps first: the state names the step the
                # session really stopped at, which the next 'step' continues from
                await self.call(live, _settled)
                conn.send(p.state(s.state, s.step_count))
                if s.polygons_held:  # a big network's exact regions are made once it stops: ask for them
                    await self.send_frame(live)
            elif isinstance(msg, p.Step):
                live.stop_stepping = False
                live.stepper = asyncio.create_task(self._step(live, msg.n))
            elif isinstance(msg, p.Reset | p.Regenerate):
                await self.call(live, s.reset if isinstance(msg, p.Reset) else s.regenerate)
                if isinstance(msg, p.Regenerate):
                    conn.send(p.config_message(s.config.model_dump(), True))
                    await self._send_dataset(live)
                await self.send_frame(live)
                conn.send(p.state(s.state, s.step_count))
            elif isinstance(msg, p.Rewind):
                s.playing = False
                await self.call(live, _settled)  # a training slice under way ends first
                step = await self.call(live, s.rewind, msg.step)
                h = s.history
                conn.send(p.rewound(step, h.steps[-1], h.every, len(h), h.nbytes))
                await self.send_frame(live)
                conn.send(p.state(s.state, s.step_count))
            elif isinstance(msg, p.SetParam):
                await self.call(live, s.set_param, msg.kind, msg.layer, msg.index, msg.value)
                await self._frame_if_paused(live)
            elif isinstance(msg, p.Restore):
                # the restored state is paused: the page plays on once every layer is back
                s.playing = False
                await self.call(live, s.restore, msg.layer, msg.weights, msg.biases, msg.unit_params,
                                msg.step)
                if msg.frame:
                    await self.send_frame(live)
                conn.send(p.state(s.state, s.step_count))
            elif isinstance(msg, p.LoadScene):
                await self.call(live, s.load_scene, msg.name)
                conn.send(p.config_message(s.config.model_dump(), True, s.scene.describe()))
                await self._send_full_state(live)
                self._ensure_runner(live)
            elif isinstance(msg, p.View):
                changes = {k: getattr(msg, k) for k in msg.model_fields_set if k != "type"}
                await self.call(live, lambda: s.set_view(**changes))
                await self._frame_if_paused(live)
            elif isinstance(msg, p.Inspect):
                result = await self.call(live, s.inspect, msg.x, msg.y)
                conn.send(p.inspection(**result))
            elif isinstance(msg, p.Lecture):
                await self._start_lecture(live, msg)
            elif isinstance(msg, p.Present):
                await self.rooms.present(live)
            elif isinstance(msg, p.Fork):
                raise p.ProtocolError(p.E_BAD_MESSAGE, "fork: only a viewer of a room can fork (hello with "
                                                       "watch)", "type")
            elif isinstance(msg, p.Export):
                fmt = msg.format
                filename, content = await self.call_sliced(live, lambda: s.export_steps(fmt))
                conn.send(p.export(msg.format, filename, content))
        except p.ProtocolError as exc:
            conn.send(exc.to_message())
        except (ValidationError, ConfigError, KeyError, ValueError, IndexError, TypeError) as exc:
            conn.send(_error_from(exc, scene_field="name", config_prefix="config", msg=msg))
        except Exception:
            if self.closing:  # the pool is shut down under a message still being handled
                return
            log.exception("session %s failed on %s", live.id, type(msg).__name__)
            conn.send(p.error(p.E_INTERNAL, "the server could not do that; the session is unchanged"))

    async def _send_full_state(self, live: Live) -> None:
        conn, s = live.conn, live.session
        if conn is None:
            return
        await self._send_dataset(live)
        await self.send_frame(live)
        conn.send(p.state(s.state, s.step_count))

    async def _send_dataset(self, live: Live) -> None:
        """Send the session's points. Up to 5,000 points are ~100 kB of JSON: they are built and dumped
        in the pool (in the session's fair share), never on the event loop."""
        message, text = await self.call(live, _dataset_message, live.session)
        conn = live.conn
        if conn is not None:
            conn.send_dumped(message, text)

    # --- sliced work --------------------------------------------------------------------------------
    async def call_sliced(self, live: Live, work: Callable[[], Generator[Any, None, Any]]) -> Any:
        """Run the generator ``work()`` (pieces of bounded work, see ``_advance``) in pool calls of at most
        one slice each, holding the session's lock throughout: between the slices the pool serves the
        other sessions, by their fair share. Returns what the generator returns."""
        async with live.lock:
            value, _ = await self._drive(live, work())
        return value

    async def _drive(self, live: Live, work: Generator[Any, None, Any]) -> tuple[Any, float]:
        """Advance ``work`` slice by slice until it returns: ``(its value, CPU seconds used)``. A piece that
        yields a concurrent Future (work in another process) is waited for off the pool. The caller holds
        the session's lock."""
        slice_s = self.settings.slice_ms / 1000.0
        cpu = 0.0
        while True:
            finished, value, used = await self._pool.run(live.share, _advance, work, slice_s)
            cpu += used
            if finished:
                return value, cpu
            if value is not None:
                await asyncio.wrap_future(value)

    async def _step(self, live: Live, n: int) -> None:
        """``step n``: train in slices, each one pool call, so other sessions run in between, with a
        progress frame every ``STEP_PROGRESS_S``; the frame and state once done. The next message that
        changes the session ends it early (``_stop_stepping``)."""
        loop = asyncio.get_running_loop()
        s = live.session
        slice_s = self.settings.slice_ms / 1000.0
        shown = loop.time()
        try:
            while n > 0 and not live.stop_stepping and not s.trainer.diverged and live.conn is not None \
                    and not self.closing:
                n -= await self.call(live, s.train, n, slice_s)
                if n > 0 and loop.time() - shown >= STEP_PROGRESS_S and live.conn is not None:
                    await self.send_frame(live)
                    shown = loop.time()
            if live.conn is not None and not self.closing:
                await self.send_frame(live)
                if live.conn is not None:
                    live.conn.send(p.state(s.state, s.step_count))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("step of session %s failed", live.id)
            if live.conn is not None:
                live.conn.send(p.error(p.E_INTERNAL, "training stopped after an internal error"))
        finally:
            if live.stepper is asyncio.current_task():
                live.stepper = None

    async def _start_lecture(self, live: Live, msg: p.Lecture) -> None:
        """Compute a lecture panel in slices, in the background: the answer arrives when it is done (a
        big network's saturation curves train 600 full-batch steps). A newer request for the same panel
        ends the older one after its current slice; other panels go on."""
        old = live.lectures.get(msg.what)
        if old is not None:
            old[1][0] = True
            with contextlib.suppress(Exception):
                await old[0]
        stop = [False]
        task = asyncio.create_task(self._lecture(live, msg, stop))
        live.lectures[msg.what] = (task, stop)

    async def _lecture(self, live: Live, msg: p.Lecture, stop: list[bool]) -> None:
        s = live.session
        args = msg.panel_args()
        try:
            work = lecture.compute_steps(s, msg.what, **args)
            data = None
            while not stop[0] and live.conn is not None and not self.closing:
                # one slice at a time under the session's lock: its training and frames go on between
                async with live.lock:
                    finished, value, _ = await self._pool.run(live.share, _advance, work,
                                                              self.settings.slice_ms / 1000.0)
                if finished:
                    data = value
                    break
                if value is not None:  # a region count in the worker process
                    await asyncio.wrap_future(value)
            if data is not None and live.conn is not None:
                live.conn.send(p.lecture(msg.what, data))
        except asyncio.CancelledError:
            raise
        except (ValidationError, ConfigError, KeyError, ValueError, IndexError, TypeError) as exc:
            if live.conn is not None:
                live.conn.send(_error_from(exc, scene_field="name", config_prefix="config", msg=msg))
        except Exception:
            log.exception("session %s failed on lecture %s", live.id, msg.what)
            if live.conn is not None:
                live.conn.send(p.error(p.E_INTERNAL, "the server could not compute that panel"))
        finally:
            if live.lectures.get(msg.what, (None,))[0] is asyncio.current_task():
                del live.lectures[msg.what]

    async def _stop_stepping(self, live: Live) -> None:
        """End a 'step n' in progress after its current slice (it sends the frame and state it reached)."""
        task = live.stepper
        if task is None:
            return
        live.stop_stepping = True
        with contextlib.suppress(Exception):
            await task

    async def _frame_if_paused(self, live: Live) -> None:
        if not live.session.playing:  # a playing session's runner sends the next frame anyway
            await self.send_frame(live)

    async def send_frame(self, live: Live) -> bool:
        """Encode the session's current frame (in the pool, in slices) and offer it to its client; True if
        it replaced a frame the client had not taken yet."""
        frame = await self.call_sliced(live, lambda: _frame_steps(live.session))
        conn = live.conn
        dropped = conn.offer_frame(frame) if conn is not None else False
        self._frame_when_counted(live)
        return dropped

    def _frame_when_counted(self, live: Live) -> None:
        """A paused session's frame showed the last region count (or "counting") while the worker process
        counts: send another frame once the count arrives. A playing session's next frame picks it up."""
        pending = live.session.region_count_pending()
        if pending is None or live.session.playing or live.count_waiter is not None:
            return

        async def when_counted() -> None:
            try:
                await asyncio.wrap_future(pending)
            except Exception:  # the session counts on its own thread next time; nothing to send now
                return
            finally:
                live.count_waiter = None
            if live.conn is not None and not live.session.playing and live.id in self.sessions:
                await self.send_frame(live)

        live.count_waiter = asyncio.create_task(when_counted())

    # --- the runner ---------------------------------------------------------------------------------
    def _ensure_runner(self, live: Live) -> None:
        if live.session.playing and live.conn is not None and (live.runner is None or live.runner.done()):
            live.runner = asyncio.create_task(self._run(live))

    async def _run(self, live: Live) -> None:
        """Train and stream while the session plays and has a viewer; one runner per session."""
        loop = asyncio.get_running_loop()
        s = live.session
        slice_s = self.settings.slice_ms / 1000.0
        next_at = loop.time()
        busy = 0.0
        try:
            while s.playing and live.conn is not None and not self.closing:
                remaining = s.config.steps_per_frame
                frame = None
                cost = 0.0
                while frame is None and s.playing:
                    # one pool call trains a time slice and, once the frame's steps are done, starts the
                    # frame in what is left of it: a small network's whole frame is one call. A big
                    # network's frame goes on in further slices, the session's lock held until it is done.
                    async with live.lock:
                        done, work, cpu = await self._pool.run(live.share, _train_slice, s, remaining,
                                                               slice_s)
                        if work is not None and not isinstance(work, bytes):
                            work, more = await self._drive(live, work)
                            cpu += more
                    frame = work
                    remaining -= done
                    # The session's own CPU, not its wait for the pool: on a busy server every runner
                    # waits its fair turn anyway, and counting the wait would make light sessions give
                    # way to heavy ones. Wall time would also count the machine's other processes.
                    cost += cpu
                if frame is None:
                    break
                conn = live.conn
                dropped = conn.offer_frame(frame) if conn is not None else False
                if s.state == "diverged":
                    if conn is not None:
                        conn.send(p.state("diverged", s.step_count,
                                          f"loss or weights became NaN or infinite at step "
                                          f"{s.trainer.diverged_at}"))
                    break
                busy = 0.8 * busy + 0.2 * cost  # smoothed: one slow frame is no trend
                live.fps = _adapt_fps(live.fps, s.config.max_fps, busy, dropped)
                # keep to the schedule; after a stall, catch up by at most two frames rather than burst
                period = 1.0 / live.fps
                next_at = max(next_at + period, loop.time() - 2 * period)
                await asyncio.sleep(max(0.0, next_at - loop.time()))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("runner of session %s failed", live.id)
            s.playing = False
            if live.conn is not None:
                live.conn.send(p.error(p.E_INTERNAL, "training stopped after an internal error"))
                live.conn.send(p.state(s.state, s.step_count))


def _cancel_work(live: Live) -> None:
    """Cancel the session's runner, its 'step n' and its lecture panels in progress."""
    for task in (live.runner, live.stepper, *(t for t, _ in live.lectures.values())):
        if task is not None:
            task.cancel()


def _adapt_fps(fps: float, cap: float, busy: float, dropped: bool) -> float:
    """Lower the frame rate when a frame's own work overruns its period or the client is behind; creep
    back up to the cap when there is room."""
    period = 1.0 / fps
    if dropped or busy > period:
        return max(MIN_FPS, fps * 0.8)
    if busy < 0.5 * period:
        return min(cap, fps * 1.1 + 0.5)
    return min(fps, cap)


# messages that leave a 'step n' in progress running (they only read the session, or change the view)
_BESIDE_STEPPING = (p.Inspect, p.Lecture, p.Export, p.View, p.Present)


def _settled() -> None:
    """Nothing: a call that returns once the session's running call (if any) has finished."""


def _frame_steps(session: Session) -> Generator[None, None, bytes]:
    """The session's encoded frame, as pieces of work (see ``Session.snapshot_steps``)."""
    snap = yield from session.snapshot_steps()
    yield
    return (yield from p.encode_snapshot_steps(snap))  # 512 thumbnails quantized in blocks


def _dataset_message(session: Session) -> tuple[dict[str, Any], str]:
    message = p.dataset(**session.dataset_points())
    return message, p.dumps(message)


def _advance(work: Generator[Any, None, Any], budget_s: float) -> tuple[bool, Any, float]:
    """Run pieces of ``work`` (at least one) until it returns or ``budget_s`` is spent.

    Returns ``(finished, value, cpu)``: ``value`` is what ``work`` returned once finished, else what it
    yielded last (None, or a concurrent Future it waits for: the slice ends there); ``cpu`` is the
    thread CPU time used.
    """
    start, cpu0 = time.perf_counter(), time.thread_time()
    try:
        while True:
            item = next(work)
            if item is not None or time.perf_counter() - start >= budget_s:
                return False, item, time.thread_time() - cpu0
    except StopIteration as done:
        return True, done.value, time.thread_time() - cpu0


def _train_slice(session: Session, steps: int,
                 budget_s: float) -> tuple[int, bytes | Generator[Any, None, bytes] | None, float]:
    """Train up to ``steps`` within the slice; once they are all done (or diverged), the frame: encoded
    if it fit in what was left of the slice, else the generator that goes on making it.

    Also returns the thread CPU time used (the session's own cost, for its frame rate).
    """
    start, cpu0 = time.perf_counter(), time.thread_time()
    done = session.train(steps, budget_s)
    work: bytes | Generator[Any, None, bytes] | None = None
    if done >= steps or session.state == "diverged":
        work = _frame_steps(session)
        left = budget_s - (time.perf_counter() - start)
        if left > 0:
            finished, value, _ = _advance(work, left)
            if finished:
                work = value
    return done, work, time.thread_time() - cpu0


def _error_from(exc: Exception, scene_field: str, config_prefix: str, msg: Any = None) -> dict[str, Any]:
    """The error message for an exception a session method raised on bad input."""
    if isinstance(exc, ValidationError):
        field, message = describe_validation_error(exc)
        return p.error(p.E_INVALID_CONFIG, message, field)
    if isinstance(exc, ConfigError):
        return p.error(p.E_INVALID_CONFIG, f"{exc.field}: {exc.message}", exc.field)
    if isinstance(exc, KeyError):
        return p.error(p.E_UNKNOWN_SCENE, str(exc.args[0]) if exc.args else "unknown scene", scene_field)
    text = str(exc)
    field = None
    if isinstance(msg, p.SetParam):
        index = isinstance(exc, IndexError) or "index" in text
        field = ("layer" if text.startswith("layer") else "index" if index
                 else "value" if "value" in text else "kind")
    elif isinstance(msg, p.View):
        field = "unit"
    elif isinstance(msg, p.Restore):
        field = next((k for k in ("layer", "biases", "unit_params") if text.startswith(k)), "weights")
    elif isinstance(msg, p.Configure):
        field = config_prefix
    elif isinstance(msg, p.Rewind):
        field = "step"
    elif isinstance(msg, p.Lecture):
        field = getattr(exc, "field", "what")  # insight.InsightError names the request field at fault
    elif isinstance(msg, p.Inspect):  # a bad label or target, else the point
        field = "y" if text.startswith("y") or "target" in text else "x"
    return p.error(p.E_INVALID_VALUE, text, field)
