"""Bounded work (issue 11, items 1 and 8): whatever a client asks for runs in slices of the fair pool that
other sessions' work interleaves with, and nothing big is built on the event loop.

Slices are counted (pool calls, steps reached when another session is served), never timed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading

import numpy as np
import pytest

from app import lecture
from app import protocol as p
from app.config import SessionConfig
from app.connection import Connection
from app.hub import Hub, Live
from app.session import Session
from app.settings import Settings

from .test_hub import FakeWS

# ~1 ms a step: a 'step n=300' takes many 1 ms slices, and still finishes quickly in a test
MEDIUM = {"hidden": [32, 32, 32], "activation": "relu", "points": 400, "train_ratio": 1.0, "batch_size": 400}


def attach(hub: Hub, name: str, config: dict) -> tuple[Live, FakeWS]:
    live = Live(id=name, token=f"t-{name}", session=Session(SessionConfig(**config)))
    hub.sessions[live.id] = live
    ws = FakeWS()
    conn = Connection(ws)
    conn.start()
    live.conn = conn
    return live, ws


def record_calls(hub: Hub) -> list[tuple[str, int]]:
    """Every pool call as it runs: ``(session id, step count of session "a" at that moment)``."""
    log: list[tuple[str, int]] = []
    real = hub._pool.run
    owners = {}

    def run(share, fn, *args):
        def traced(*a):
            log.append((owners.get(id(share), "-"), hub.sessions["a"].session.step_count))
            return fn(*a)
        return real(share, traced, *args)

    hub._pool.run = run
    hub.owners = owners
    return log


LIGHT = {"hidden": [4], "points": 40}


def heavy_and_light(hub: Hub, heavy: dict) -> tuple[Live, FakeWS, Live, list[tuple[str, int]]]:
    """Session "a" with the ``heavy`` config beside a light session "b", every pool call recorded."""
    a, ws_a = attach(hub, "a", heavy)
    b, _ = attach(hub, "b", LIGHT)
    log = record_calls(hub)
    hub.owners.update({id(a.share): "a", id(b.share): "b"})
    return a, ws_a, b, log


async def frames_of(hub: Hub, live: Live, count: int) -> None:
    """The light session's own work meanwhile: ``count`` frames one after the other."""
    for _ in range(count):
        await hub.send_frame(live)


async def settle(ws: FakeWS, kind: str, state_step: int | None = None) -> None:
    for _ in range(2000):
        got = [m for m in ws.sent if isinstance(m, dict) and m.get("type") == kind]
        if got and (state_step is None or got[-1]["step"] == state_step):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"no {kind} message")


def test_train_checks_its_time_budget_after_every_step():
    s = Session(SessionConfig(**MEDIUM))
    assert s.train(1000, budget_s=0.0) == 1 and s.step_count == 1


def test_a_long_step_runs_in_slices_that_interleave_with_another_sessions_work():
    async def go():
        hub = Hub(Settings(train_threads=1, slice_ms=1))
        a, ws_a, b, log = heavy_and_light(hub, MEDIUM)

        async def other():
            for _ in range(30):
                await hub.handle(b, p.Step(type="step", n=1))
                await asyncio.sleep(0)

        await asyncio.gather(hub.handle(a, p.Step(type="step", n=300)), other())
        await settle(ws_a, "state", 300)
        await hub.shutdown()
        return log, ws_a.sent

    log, sent = asyncio.run(go())
    during = [step for who, step in log if who == "b" and 0 < step < 300]
    assert during, "the other session was served only before or after the whole step"
    assert sum(1 for who, _ in log if who == "a") > 10  # the 300 steps took many slices
    frames = [p.decode_frame(m)[0]["step"] for m in sent if isinstance(m, bytes)]
    last = [m for m in sent if isinstance(m, dict)][-1]
    assert frames[-1] == 300 and last["type"] == "state" and last["step"] == 300


def test_pause_ends_a_long_step_after_its_current_slice():
    async def go():
        hub = Hub(Settings(train_threads=1, slice_ms=1))
        a, ws = attach(hub, "a", MEDIUM)
        step = asyncio.ensure_future(hub.handle(a, p.Step(type="step", n=1000)))
        while a.session.step_count == 0:
            await asyncio.sleep(0.001)
        await hub.handle(a, p.Pause(type="pause"))
        await step
        stopped = a.session.step_count
        for _ in range(20):  # nothing trains on after the pause
            await asyncio.sleep(0.005)
        states = [m for m in ws.sent if isinstance(m, dict) and m.get("type") == "state"]
        await hub.shutdown()
        return stopped, a.session.step_count, states

    stopped, later, states = asyncio.run(go())
    assert 0 < stopped < 1000 and later == stopped
    assert states and states[-1]["step"] == stopped and states[-1]["state"] == "paused"


def test_a_deep_networks_frame_is_made_in_slices_between_another_sessions_calls():
    async def go():
        hub = Hub(Settings(train_threads=1, slice_ms=0.001))
        a, _, b, log = heavy_and_light(hub, {"hidden": [32] * 8, "activation": "relu", "grid": 60})
        await asyncio.gather(hub.send_frame(a), frames_of(hub, b, 8))
        await hub.shutdown()
        return [who for who, _ in log]

    order = asyncio.run(go())
    mine = [i for i, who in enumerate(order) if who == "a"]
    assert len(mine) >= 9  # one grid layer a slice (8 hidden + the output), then the rest
    assert any(who == "b" for who in order[mine[0]:mine[-1]]), order


def test_dataset_messages_are_built_and_encoded_off_the_event_loop(monkeypatch):
    threads: list[str] = []
    real_dataset, real_dumps = p.dataset, p.dumps

    def dataset(**kwargs):
        threads.append(threading.current_thread().name)
        return real_dataset(**kwargs)

    def dumps(message):
        if isinstance(message, dict) and message.get("type") == "dataset":
            threads.append(threading.current_thread().name)
        return real_dumps(message)

    monkeypatch.setattr(p, "dataset", dataset)
    monkeypatch.setattr(p, "dumps", dumps)

    async def go():
        hub = Hub(Settings())
        a, ws = attach(hub, "a", {"dataset": "spiral", "points": 5000})
        loop_thread = threading.current_thread().name
        await hub.handle(a, p.Regenerate(type="regenerate"))
        await hub.handle(a, p.Configure(type="configure", config={"noise": 0.2}))
        await settle(ws, "state")
        await hub.shutdown()
        return loop_thread, [m for m in ws.sent if isinstance(m, dict) and m.get("type") == "dataset"]

    loop_thread, sent = asyncio.run(go())
    assert len(sent) == 2 and len(sent[-1]["train"]) + len(sent[-1]["test"]) == 5000
    assert len(threads) == 4 and loop_thread not in threads, threads
    assert json.loads(real_dumps(sent[0]))["type"] == "dataset"


def test_a_lecture_panel_is_computed_in_slices_between_another_sessions_calls():
    async def go():
        hub = Hub(Settings(train_threads=1, slice_ms=0.001))
        a, ws_a, b, log = heavy_and_light(hub, {"hidden": [16, 16], "activation": "tanh", "output": "sigmoid",
                                                "points": 200})
        panel = p.Lecture(type="lecture", what="saturation")
        await asyncio.gather(hub.handle(a, panel), frames_of(hub, b, 20))
        await settle(ws_a, "lecture")
        await hub.shutdown()
        return [who for who, _ in log], [m for m in ws_a.sent if isinstance(m, dict)][-1]

    order, answer = asyncio.run(go())
    mine = [i for i, who in enumerate(order) if who == "a"]
    assert len(mine) > 100  # 600 training steps (two runs of 300), one a slice
    assert any(who == "b" for who in order[mine[0]:mine[-1]])
    assert answer["type"] == "lecture" and answer["what"] == "saturation"
    assert answer["data"]["runs"]["cross_entropy"]["step"][-1] == 300


def test_the_depth_panel_counts_a_big_networks_regions_in_the_worker_process(monkeypatch):
    from app import regioncount

    submitted = []
    real = regioncount.submit

    def submit(net, box, features):
        submitted.append(list(net.sizes))
        return real(net, box, features)

    monkeypatch.setattr(regioncount, "submit", submit)
    s = Session(SessionConfig(hidden=[24, 24, 24], activation="relu", points=100))
    try:
        data = lecture.compute(s, "depth")
    finally:
        regioncount.shutdown()
    assert submitted == [[2, 24, 24, 24, 1], [2, 72, 1]]
    assert all(panel["regions"]["exact"] and panel["regions"]["count"] > 1 for panel in data["panels"])


def test_a_frame_with_the_region_map_is_the_same_made_in_pieces(monkeypatch):
    from app import regionview
    from app.engine import regions
    from app.engine.regions import RegionTracker, region_map

    def no_polygons(*args, **kwargs):
        raise regions.PolygonsUnavailable("the grid map is what this test measures")

    monkeypatch.setattr(regionview, "region_polygons", no_polygons)  # the fallback map, made in pieces
    monkeypatch.setattr(regionview, "REGION_MAP_ROWS", 7)  # many pieces, the last one short
    s = Session(SessionConfig(hidden=[8, 8], activation="relu", grid=30))
    s.set_view(regions=True)
    steps = s.snapshot_steps()
    pieces = 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as done:
            snap = done.value
            break
    assert pieces > 900 / 7
    assert (snap.region_map == region_map(s.network, s.frames.grid, RegionTracker())).all()


def _big_session():
    return Session(SessionConfig(dataset="spiral", hidden=[64] * 8, points=5000, train_ratio=0.5,
                                 activation="relu", grid=40, thumbnail=16))


def test_the_metrics_of_a_big_network_are_made_in_several_pieces_with_one_pass_numbers(monkeypatch):
    from app.engine import fastpath
    from app.pieces import finish

    s = _big_session()
    steps = s.frames.metrics_steps(s.network, s.data)
    pieces = 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as done:
            chunked = dataclasses.asdict(done.value)
            break
    assert pieces >= 4  # 5,000 points in chunks of ~1,000
    monkeypatch.setattr(fastpath, "CHUNK_WORK", 10**12)  # one pass over every point
    whole = dataclasses.asdict(finish(s.frames.metrics_steps(s.network, s.data)))
    assert chunked.keys() == whole.keys()
    for key, value in whole.items():
        assert chunked[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_a_small_networks_metrics_are_one_piece():
    s = Session(SessionConfig(hidden=[8, 8], points=500))
    steps = s.frames.metrics_steps(s.network, s.data)
    with pytest.raises(StopIteration):
        next(steps)


def test_a_frame_with_512_thumbnails_is_encoded_in_pieces_to_the_same_bytes():
    from app import protocol as p

    s = Session(SessionConfig(hidden=[64] * 8, activation="relu", grid=64, thumbnail=64))
    snap = s.snapshot()
    steps = p.encode_snapshot_steps(snap)
    pieces = 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as done:
            frame = done.value
            break
    assert pieces == 512 // p.THUMBNAIL_PIECE
    assert frame == p.encode_snapshot(snap)


def test_a_big_networks_json_export_is_made_a_layer_per_piece_with_the_same_document():
    s = _big_session()
    steps = s.export_steps("json")
    pieces = 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as done:
            filename, text = done.value
            break
    assert pieces == len(s.network.weights)
    assert filename == "mlp-playground.json"
    assert json.loads(text) == {"format": "mlp-playground", "version": 1, "config": s.config.model_dump(),
                                "step": s.step_count, "parameters": s.network.get_parameters()}
    assert len(text.splitlines()) < 1000  # a weight row per line, not 30,000 lines of one number each


def test_an_export_in_an_unknown_format_is_refused_naming_the_formats():
    s = Session(SessionConfig(hidden=[4]))
    with pytest.raises(ValueError, match="unknown export format 'xml'; expected json or csv"):
        s.export("xml")


def test_regenerate_keeps_the_grid_evaluator_and_draws_the_same_frame_as_a_fresh_session():
    s = Session(SessionConfig(hidden=[16, 16], activation="relu", grid=40))
    s.snapshot()
    grid = s.frames.grid
    s.regenerate()
    assert s.frames.grid is grid  # not made (and its buffers first-touched) afresh
    fresh = Session(s.config)
    mine, theirs = s.snapshot(), fresh.snapshot()
    assert np.array_equal(mine.output, theirs.output)
    assert np.array_equal(mine.thumbnails, theirs.thumbnails)
    s.configure({"grid": 50})
    assert s.frames.grid is None or s.frames.grid.size == 50
    s.configure({"dataset": "xor"})
    assert s.snapshot().output.shape == (50, 50)
