"""app/runner.py: lecture panels in the background, a newer request for a panel ending the older one."""

from __future__ import annotations

import asyncio

from app import protocol as p
from app import runner
from app.hub import Hub
from app.settings import Settings

from .test_handlers import answers, attached


def test_a_newer_request_for_a_panel_ends_the_older_one_and_only_the_newer_answers():
    async def go():
        hub = Hub(Settings(train_threads=1, slice_ms=1))
        live, ws = attached(hub)
        msg = p.Lecture(type="lecture", what="saturation")
        await runner.start_lecture(hub, live, msg)
        first = live.lectures["saturation"][0]
        await runner.start_lecture(hub, live, msg)  # waits for the first to stop after its slice
        ended_early = first.done()
        await answers(ws, "lecture")
        while live.lectures:
            await asyncio.sleep(0.005)
        await hub.shutdown()
        return ended_early, [m for m in ws.sent if isinstance(m, dict) and m.get("type") == "lecture"]

    ended_early, panels = asyncio.run(go())
    assert ended_early and len(panels) == 1 and panels[0]["what"] == "saturation"


def test_a_panel_that_does_not_fit_the_network_is_an_error_naming_what():
    async def go():
        hub = Hub(Settings())
        live, ws = attached(hub)  # 2-D data: the universality panel needs 1-D data
        await runner.start_lecture(hub, live, p.Lecture(type="lecture", what="universality"))
        error = (await answers(ws, "error"))[0]
        await hub.shutdown()
        return error, live.lectures

    error, running = asyncio.run(go())
    assert error["code"] == p.E_INVALID_VALUE and error["field"] == "what" and not running


def test_the_frame_rate_settles_where_a_frames_work_fits_its_period_and_recovers_to_the_cap():
    fps = 60.0
    for _ in range(50):
        fps = runner.adapt_fps(fps, 60.0, busy=0.2, dropped=False)  # 200 ms of work a frame
    assert 0.2 <= 1.0 / fps < 0.4  # the work fits the period, and the period is not twice the work
    for _ in range(50):
        fps = runner.adapt_fps(fps, 60.0, busy=10.0, dropped=False)  # work no frame rate can keep up with
    assert fps == runner.MIN_FPS
    for _ in range(200):
        fps = runner.adapt_fps(fps, 30.0, busy=0.0, dropped=False)
    assert fps == 30.0


def test_three_quick_single_steps_train_three_steps():
    # each 's' press is a 'step' that ends the one before it after its current slice: a step ended before it
    # ran a slice must still train, or a fast double press loses a step
    async def go():
        hub = Hub(Settings())
        live, _ = attached(hub)
        for _ in range(3):
            await hub.handle(live, p.Step(type="step", n=1))
        while live.stepper is not None:
            await asyncio.sleep(0.005)
        await hub.shutdown()
        return live.session.step_count

    assert asyncio.run(go()) == 3
