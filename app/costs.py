"""Server CPU by phase of a frame, per process: what the load benchmark's per-frame breakdown reads.

Off unless the ``debug_costs`` setting turns it on (``GET /debug/costs`` answers then, app/server.py); off,
every hook returns at once. On, a hook reads its thread's CPU clock (about 0.6 us) and adds to that
thread's own counters, so threads never write the same numbers.

Each thread has a running phase (None: nothing is charged). ``switch(name)`` charges the thread CPU since
the last switch to the running phase and starts ``name``. Work in pieces (a frame generator, resumed a
slice at a time, with other sessions' work on the thread in between) is wrapped in ``metered``: each
piece resumes in the phase the last one ended in, and the pauses are charged to nobody.

``report()`` splits the process's CPU time so that the parts add up to it: the phases, then "event loop"
(the rest of the event-loop thread) and "other" (the rest of every other thread: the pool's bookkeeping,
garbage collection, start-up).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Generator
from typing import Any, TypeVar

# The phases of a frame, in the order a frame goes through them (docs/architecture.md):
PHASES = (
    "train",  # the training steps (the engine)
    "grid",  # the grid pass: output and every hidden unit on the map's points (the engine)
    "maps",  # the maps a frame shows from the grid pass: thumbnails, the unit on view, the regions
    "metrics",  # loss and accuracy over every point
    "params",  # the parameters rounded into the frame header
    "encode",  # quantizing the maps and writing the binary frame
    "send",  # handing the frame to the socket (on the event loop)
)

T = TypeVar("T")

_enabled = False
_loop_thread: int | None = None
_lock = threading.Lock()  # guards _threads (a thread's first charge registers its counters)
_threads: list[_Counters] = []
_local = threading.local()


class _Counters:
    """One thread's seconds per phase, its running phase and when that phase last started."""

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.frames = 0
        self.phase: str | None = None
        self.mark = 0.0


def _counters() -> _Counters:
    c: _Counters | None = getattr(_local, "counters", None)
    if c is None:
        c = _Counters(threading.get_ident())
        _local.counters = c
        with _lock:
            _threads.append(c)
    return c


def enabled() -> bool:
    return _enabled


def start() -> None:
    """Count from now on; the calling thread is the event loop's (call it on the loop)."""
    global _enabled, _loop_thread
    _loop_thread = threading.get_ident()
    _enabled = True


def stop() -> None:
    """Stop counting and forget every count (tests start each from zero)."""
    global _enabled, _loop_thread
    _enabled = False
    _loop_thread = None
    with _lock:
        for c in _threads:
            c.seconds = dict.fromkeys(PHASES, 0.0)
            c.frames = 0
            c.phase = None


def switch(phase: str | None) -> str | None:
    """Charge this thread's CPU since the last switch to the running phase and run ``phase`` from now;
    returns the phase that was running. None stops charging."""
    if not _enabled:
        return None
    now = time.thread_time()
    c = _counters()
    before = c.phase
    if before is not None:
        c.seconds[before] += now - c.mark
    c.phase, c.mark = phase, now
    return before


def frame_made() -> None:
    """One more frame made (encoded) in this process."""
    if _enabled:
        _counters().frames += 1


def metered(work: Generator[Any, None, T], phase: str) -> Generator[Any, None, T]:
    """``work`` (a generator of pieces) with its CPU charged: to ``phase`` until a piece switches to
    another, each piece resuming in the phase the one before ended in; nothing between pieces. Off, it
    is ``work`` itself."""
    if not _enabled:
        return work
    return _metered(work, phase)


def _metered(work: Generator[Any, None, T], phase: str) -> Generator[Any, None, T]:
    running: str | None = phase
    while True:
        outer = switch(running)  # whatever ran around this piece (a caller's phase) resumes after it
        try:
            item = next(work)
        except StopIteration as done:
            switch(outer)
            return done.value
        running = switch(outer)
        yield item


async def sending(send: Awaitable[T]) -> T:
    """Await ``send`` (a frame handed to the socket, on the event loop) with its CPU charged to "send".
    A send that had to wait for a slow client ran other tasks meanwhile: it is charged to nobody (the
    event loop's rest holds it)."""
    if not _enabled:
        return await send
    waited = [False]
    asyncio.get_running_loop().call_soon(waited.__setitem__, 0, True)  # runs only if the send yields
    start = time.thread_time()
    result = await send
    if not waited[0]:  # nothing else ran on this thread meanwhile: all of it was the send's
        _counters().seconds["send"] += time.thread_time() - start
    return result


def report() -> dict[str, Any]:
    """CPU seconds of this process since it started, split into the phases, "event loop" and "other"
    (they add up to ``cpu_s``); frames made; the event loop's kind. Call it on the event loop."""
    cpu = time.process_time()
    loop_cpu = time.thread_time() if threading.get_ident() == _loop_thread else 0.0
    phases = dict.fromkeys(PHASES, 0.0)
    on_loop = off_loop = 0.0
    frames = 0
    with _lock:
        threads = list(_threads)
    for c in threads:
        frames += c.frames
        for name, s in c.seconds.items():
            phases[name] += s
            if c.ident == _loop_thread:
                on_loop += s
            else:
                off_loop += s
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # called off a loop (tests)
        loop = None
    return {"enabled": _enabled, "pid": os.getpid(), "cpu_s": cpu,
            "phases_s": {**phases, "event loop": loop_cpu - on_loop, "other": cpu - loop_cpu - off_loop},
            "frames_made": frames,
            "event_loop": type(loop).__module__.split(".")[0] if loop is not None else None}
