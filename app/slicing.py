"""Sliced work: long computations as generators of bounded pieces, run in the fair pool a slice at a time.

A frame, a ``step n``, an export or a lecture panel may take seconds on a big network. Each is a generator
whose every ``next()`` does a bounded piece of work; a pool call runs pieces until its slice (``budget_s``)
is spent, and the next slice is queued behind the other sessions' calls (app/fairpool.py), so one heavy
request never holds a thread for long. A piece may yield a concurrent Future (work in another process,
e.g. a region count): the slice ends there and the driver waits for it off the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Generator
from typing import Any

from app import costs
from app import protocol as p
from app.fairpool import FairPool, Share
from app.session import Session

Work = Generator[Any, None, Any]


def advance(work: Work, budget_s: float) -> tuple[bool, Any, float]:
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


async def drive(pool: FairPool, share: Share, work: Work, slice_s: float, *, lock: asyncio.Lock | None = None,
                going: Callable[[], bool] = lambda: True) -> tuple[bool, Any, float]:
    """Advance ``work`` one pool call of at most ``slice_s`` at a time until it returns: ``(True, its value,
    CPU seconds used)``. A yielded concurrent Future is waited for off the pool.

    Calls of one session must not overlap in the pool: either the caller holds the session's lock for the
    whole work, or passes it as ``lock``, taken for each slice (the session's other calls run in between).
    ``going()`` is asked before each slice; once it is False the work ends unfinished: ``(False, None, cpu)``.
    """
    cpu = 0.0
    while going():
        async with lock if lock is not None else contextlib.nullcontext():
            finished, value, used = await pool.run(share, advance, work, slice_s)
        cpu += used
        if finished:
            return True, value, cpu
        if value is not None:
            await asyncio.wrap_future(value)
    return False, None, cpu


def frame_steps(session: Session) -> Generator[None, None, bytes]:
    """The session's encoded frame, as pieces of work (see ``Session.snapshot_steps``); its CPU is
    charged by phase when app/costs.py counts."""
    return costs.metered(_frame_steps(session), "maps")


def _frame_steps(session: Session) -> Generator[None, None, bytes]:
    snap = yield from session.snapshot_steps()
    costs.switch("encode")
    yield
    frame = yield from p.encode_snapshot_steps(snap)  # 512 thumbnails quantized in blocks
    costs.frame_made()
    return frame


def train_steps(session: Session, steps: int, budget_s: float | None = None) -> int:
    """``session.train(steps, budget_s)`` with its CPU charged to "train" (app/costs.py)."""
    before = costs.switch("train")
    try:
        return session.train(steps, budget_s)
    finally:
        costs.switch(before)


def train_slice(session: Session, steps: int,
                budget_s: float) -> tuple[int, bytes | Generator[Any, None, bytes] | None, float]:
    """Train up to ``steps`` within the slice; once they are all done (or diverged), the frame: encoded
    if it fit in what was left of the slice, else the generator that goes on making it.

    Returns ``(steps done, frame or its generator or None, thread CPU time used)``: the CPU is the
    session's own cost, for its frame rate.
    """
    start, cpu0 = time.perf_counter(), time.thread_time()
    done = train_steps(session, steps, budget_s)
    work: bytes | Generator[Any, None, bytes] | None = None
    if done >= steps or session.state == "diverged":
        work = frame_steps(session)
        left = budget_s - (time.perf_counter() - start)
        if left > 0:
            finished, value, _ = advance(work, left)
            if finished:
                work = value
    return done, work, time.thread_time() - cpu0


def settled() -> None:
    """Nothing: a pool call that returns once the session's running call (if any) has finished."""
