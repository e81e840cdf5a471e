"""The linear regions a frame shows: the exact count, and the exact polygons or else the grid region map.

Counts and polygons of big networks are made in the region worker process (app/regioncount.py); frames
show the last count (or "counting") until the new one arrives. A ``RegionView`` belongs to one network of
one session: a rebuilt network gets a fresh one, so nothing of the old network is drawn over the new.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Generator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app import regioncount
from app.engine.grid import GridEvaluator
from app.engine.network import Network
from app.engine.regions import (
    PolygonsUnavailable,
    RegionPolygons,
    RegionTracker,
    activation_patterns,
    region_count,
    region_polygons,
)

log = logging.getLogger("mlp_playground.session")

REGION_COUNT_EVERY = 0.25  # seconds: an exact count costs more than a frame, and changes slowly
# Exact region polygons that took longer than this are made in the worker process next time, and only
# while paused (app/regioncount.py); a playing network that big is drawn with the grid map.
POLYGONS_SLOW_S = 0.05
REGION_MAP_ROWS = 1000  # grid points per piece of a region map: ~10 ms behind 8 layers of 64 units

# Which network a count or polygons are of: (step count, hash of the flat parameters).
Key = tuple[int, int]


@dataclass(frozen=True)
class Count:
    """One exact count: of which network, when it was made (``time.monotonic``), the frame's ``regions``
    entry (``{count, bound, upper, exact, note}``) and the seconds it took."""

    key: Key
    at: float
    regions: dict[str, Any]
    seconds: float


@dataclass(frozen=True)
class Polygons:
    """One network's exact polygons, or None and why not, and the seconds making them took."""

    key: Key
    polygons: RegionPolygons | None
    why: str | None
    seconds: float


@dataclass(frozen=True)
class Job:
    """Work for network ``key`` in the region worker process."""

    key: Key
    future: Future[Any]


@dataclass(frozen=True)
class Regions:
    """What one frame shows of the regions: the count, which drawing (``"polygons"``, ``"grid map: why"``
    or None for a smooth network) and that drawing: a ``(G, G)`` uint16 map of region ids, or the polygons
    with a region id per cell (``(F,)`` uint16, the same numbering as the map would have)."""

    count: dict[str, Any]
    drawn: str | None = None
    region_map: np.ndarray | None = None
    polygons: tuple[RegionPolygons, np.ndarray] | None = None
    held: bool = False  # drawn with the grid map only because the (big) network is playing


@dataclass
class RegionCounter:
    """The region counter's state: the last count and the count being made in the worker, if any."""

    last: Count | None = None
    job: Job | None = None

    def regions(self, net: Network, key: Key, box: tuple[float, float], features: list[str],
                playing: bool) -> dict[str, Any]:
        """The count to show for ``net``: made now, or the last one while a new one is being made."""
        now = time.monotonic()
        job = self.job
        if job is not None and job.future.done():  # a count from the worker process has arrived
            self.job = None
            try:
                counted, cost = job.future.result()
                self.last = Count(job.key, now, counted, cost)
            except BrokenProcessPool:  # the worker died: past its memory bound; not counted here either
                log.warning("the region-count worker died counting a %s network", net.sizes)
                self.last = Count(job.key, now, regioncount.TOO_MANY, REGION_COUNT_EVERY)
            except Exception:  # the worker failed: count here, as for a small network
                log.exception("region count in the worker process failed")
                self.last = None
        last = self.last
        # while playing, an exact count (which may take longer than a frame) is refreshed only every
        # REGION_COUNT_EVERY seconds, or four times its own cost, whichever is longer. A count that was
        # slow last time, or the first count of a big network, goes to the worker process: the frames
        # show the last count (or "counting") until it arrives.
        due = last is None or not playing or now - last.at >= max(REGION_COUNT_EVERY, 4 * last.seconds)
        if (last is None or key != last.key) and self.job is None and due:
            slow = last.seconds >= regioncount.SLOW_S if last is not None else not regioncount.small(net)
            if slow and net.piecewise_linear:
                try:
                    self.job = Job(key, regioncount.submit(net, box, features))
                except RuntimeError:
                    log.warning("region count worker unavailable; counting on the training thread")
            if self.job is None:
                info = region_count(net, box, features, budget=regioncount.BUDGET)
                self.last = Count(key, now, info.to_dict(), time.monotonic() - now)
        return self.last.regions if self.last is not None else regioncount.COUNTING


@dataclass
class PolygonMaker:
    """The exact polygons of the last network drawn and those being made in the worker, if any."""

    last: Polygons | None = None
    job: Job | None = None

    def polygons(self, net: Network, key: Key, box: tuple[float, float], features: list[str],
                 playing: bool) -> tuple[RegionPolygons | None, str | None, bool]:
        """``net``'s exact polygons or None and why not (the frame then carries the grid map), and whether
        they are held back only because the network is playing.

        Small networks get them on this thread every frame. One whose polygons took longer than
        ``POLYGONS_SLOW_S`` last time (or a big one, at first) gets them from the worker process, and
        only while paused: polygons of a network that has trained on since would be drawn over a newer map.
        """
        last = self.last
        if last is not None and last.key == key:  # the same network as the last frame (paused)
            return last.polygons, last.why, False
        job = self.job
        if job is not None and job.future.done():
            self.job = None
            try:
                self.last = Polygons(job.key, *job.future.result())
            except Exception:  # the worker failed: try again there, on the next paused frame
                log.exception("region polygons in the worker process failed")
                self.last = Polygons(job.key, None, "the polygons could not be made", math.inf)
            last = self.last
            if last.key == key:
                return last.polygons, last.why, False
        slow = last.seconds >= POLYGONS_SLOW_S if last is not None else not regioncount.small(net)
        if not slow:
            start = time.monotonic()
            made: RegionPolygons | None
            try:
                made, why = region_polygons(net, box, features), None
            except PolygonsUnavailable as exc:
                made, why = None, str(exc)
            self.last = Polygons(key, made, why, time.monotonic() - start)
            return made, why, False
        if playing:
            return None, "the exact polygons of a network this big are drawn when it is paused", True
        if self.job is None:
            try:
                self.job = Job(key, regioncount.submit(net, box, features, polygons=True))
            except RuntimeError:
                return None, "the region worker is unavailable", False
        return None, "making the exact polygons\u2026", False


@dataclass
class RegionView:
    """One network's region state across frames: counter, polygon maker and the tracker that keeps a
    region's id (and so its colour) from frame to frame."""

    counter: RegionCounter = field(default_factory=RegionCounter)
    maker: PolygonMaker = field(default_factory=PolygonMaker)
    tracker: RegionTracker | None = None  # made at the first drawing; a new grid starts a new numbering

    def steps(self, net: Network, step: int, box: tuple[float, float], features: list[str], playing: bool,
              grid: GridEvaluator) -> Generator[None, None, Regions]:
        """The regions of ``net`` at step ``step``, in pieces (the grid map a chunk of points a piece)."""
        key = (step, hash(net.flat.tobytes()))
        count = self.counter.regions(net, key, box, features, playing)
        if not net.piecewise_linear:
            return Regions(count)
        if self.tracker is None:
            self.tracker = RegionTracker()
        polygons, why, held = self.maker.polygons(net, key, box, features, playing)
        if polygons is not None:
            return Regions(count, "polygons", polygons=(polygons, self.tracker.ids(polygons.patterns)))
        yield
        ids = yield from region_map_steps(net, grid, self.tracker)
        if ids.ndim == 1:
            ids = np.broadcast_to(ids.reshape(1, -1), (grid.size, grid.size))
        return Regions(count, f"grid map: {why}", region_map=ids, held=held)

    def pending(self) -> Future[Any] | None:
        """The count, else the polygons, being made in the worker process for a coming frame, if any."""
        job = self.counter.job or self.maker.job
        return job.future if job is not None else None


def region_map_steps(net: Network, grid: GridEvaluator,
                     tracker: RegionTracker) -> Generator[None, None, np.ndarray]:
    """``region_map(net, grid, tracker)`` in pieces: the activation patterns (a float64 pass of the whole
    network, ~0.3 s on a 200 x 200 grid behind 8 x 64 units) a chunk of points at a time."""
    X = grid.inputs
    parts = []
    for start in range(0, X.shape[0], REGION_MAP_ROWS):
        parts.append(activation_patterns(net, X[start:start + REGION_MAP_ROWS]))
        yield
    return tracker.ids(np.concatenate(parts)).reshape(grid.shape)
