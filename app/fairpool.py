"""A bounded thread pool that shares its threads fairly between sessions (start-time fair queueing).

A FIFO pool serves work in arrival order, so a session whose calls cost ten times more CPU gets ten times
the CPU: one heavy network slows every light one. Here each caller holds a ``Share``, and the pool runs
next the waiting call whose share has used the least CPU so far, in virtual time:

* the pool's virtual time ``V`` is the start tag of the call it dispatched last;
* a call's start tag is ``max(V, share.finish)``: a share that sat idle gets no credit for the past;
* after the call, ``share.finish = start + cpu`` where ``cpu`` is the thread CPU time it used.

So over any busy stretch, every share that keeps calls waiting gets about the same CPU, however big its
single calls are (a call is never interrupted: a share that runs one 20 ms call then waits until the others
have had 20 ms too). Calls of one share must not overlap (the hub serializes them with the session lock);
calls without a share start at ``V`` and are served among the earliest.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any


class Share:
    """One caller's place in the queue: the virtual time at which its last call finished."""

    __slots__ = ("finish",)

    def __init__(self) -> None:
        self.finish = 0.0


class _Job:
    __slots__ = ("args", "fn", "future", "loop", "share", "start")

    def __init__(self, start: float, share: Share | None, fn: Callable, args: tuple,
                 loop: asyncio.AbstractEventLoop, future: asyncio.Future):
        self.start, self.share, self.fn, self.args = start, share, fn, args
        self.loop, self.future = loop, future


class FairPool:
    """``threads`` worker threads; ``await pool.run(share, fn, *args)`` runs ``fn(*args)`` on one of them.

    ``cost`` measures a call's CPU (thread CPU time by default; tests pass a fake clock).
    """

    def __init__(self, threads: int, name: str = "fair", cost: Callable[[], float] = time.thread_time):
        if threads < 1:
            raise ValueError(f"threads: expected at least 1, got {threads}")
        self.threads, self.name, self.cost = threads, name, cost
        self.vtime = 0.0
        self._heap: list[tuple[float, int, _Job]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._workers: list[threading.Thread] = []
        self._closed = False
        # Outcomes waiting for their loop, per loop. Waking a loop costs a write to its self-pipe (and, under
        # load, a wait to get the GIL back after it); one wake drains every outcome that is waiting.
        self._done: dict[asyncio.AbstractEventLoop, list[tuple]] = {}
        self._done_lock = threading.Lock()

    def run(self, share: Share | None, fn: Callable, *args: Any) -> asyncio.Future:
        """Queue ``fn(*args)``; the returned future (of the running loop) gets its result or exception."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._cv:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            start = self.vtime if share is None else max(self.vtime, share.finish)
            heapq.heappush(self._heap, (start, next(self._seq), _Job(start, share, fn, args, loop, future)))
            if len(self._workers) < self.threads:  # threads start on demand
                worker = threading.Thread(target=self._work, name=f"{self.name}-{len(self._workers)}",
                                          daemon=True)
                self._workers.append(worker)
                worker.start()
            self._cv.notify()
        return future

    def shutdown(self) -> None:
        """Stop taking calls; queued calls are cancelled, running ones finish."""
        with self._cv:
            self._closed = True
            jobs = [job for _, _, job in self._heap]
            self._heap.clear()
            self._cv.notify_all()
        for job in jobs:
            self._hand_back(job, None, None, cancel=True)

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._heap and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                _, _, job = heapq.heappop(self._heap)
                self.vtime = max(self.vtime, job.start)
            if job.future.cancelled():  # its caller gave up while it waited
                continue
            before = self.cost()
            try:
                result, error = job.fn(*job.args), None
            except BaseException as exc:  # handed to the caller, like an executor does
                result, error = None, exc
            if job.share is not None:
                job.share.finish = job.start + max(0.0, self.cost() - before)
            self._hand_back(job, result, error)

    def _hand_back(self, job: _Job, result: Any, error: BaseException | None, cancel: bool = False) -> None:
        """Queue the outcome for the caller's loop, waking the loop only if no wake is on its way."""
        with self._done_lock:
            waiting = self._done.get(job.loop)
            if waiting is not None:  # a wake is on its way and will take this one too
                waiting.append((job, result, error, cancel))
                return
            self._done[job.loop] = [(job, result, error, cancel)]
        try:
            job.loop.call_soon_threadsafe(self._drain, job.loop)
        except RuntimeError:  # a closed loop: nobody waits any more
            with self._done_lock:
                self._done.pop(job.loop, None)

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``: settle every outcome waiting for it."""
        with self._done_lock:
            outcomes = self._done.pop(loop, [])
        for job, result, error, cancel in outcomes:
            if job.future.done():
                continue
            if cancel:
                job.future.cancel()
            elif error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(result)
