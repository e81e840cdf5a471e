"""The event-loop lag probe that /healthz reports."""

from __future__ import annotations

import asyncio
import time

from app.looplag import LoopLag


def test_a_blocked_loop_shows_up_as_lag_of_at_least_the_block():
    async def go() -> dict:
        lag = LoopLag(interval=0.01)
        lag.start()
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # block the loop: the probe's next wake-up is late by at least 0.2 s - interval
        await asyncio.sleep(0.05)
        await lag.stop()
        return lag.summary()

    summary = asyncio.run(go())
    assert summary["samples"] >= 2
    assert summary["max"] >= 190.0
    assert summary["p50"] < summary["max"]  # the other wake-ups were not held up by the block


def test_no_samples_reports_zeros():
    assert LoopLag().summary() == {"samples": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}
