"""app/overload.py: the overload policy on a fake clock (frame intervals in, map level out)."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from app import overload, runner, slicing
from app import protocol as p
from app.config import SessionConfig
from app.hub import Hub
from app.overload import Overload, Reduction, reduced_sides
from app.session import Session
from app.settings import Settings

from .test_handlers import attached


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def feed(policy: Overload, clock: Clock, seconds: float, sessions: int, fps: float, aim: float = 60) -> None:
    """``sessions`` playing sessions each getting ``fps`` frames/s for ``seconds`` (aiming at ``aim``)."""
    interval = 1.0 / fps
    end = clock.t + seconds
    while clock.t < end:
        clock.t += interval
        for _ in range(sessions):
            policy.frame(interval, aim)


def test_frames_slower_than_the_floor_step_the_maps_down_one_level_per_window_to_half():
    clock = Clock()
    policy = Overload("auto", clock)
    feed(policy, clock, 2.1, sessions=40, fps=6.0)  # one window of late frames
    assert policy.level == 1 and policy.scale == 0.75
    feed(policy, clock, 2.1, sessions=40, fps=6.0)  # the window after a change decides nothing
    assert policy.level == 1
    feed(policy, clock, 2.1, sessions=40, fps=6.0)
    assert policy.level == 2 and policy.scale == 0.5
    feed(policy, clock, 10, sessions=40, fps=4.0)  # no coarser level than half
    assert policy.level == 2


def test_a_few_late_frames_are_no_overload():
    clock = Clock()
    policy = Overload("auto", clock)
    feed(policy, clock, 1.0, sessions=40, fps=9.0)
    feed(policy, clock, 1.2, sessions=3, fps=6.0)  # 3 of 40 sessions late for half a window: under 10%
    assert policy.level == 0


def test_frames_between_the_floor_and_the_margin_hold_the_level_and_room_brings_it_back_after_the_hold():
    clock = Clock()
    policy = Overload("auto", clock)
    feed(policy, clock, 2.1, sessions=40, fps=6.0)
    feed(policy, clock, 2.1, sessions=40, fps=6.0)
    feed(policy, clock, 2.1, sessions=40, fps=6.0)
    assert policy.level == 2
    feed(policy, clock, 30, sessions=40, fps=8.5)  # on time, not 1.3x the floor: no step up (no flapping)
    assert policy.level == 2
    hold, window = overload.UP_HOLD_S, overload.WINDOW_S
    feed(policy, clock, hold - window, sessions=20, fps=20.0)  # load dropped: roomy, not for UP_HOLD_S yet
    assert policy.level == 2
    feed(policy, clock, 2 * window + 0.1, sessions=20, fps=20.0)  # (one window straddled the change)
    assert policy.level == 1
    feed(policy, clock, window + hold + 0.1, sessions=20, fps=20.0)  # a settling window, then the hold
    assert policy.level == 0 and policy.reduction(100, 24) is None


def test_a_session_slow_by_its_own_choice_or_work_is_not_late():
    clock = Clock()
    policy = Overload("auto", clock)
    # capped at 4 frames/s (max_fps), or held to 3 by its own heavy network: each gets what it aims at
    feed(policy, clock, 10, sessions=20, fps=4.0, aim=4.0)
    feed(policy, clock, 10, sessions=20, fps=3.0, aim=3.0)
    assert policy.level == 0


def test_nobody_playing_lets_the_level_come_back():
    clock = Clock()
    policy = Overload("auto", clock)
    feed(policy, clock, 2.1, sessions=40, fps=6.0)
    assert policy.level == 1
    clock.t += 60  # everyone paused for a minute
    policy.frame(0.05, 60.0)  # the next frame: a settling window that decides nothing ...
    clock.t += 60
    policy.frame(0.05, 60.0)  # ... then a quiet minute is room enough
    assert policy.level == 0


def test_off_never_reduces_and_a_pinned_level_always_does_and_says_it_is_a_setting():
    clock = Clock()
    off = Overload("off", clock)
    feed(off, clock, 20, sessions=40, fps=2.0)
    assert off.level == 0 and off.reduction(100, 24) is None
    pinned = Overload("1/2", clock)
    feed(pinned, clock, 20, sessions=40, fps=60.0)
    assert pinned.reduction(100, 24) == Reduction(50, 12, overload.SET)
    assert Overload("3/4", clock).reduction(100, 24) == Reduction(75, 18, overload.SET)


def test_an_automatic_reduction_names_the_busy_server():
    clock = Clock()
    policy = Overload("auto", clock)
    feed(policy, clock, 2.1, sessions=40, fps=6.0)
    assert policy.reduction(100, 24) == Reduction(75, 18, overload.BUSY)


def test_an_unknown_mode_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="reduced_maps"):
        Overload("half")


@pytest.mark.parametrize(("grid", "thumb", "scale", "sides"), [
    (100, 24, 0.5, (50, 12)),
    (100, 24, 0.75, (75, 18)),
    (200, 64, 0.5, (100, 32)),
    (12, 30, 0.5, (10, 10)),  # never below the smallest grid; the thumbnail never above the grid
    (15, 4, 0.5, (10, 4)),  # nor below the smallest thumbnail
    (10, 8, 0.5, None),  # the smallest grid cannot get smaller: not reduced
    (100, 24, 1.0, None),
])
def test_reduced_sides_keep_within_the_configs_bounds(grid, thumb, scale, sides):
    assert reduced_sides(grid, thumb, scale) == sides


# --- the reduced frame: maps at the coarser grid, the header says so, the numbers are untouched ----------

def centres(box: tuple[float, float], g: int) -> np.ndarray:
    """``(g * g, 2)`` cell centres of a ``g`` x ``g`` grid over ``box``, row 0 at the top (x2 = box hi)."""
    lo, hi = box
    c = lo + (np.arange(g) + 0.5) * (hi - lo) / g
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def playing(config: SessionConfig, reduce: Reduction | None, steps: int = 30) -> Session:
    s = Session(config)
    s.train(steps)
    s.playing = True
    s.frames.reduce = reduce
    return s


def test_a_playing_frame_under_overload_is_the_network_at_the_coarser_grids_cell_centres_and_says_so():
    cfg = SessionConfig(grid=40, thumbnail=20, hidden=[3], activation="tanh", output="sigmoid", seed=4)
    s = playing(cfg, Reduction(20, 10, overload.BUSY))
    s.set_view(unit=(0, 1))
    header, arrays = p.decode_frame(p.encode_snapshot(s.snapshot()))
    assert header["grid"] == 20 and header["reduced"] == {"grid": 20, "full": 40, "reason": "server busy"}
    assert list(header)[-3:] == ["reduced", "type", "arrays"]  # the one new key, after the others
    X = centres(s.data.box, 20)
    lo, hi = next(e for e in header["arrays"] if e["name"] == "output")["range"]
    got = lo + arrays["output"] / 255.0 * (hi - lo)
    assert arrays["output"].shape == (20, 20)
    assert np.abs(got - s.network.predict(X)[:, 0].reshape(20, 20)).max() <= (hi - lo) / 510 + 1e-6
    hidden = np.tanh(X @ s.network.weights[0] + s.network.biases[0])  # the unit on view, by hand
    unit = next(e for e in header["arrays"] if e["name"] == "unit")
    ulo, uhi = unit["range"]
    assert np.abs(ulo + arrays["unit"] / 255.0 * (uhi - ulo) - hidden[:, 1].reshape(20, 20)).max() \
        <= (uhi - ulo) / 510 + 1e-5
    assert arrays["thumbnails"].shape == (3, 10, 10)


def test_a_reduced_frame_has_the_same_numbers_and_parameters_as_the_full_one():
    cfg = SessionConfig(grid=40, hidden=[4, 3], seed=5)
    full, _ = p.decode_frame(p.encode_snapshot(playing(cfg, None).snapshot()))
    reduced, _ = p.decode_frame(p.encode_snapshot(playing(cfg, Reduction(30, 18, overload.BUSY)).snapshot()))
    same = ("step", "epoch", "state", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "weights",
            "biases", "unit_params", "box", "sizes")
    assert {k: full[k] for k in same} == {k: reduced[k] for k in same}
    assert full["grid"] == 40 and reduced["grid"] == 30 and "reduced" not in full


def test_training_with_reduced_frames_between_is_the_same_run_bit_for_bit():
    cfg = SessionConfig(grid=40, hidden=[5], seed=11)
    runs = []
    for reduce in (None, Reduction(20, 10, overload.BUSY)):
        s = playing(cfg, reduce, steps=0)
        for _ in range(5):
            s.train(7)
            s.snapshot()
        runs.append((s.network.flat.copy(), s.step_count))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1] == 35


@pytest.mark.parametrize("why", ["paused", "regions", "compare"])
def test_paused_region_and_compare_frames_stay_full_and_byte_for_byte_unchanged(why):
    cfg = SessionConfig(grid=30, hidden=[3], activation="relu", seed=6,
                        compare={"activation": "tanh"} if why == "compare" else None)
    frames = []
    for reduce in (None, Reduction(15, 8, overload.BUSY)):
        s = playing(cfg, reduce)
        s.playing = why != "paused"
        if why == "regions":
            s.set_view(regions=True)
        frames.append(p.encode_snapshot(s.snapshot()))
    assert frames[0] == frames[1]
    assert p.decode_frame(frames[1])[0]["grid"] == 30


# --- the server: a saturated pool steps the maps down, and they come back when the load drops --------------

def test_a_saturated_pool_steps_playing_maps_down_and_back_up_when_the_load_drops(monkeypatch):
    # quicker windows than the real ones (their decisions are pinned above on a fake clock)
    monkeypatch.setattr(overload, "WINDOW_S", 0.3)
    monkeypatch.setattr(overload, "UP_HOLD_S", 0.6)
    monkeypatch.setattr(overload, "MIN_FRAMES", 2)
    stall = [0.25]  # seconds each frame's pool call holds the one thread: a pool with no room left
    original = slicing.train_slice

    def saturated(*args):
        time.sleep(stall[0])
        return original(*args)

    monkeypatch.setattr(slicing, "train_slice", saturated)

    async def go():
        hub = Hub(Settings(train_threads=1))
        live, ws = attached(hub, {"points": 40, "grid": 40, "thumbnail": 20, "max_fps": 30})
        live.session.playing = True
        live.runner = asyncio.create_task(runner.play(hub, live))

        async def until(level: int, limit: float = 20.0) -> None:
            end = time.monotonic() + limit
            while hub.overload.level != level and time.monotonic() < end:
                await asyncio.sleep(0.02)

        async def next_frame(after: int, grid: int, limit: float = 20.0) -> bytes | None:
            """The first frame sent after ``after`` messages whose maps are ``grid`` a side (a frame begun
            before the level changed may come first)."""
            end = time.monotonic() + limit
            while time.monotonic() < end:
                for m in ws.sent[after:]:
                    if isinstance(m, bytes) and p.decode_frame(m)[0]["grid"] == grid:
                        return m
                await asyncio.sleep(0.02)
            return None

        await until(2)
        down = hub.overload.level
        busy = await next_frame(len(ws.sent), 20)
        stall[0] = 0.0  # the load drops
        await until(0)
        up = hub.overload.level
        calm = await next_frame(len(ws.sent), 40)
        live.session.playing = False
        await live.runner
        await hub.shutdown()
        return down, busy, up, calm

    down, busy, up, calm = asyncio.run(go())
    assert down == 2 and busy is not None
    assert p.decode_frame(busy)[0]["reduced"] == {"grid": 20, "full": 40, "reason": "server busy"}
    assert up == 0 and calm is not None
    header, arrays = p.decode_frame(calm)
    assert "reduced" not in header and arrays["output"].shape == (40, 40)


def test_a_pinned_level_reduces_every_playing_session_but_a_rooms_presenter():
    async def go(presenting: bool):
        hub = Hub(Settings(reduced_maps="1/2"))
        live, ws = attached(hub, {"points": 40, "grid": 40, "thumbnail": 20})
        if presenting:
            live.conn.tap = lambda message: None  # what app/rooms.py sets on a presenter's connection
        live.session.playing = True
        live.runner = asyncio.create_task(runner.play(hub, live))
        for _ in range(2000):
            frames = [m for m in ws.sent if isinstance(m, bytes)]
            if len(frames) >= 3:
                break
            await asyncio.sleep(0.005)
        live.session.playing = False
        await live.runner
        await hub.shutdown()
        return [p.decode_frame(m)[0] for m in frames]

    student = asyncio.run(go(False))
    assert all(h["grid"] == 20 and h["reduced"]["reason"] == "server setting" for h in student)
    presenter = asyncio.run(go(True))
    assert all(h["grid"] == 40 and "reduced" not in h for h in presenter)


def test_pausing_a_session_whose_last_frame_was_reduced_sends_the_full_maps():
    async def go():
        hub = Hub(Settings(reduced_maps="1/2"))
        live, ws = attached(hub, {"points": 40, "grid": 40, "thumbnail": 20})
        live.session.playing = True
        live.runner = asyncio.create_task(runner.play(hub, live))
        for _ in range(2000):
            if any(isinstance(m, bytes) for m in ws.sent):
                break
            await asyncio.sleep(0.005)
        await hub.handle(live, p.Pause(type="pause"))
        await live.runner
        await hub.shutdown()
        return [p.decode_frame(m)[0] for m in ws.sent if isinstance(m, bytes)]

    frames = asyncio.run(go())
    assert frames[0]["grid"] == 20 and "reduced" in frames[0]
    assert frames[-1]["grid"] == 40 and "reduced" not in frames[-1] and frames[-1]["state"] == "paused"
