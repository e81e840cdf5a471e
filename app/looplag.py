"""Event-loop lag: how late a timer fires. Every socket, frame and request shares the one loop, so this is
the delay the server adds to everything; /healthz reports it (bench/load.py reads it under load)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

INTERVAL = 0.1  # seconds between probes: cheap (10 wake-ups a second), fine enough for a p99 over a minute
SAMPLES = 600  # the last minute of probes


class LoopLag:
    """A task sleeping ``INTERVAL`` again and again and recording by how much each wake-up was late."""

    def __init__(self, interval: float = INTERVAL, samples: int = SAMPLES):
        self.interval = interval
        self.lags: deque[float] = deque(maxlen=samples)  # seconds
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._probe())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due))

    def summary(self) -> dict[str, float | int]:
        """``{"samples", "p50", "p99", "max"}`` of the recorded lags, in milliseconds (0 with no samples)."""
        ordered = sorted(self.lags)
        if not ordered:
            return {"samples": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}

        def pick(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return {"samples": len(ordered), "p50": pick(0.5), "p99": pick(0.99), "max": pick(1.0)}
