"""Slow exact region counts go to a worker process; the frames meanwhile show the last count."""

from __future__ import annotations

import asyncio
import copy
import os
from pathlib import Path

import numpy as np
import pytest

from app import protocol as p
from app import regioncount, regionview
from app.config import SessionConfig
from app.connection import Connection
from app.engine import Network
from app.engine.regions import region_count
from app.hub import Hub, Live
from app.session import Session
from app.settings import Settings

from .test_hub import FakeWS


@pytest.fixture(scope="module", autouse=True)
def stop_worker():
    yield
    regioncount.shutdown()


def test_the_worker_process_counts_what_the_engine_counts_in_process():
    net = Network([2, 12, 12, 1], activation="relu", output="sigmoid", init="he", seed=4)
    regions, seconds = regioncount.submit(net, (-6.0, 6.0), ["x1", "x2"]).result(timeout=120)
    assert regions == region_count(net, (-6.0, 6.0), ["x1", "x2"]).to_dict() and seconds >= 0


def test_training_after_the_call_does_not_change_what_is_counted():
    net = Network([2, 12, 12, 1], activation="relu", output="sigmoid", init="he", seed=5)
    before = copy.deepcopy(net)
    future = regioncount.submit(net, (-6.0, 6.0), ["x1", "x2"])
    net.weights[0][...] *= -3.0
    assert future.result(timeout=120)[0] == region_count(before).to_dict()


def test_a_slow_count_of_a_playing_session_arrives_later_and_frames_show_the_last_one_meanwhile(monkeypatch):
    monkeypatch.setattr(regioncount, "SLOW_S", 0.0)  # every count is "slow": after the first, off-thread
    monkeypatch.setattr(regionview, "REGION_COUNT_EVERY", 0.0)
    s = Session(scene="spiral-deep")
    s.set_view(regions=True)
    s.playing = True
    first = s.snapshot().regions  # no count yet: counted here, at once
    assert first == region_count(s.network, s.data.box, s.config.features).to_dict()

    s.train(20)
    at_submit = copy.deepcopy(s.network)
    meanwhile = s.snapshot().regions
    assert meanwhile == first and s.frames.regions.counter.job is not None  # the last count meanwhile
    s.frames.regions.counter.job.future.result(timeout=120)
    s.train(5)  # the frame that picks the count up belongs to a later step
    arrived = s.snapshot().regions
    assert arrived == region_count(at_submit, s.data.box, s.config.features).to_dict()


def test_a_small_network_is_counted_at_once_and_a_big_one_first_shows_counting():
    small = Session(scene="spiral-deep")  # 4 x 16 units
    small.set_view(regions=True)
    assert small.snapshot().regions["count"] is not None and small.region_count_pending() is None

    big = Session(config=SessionConfig(hidden=[64, 64], activation="relu"))
    big.set_view(regions=True)
    header = big.snapshot().regions
    assert header == regioncount.COUNTING and big.region_count_pending() is not None
    big.region_count_pending().result(timeout=120)
    assert big.snapshot().regions == region_count(big.network, big.data.box, ["x1", "x2"]).to_dict()


def test_a_paused_session_whose_count_was_slow_gets_a_frame_when_its_new_count_arrives(monkeypatch):
    monkeypatch.setattr(regioncount, "SLOW_S", 0.0)  # the first count (small net) is made at once, then slow

    async def go():
        hub = Hub(Settings())
        live = Live(id="s1", token="t1", session=Session(scene="spiral-deep"))
        live.session.playing = False  # the scene starts playing
        hub.sessions[live.id] = live
        ws = FakeWS()
        conn = Connection(ws)
        conn.start()
        await hub.attach(live, conn)
        live.session.set_view(regions=True)
        await hub.send_frame(live)  # the first count, made at once
        live.session.set_param("bias", 0, 0, 2.5)
        await hub.send_frame(live)  # shows the last count while the worker counts the edited network
        assert live.count_waiter is not None
        await asyncio.wait_for(live.count_waiter, 120)
        for _ in range(200):  # the follow-up frame goes through the connection's sender task
            frames = [m for m in ws.sent if isinstance(m, bytes)]
            if len(frames) >= 3:
                break
            await asyncio.sleep(0.01)
        headers = [p.decode_frame(f)[0]["regions"] for f in frames]
        edited = region_count(live.session.network, live.session.data.box, ["x1", "x2"]).to_dict()
        await hub.shutdown()
        return headers, edited

    headers, edited = asyncio.run(go())
    assert len(headers) == 3 and headers[1] == headers[0] and headers[2] == edited != headers[0]


def many_regions_net() -> Network:
    """4 x 64 ReLU units with spread biases: about 24,000 regions in the default box."""
    net = Network([2, 64, 64, 64, 64, 1], activation="relu", output="sigmoid", init="he", seed=3)
    rng = np.random.default_rng(0)
    for b in net.biases[:-1]:
        b[...] = rng.normal(0.0, 2.0, b.shape)
    net.weights[0][...] *= 3.0
    return net


def test_an_exact_count_past_the_budget_reports_more_than_the_budget():
    net = Network([2, 32, 32, 1], activation="relu", output="sigmoid", init="he", seed=2)
    net.biases[0][...] = np.linspace(-4.0, 4.0, 32)  # lines across the whole box: hundreds of regions
    full = region_count(net, (-6.0, 6.0))
    assert full.exact and full.count > 300
    over = region_count(net, (-6.0, 6.0), budget=300)
    assert over.to_dict() | {"note": None} == {"count": 300, "bound": full.bound, "upper": full.upper,
                                                 "exact": False, "note": None}
    assert over.note.startswith("more than 300 regions")
    assert region_count(net, (-6.0, 6.0), budget=full.count) == full  # at the budget: still exact


def test_the_worker_stops_at_its_region_budget_and_its_memory_stays_bounded(monkeypatch):
    regioncount.shutdown()  # a fresh worker: its peak memory is this count's alone
    monkeypatch.setattr(regioncount, "BUDGET", 2000)
    regions, _ = regioncount.submit(many_regions_net(), (-6.0, 6.0), ["x1", "x2"]).result(timeout=300)
    (pid,) = regioncount._pool._processes
    peak_mb = int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("VmHWM:"))) / 1024
    assert regions["count"] == 2000 and not regions["exact"] and "more than 2000" in regions["note"]
    # counted in full, this network's ~24,000 regions take ~340 MB; stopped at 2,000, well under 200 MB
    assert peak_mb < 200, peak_mb


def test_the_worker_runs_at_a_lower_cpu_priority_than_the_server():
    net = Network([2, 4, 1], activation="relu", output="sigmoid", seed=1)
    regioncount.submit(net, (-6.0, 6.0), ["x1", "x2"]).result(timeout=120)
    (pid,) = regioncount._pool._processes
    assert os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + 1
