"""Exact linear-region counts of big networks, counted in a separate process.

regioncam holds the GIL while it counts, and a trained 8 x 64 ReLU network (about 21,000 regions) takes
about two seconds: counted on the training thread, that would freeze every other session of the process.
A playing session whose last count took longer than ``SLOW_S`` asks this module instead; it shows its
previous count until the new one arrives. One worker process serves the whole server process, so counting
never takes more than one core. It is spawned (not forked), so it shares no lock with this process's
threads, and only when first needed.

Memory: regioncam holds ~16 kB per cell of a deep network (a trained 8 x 64 ReLU net with 153,000 regions
peaked at 2.7 GB). Counts stop past ``BUDGET`` regions ("more than N"), which keeps the worker to a few
hundred MB; ``MEMORY_LIMIT`` caps its data segment as a backstop (regioncam aborts the worker past it,
and the count reports that instead of retrying).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from app.engine.network import Network
from app.engine.regions import PolygonsUnavailable, region_count, region_polygons

log = logging.getLogger("mlp_playground.regions")

SLOW_S = 0.05  # a count that took longer than this is done off the training thread next time
# The first count of a network with more hidden units than this goes to the worker at once: a big network
# that has trained a while can have 100,000 regions (15 s); small ones count in milliseconds.
SMALL_UNITS = 64
# What a frame says while the first count of a network is being made (the page shows the note).
COUNTING = {"count": None, "bound": None, "upper": None, "exact": False,
            "note": "counting linear regions\u2026"}
BUDGET = 20_000  # regions an exact count goes up to; past it the count says "more than BUDGET"
WORKER_NICE = 10  # the worker's niceness above the server's
MEMORY_LIMIT = 1536 * 2**20  # bytes of data segment (heap and anonymous maps) the worker may hold
# What a count reports when the worker ran out of memory anyway (it is not tried again for that network).
TOO_MANY = {"count": None, "bound": None, "upper": None, "exact": False,
            "note": f"too many linear regions to count within the worker's memory bound "
                    f"({MEMORY_LIMIT >> 20} MB)"}

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def small(net: Network) -> bool:
    """Whether ``net`` is small enough for its first count to be made at once, on the training thread."""
    return sum(net.sizes[1:-1]) <= SMALL_UNITS


def submit(net: Network, box: tuple[float, float], features: list[str], polygons: bool = False) -> Future:
    """Count ``net``'s regions in the worker process; the future gives ``(RegionInfo.to_dict(), seconds)``.
    With ``polygons``, make its exact region polygons instead: ``(RegionPolygons or None, why not or None,
    seconds)``.

    ``net`` is pickled at the call: later training does not change what is counted.
    """
    # the two jobs take different arguments: the pool sees one callable and its argument tuple
    job: Callable[..., Any] = _polygons if polygons else _count
    args: tuple[Any, ...] = () if polygons else (BUDGET,)
    pool = _worker()
    try:
        return pool.submit(job, net, tuple(box), list(features), *args)
    except RuntimeError:  # the worker died (BrokenProcessPool) or the pool is shut down: once afresh
        _discard(pool)
        return _worker().submit(job, net, tuple(box), list(features), *args)


def _worker() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_limit_memory, initargs=(MEMORY_LIMIT,))
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None


def _limit_memory(limit: int) -> None:
    """In the worker: cap its data segment at ``limit`` bytes (no-op where the platform has no rlimits),
    and lower its CPU priority: a count runs for seconds on a core the server's sessions also need, and
    the frames of every session matter more than one session's count arriving sooner."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(WORKER_NICE)
    try:
        import resource  # POSIX only: the ImportError below is the platform without rlimits

        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX, or not allowed
        log.warning("could not limit the region-count worker's memory")


def _count(net: Network, box: tuple[float, float], features: list[str],
           budget: int) -> tuple[dict[str, Any], float]:
    start = time.monotonic()
    info = region_count(net, box, features, budget=budget)
    return info.to_dict(), time.monotonic() - start


def _polygons(net: Network, box: tuple[float, float], features: list[str]) -> tuple[Any, str | None, float]:
    start = time.monotonic()
    try:
        return region_polygons(net, box, features), None, time.monotonic() - start
    except PolygonsUnavailable as exc:
        return None, str(exc), time.monotonic() - start


def shutdown() -> None:
    """Stop the worker process (a count in progress is abandoned)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        # A count in progress can take seconds: the worker is ended, not waited for. Once it is gone, the
        # multiprocessing resource tracker (which it shares with this process) ends with this process.
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in workers:
            with contextlib.suppress(Exception):
                proc.terminate()
