"""A session's background work: the play loop that trains and streams, ``step n``, and lecture panels.

Each runs as a task of the hub (one runner per playing session with a viewer, at most one 'step n', one task
per lecture panel), in time slices in the fair pool (app/slicing.py) under the session's lock, so other
sessions train in between and the session's own control messages get their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from app import delivery, slicing
from app import lecture as lecture_panels
from app import protocol as p
from app.errors import BAD_INPUT, error_for

if TYPE_CHECKING:  # the hub starts these tasks: importing it back at run time would be a cycle
    from app.hub import Hub, Live

log = logging.getLogger("mlp_playground.hub")

MIN_FPS = 2.0
STEP_PROGRESS_S = 0.25  # a long 'step n' shows a frame this often while it trains


async def play(hub: Hub, live: Live) -> None:
    """Train and stream while the session plays and has a viewer; one runner per session."""
    loop = asyncio.get_running_loop()
    s = live.session
    slice_s = hub.settings.slice_ms / 1000.0
    next_at = loop.time()
    busy = 0.0
    last = None  # when the previous frame went out: the interval tells the overload policy (app/overload.py)
    try:
        while s.playing and live.conn is not None and not hub.closing:
            remaining = s.config.steps_per_frame
            frame = None
            cost = 0.0
            # under overload, coarser maps (app/overload.py); not a presenter's (its connection has the
            # room's tap): one picture the whole room watches, on the projector too
            presenting = live.conn is not None and live.conn.tap is not None
            s.frames.reduce = None if presenting else hub.overload.reduction(s.config.grid,
                                                                             s.config.thumbnail)
            while frame is None and s.playing:
                # one pool call trains a time slice and, once the frame's steps are done, starts the
                # frame in what is left of it: a small network's whole frame is one call. A big
                # network's frame goes on in further slices, the session's lock held until it is done.
                async with live.lock:
                    done, work, cpu = await hub.pool.run(live.share, slicing.train_slice, s, remaining,
                                                          slice_s)
                    if work is not None and not isinstance(work, bytes):
                        _, work, more = await slicing.drive(hub.pool, live.share, work, slice_s)
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
            now = loop.time()
            if last is not None:
                hub.overload.frame(now - last, live.fps)
            last = now
            if s.state == "diverged":
                if conn is not None:
                    conn.send(p.state("diverged", s.step_count,
                                      f"loss or weights became NaN or infinite at step "
                                      f"{s.trainer.diverged_at}"))
                break
            busy = 0.8 * busy + 0.2 * cost  # smoothed: one slow frame is no trend
            live.fps = adapt_fps(live.fps, s.config.max_fps, busy, dropped)
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


def adapt_fps(fps: float, cap: float, busy: float, dropped: bool) -> float:
    """Lower the frame rate when a frame's own work overruns its period or the client is behind; creep
    back up to the cap when there is room."""
    period = 1.0 / fps
    if dropped or busy > period:
        return max(MIN_FPS, fps * 0.8)
    if busy < 0.5 * period:
        return min(cap, fps * 1.1 + 0.5)
    return min(fps, cap)


def start_stepping(hub: Hub, live: Live, n: int) -> None:
    """Begin ``step n`` in the background (``step``)."""
    live.stop_stepping = False
    live.stepper = asyncio.create_task(step(hub, live, n))


async def step(hub: Hub, live: Live, n: int) -> None:
    """``step n``: train in slices, each one pool call, so other sessions run in between, with a
    progress frame every ``STEP_PROGRESS_S``; the frame and state once done. The next message that
    changes the session ends it early (``stop_stepping``)."""
    loop = asyncio.get_running_loop()
    s = live.session
    slice_s = hub.settings.slice_ms / 1000.0
    shown = loop.time()
    first = True  # a step asked for trains at least its first slice, even if the next message came at once
    try:
        while n > 0 and (first or not live.stop_stepping) and not s.trainer.diverged \
                and live.conn is not None and not hub.closing:
            first = False
            n -= await hub.call(live, slicing.train_steps, s, n, slice_s)
            if n > 0 and loop.time() - shown >= STEP_PROGRESS_S and live.conn is not None:
                await delivery.send_frame(hub, live)
                shown = loop.time()
        if live.conn is not None and not hub.closing:
            await delivery.send_frame(hub, live)
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


async def stop_stepping(live: Live) -> None:
    """End a 'step n' in progress after its current slice (it sends the frame and state it reached)."""
    task = live.stepper
    if task is None:
        return
    live.stop_stepping = True
    with contextlib.suppress(Exception):
        await task


async def start_lecture(hub: Hub, live: Live, msg: p.Lecture) -> None:
    """Compute a lecture panel in slices, in the background: the answer arrives when it is done (a
    big network's saturation curves train 600 full-batch steps). A newer request for the same panel
    ends the older one after its current slice; other panels go on."""
    old = live.lectures.get(msg.what)
    if old is not None:
        old[1][0] = True
        with contextlib.suppress(Exception):
            await old[0]
    stop = [False]
    task = asyncio.create_task(lecture(hub, live, msg, stop))
    live.lectures[msg.what] = (task, stop)


async def lecture(hub: Hub, live: Live, msg: p.Lecture, stop: list[bool]) -> None:
    """One lecture panel, slice by slice under the session's lock, until done or ``stop[0]`` is set."""
    s = live.session
    try:
        work = lecture_panels.compute_steps(s, msg.what, **msg.panel_args())
        # the session's lock for one slice at a time: its training and frames go on between
        finished, data, _ = await slicing.drive(
            hub.pool, live.share, work, hub.settings.slice_ms / 1000.0, lock=live.lock,
            going=lambda: not stop[0] and live.conn is not None and not hub.closing)
        if finished and data is not None and live.conn is not None:
            live.conn.send(p.lecture(msg.what, data))
    except asyncio.CancelledError:
        raise
    except BAD_INPUT as exc:
        if live.conn is not None:
            live.conn.send(error_for(exc, "what", type(msg).model_fields))
    except Exception:
        log.exception("session %s failed on lecture %s", live.id, msg.what)
        if live.conn is not None:
            live.conn.send(p.error(p.E_INTERNAL, "the server could not compute that panel"))
    finally:
        if live.lectures.get(msg.what, (None,))[0] is asyncio.current_task():
            del live.lectures[msg.what]

