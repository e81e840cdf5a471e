"""Exact linear-region counts of big networks, counted in a separate process.

regioncam holds the GIL while it counts, and a trained 8 x 64 ReLU network (about 21,000 regions) takes
about two seconds: counted on the training thread, that would freeze every other session of the process.
A playing session whose last count took longer than ``SLOW_S`` asks this module instead; it shows its
previous count until the new one arrives. One worker process serves the whole server process, so counting
never takes more than one core. It is spawned (not forked), so it shares no lock with this process's
threads, and only when first needed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from app.engine.network import Network

log = logging.getLogger("mlp_playground.regions")

SLOW_S = 0.05  # a count that took longer than this is done off the training thread next time
# The first count of a network with more hidden units than this goes to the worker at once: a big network
# that has trained a while can have 100,000 regions (15 s); small ones count in milliseconds.
SMALL_UNITS = 64
# What a frame says while the first count of a network is being made (the page shows the note).
COUNTING = {"count": None, "bound": None, "upper": None, "exact": False,
            "note": "counting linear regions\u2026"}

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
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        pool = _pool
    try:
        return pool.submit(_polygons if polygons else _count, net, tuple(box), list(features))
    except RuntimeError:  # the worker died (BrokenProcessPool) or the pool is shut down: start afresh
        with _lock:
            if _pool is pool:
                _pool = None
        raise


def _count(net: Network, box: tuple[float, float], features: list[str]) -> tuple[dict[str, Any], float]:
    from app.engine.regions import region_count

    start = time.monotonic()
    info = region_count(net, box, features)
    return info.to_dict(), time.monotonic() - start


def _polygons(net: Network, box: tuple[float, float], features: list[str]) -> tuple[Any, str | None, float]:
    from app.engine.regions import PolygonsUnavailable, region_polygons

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
