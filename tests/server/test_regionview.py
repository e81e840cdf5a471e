"""The region state behind frames (app/regionview.py): when a count is made, reused, or asked of the worker
process, what a worker's answer or death does, and when exact polygons are held back. The worker is
replaced by futures set here, and the clock by a number."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from types import SimpleNamespace

import numpy as np
import pytest

from app import regioncount, regionview
from app.engine import Network
from app.engine.grid import GridEvaluator
from app.engine.regions import RegionTracker, region_map
from app.regionview import Count, Job, PolygonMaker, Polygons, RegionCounter, RegionView

BOX = (-2.0, 2.0)
FEATURES = ["x1", "x2"]


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(regionview, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


@pytest.fixture
def counted(monkeypatch):
    """Every count made on this thread, by key order: a stand-in count of 5 + the calls so far."""
    calls: list[int] = []

    def region_count(net, box, features, budget=None):
        calls.append(len(calls))
        return SimpleNamespace(to_dict=lambda: {"count": 5 + len(calls)})

    monkeypatch.setattr(regionview, "region_count", region_count)
    return calls


@pytest.fixture
def submitted(monkeypatch):
    """Jobs handed to the worker process: (polygons?, the pending future)."""
    jobs: list[tuple[bool, Future]] = []

    def submit(net, box, features, polygons=False):
        jobs.append((polygons, Future()))
        return jobs[-1][1]

    monkeypatch.setattr(regioncount, "submit", submit)
    return jobs


def small_net() -> Network:
    return Network([2, 4, 1], activation="relu", rng=np.random.default_rng(0))


def test_a_playing_networks_count_is_kept_until_it_is_due_and_a_paused_one_is_counted_at_once(clock, counted):
    net, counter = small_net(), RegionCounter()
    assert counter.regions(net, (1, 0), BOX, FEATURES, playing=True) == {"count": 6}
    assert counter.last == Count(key=(1, 0), at=100.0, regions={"count": 6}, seconds=0.0)
    clock[0] += regionview.REGION_COUNT_EVERY / 2
    assert counter.regions(net, (2, 0), BOX, FEATURES, playing=True) == {"count": 6}  # not due: the last
    clock[0] += regionview.REGION_COUNT_EVERY
    assert counter.regions(net, (3, 0), BOX, FEATURES, playing=True) == {"count": 7}
    assert counter.regions(net, (4, 0), BOX, FEATURES, playing=False) == {"count": 8}  # paused: at once
    assert counter.regions(net, (4, 0), BOX, FEATURES, playing=False) == {"count": 8}  # the same network
    assert len(counted) == 3


def test_a_count_that_was_slow_goes_to_the_worker_and_frames_show_the_last_one_meanwhile(clock, counted,
                                                                                          submitted):
    net = small_net()
    counter = RegionCounter(last=Count((1, 0), 0.0, {"count": 4}, seconds=regioncount.SLOW_S * 2))
    assert counter.regions(net, (2, 0), BOX, FEATURES, playing=False) == {"count": 4}
    assert counted == [] and len(submitted) == 1 and counter.job == Job((2, 0), submitted[0][1])
    assert RegionView(counter=counter).pending() is submitted[0][1]
    submitted[0][1].set_result(({"count": 9}, 0.01))
    assert counter.regions(net, (2, 0), BOX, FEATURES, playing=False) == {"count": 9}
    assert counter.last == Count((2, 0), 100.0, {"count": 9}, 0.01) and counter.job is None


def test_a_first_count_of_a_big_network_goes_to_the_worker_and_frames_say_counting(clock, counted, submitted):
    big = Network([2, regioncount.SMALL_UNITS + 1, 1], activation="relu")
    counter = RegionCounter()
    assert counter.regions(big, (0, 0), BOX, FEATURES, playing=True) == regioncount.COUNTING
    assert counted == [] and len(submitted) == 1


def test_a_worker_that_dies_counting_reports_too_many_and_is_not_asked_again_for_that_network(clock,
                                                                                             counted,
                                                                                             submitted):
    dead: Future = Future()
    dead.set_exception(BrokenProcessPool("killed past its memory bound"))
    counter = RegionCounter(job=Job((3, 0), dead))
    assert counter.regions(small_net(), (3, 0), BOX, FEATURES, playing=False) == regioncount.TOO_MANY
    assert counter.job is None and counted == [] and submitted == []


def test_a_worker_that_fails_otherwise_is_replaced_by_a_count_here(clock, counted, submitted):
    failed: Future = Future()
    failed.set_exception(RuntimeError("regioncam raised"))
    counter = RegionCounter(job=Job((3, 0), failed))
    assert counter.regions(small_net(), (3, 0), BOX, FEATURES, playing=False) == {"count": 6}
    assert len(counted) == 1 and submitted == []


def test_slow_polygons_are_held_back_while_playing_and_asked_of_the_worker_when_paused(clock, submitted):
    net, made = small_net(), object()  # the maker hands the worker's polygons on without reading them
    maker = PolygonMaker(last=Polygons((1, 0), None, "slow", seconds=regionview.POLYGONS_SLOW_S * 2))
    polygons, why, held = maker.polygons(net, (2, 0), BOX, FEATURES, playing=True)
    assert (polygons, held, submitted) == (None, True, []) and "paused" in why
    assert maker.polygons(net, (2, 0), BOX, FEATURES, playing=False) == (
        None, "making the exact polygons\u2026", False)
    assert [polygons for polygons, _ in submitted] == [True]
    assert maker.polygons(net, (2, 0), BOX, FEATURES, playing=False)[0] is None  # asked once, not again
    assert len(submitted) == 1
    submitted[0][1].set_result((made, None, 0.3))
    assert maker.polygons(net, (2, 0), BOX, FEATURES, playing=False) == (made, None, False)
    assert maker.last == Polygons((2, 0), made, None, 0.3)


def test_a_smooth_network_has_a_count_and_nothing_to_draw():
    net = Network([2, 3, 1], activation="tanh")
    view = RegionView()
    steps = view.steps(net, 0, BOX, FEATURES, playing=False, grid=GridEvaluator(BOX, 8, FEATURES))
    with pytest.raises(StopIteration) as done:
        next(steps)
    regions = done.value.value
    assert regions.count["count"] is None and regions.drawn is None
    assert regions.region_map is None and regions.polygons is None and view.tracker is None


def test_without_polygons_the_grid_map_is_drawn_with_the_trackers_numbering(monkeypatch, clock, counted):
    def no_polygons(*args, **kwargs):
        raise regionview.PolygonsUnavailable("not here")

    monkeypatch.setattr(regionview, "region_polygons", no_polygons)
    net, grid = small_net(), GridEvaluator(BOX, 12, FEATURES)
    view = RegionView()
    steps = view.steps(net, 0, BOX, FEATURES, playing=False, grid=grid)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            regions = done.value
            break
    assert regions.drawn == "grid map: not here" and regions.polygons is None
    assert np.array_equal(regions.region_map, region_map(net, grid, RegionTracker()))
