"""Overload: when this process cannot give its playing sessions the frame-rate floor, their maps get coarser
(the grid side, and the thumbnails', at 3/4 then 1/2 of what each session asks for), and the frames say so;
when the load drops they come back.

The signal is what the students see: the interval between a playing session's frames. A frame is *late* when
it came later than the floor's period (8 frames/s), or than the session's own period when it asks for fewer
(its frame-rate cap, or a rate its own heavy work holds it to: then the pool is not the cause). Decisions are
made once per window (``WINDOW_S``) over every frame of the process in it:

* more than ``LATE_SHARE`` of them late: one level down (coarser);
* at least ``ROOMY_SHARE`` of them on time even for ``UP_MARGIN`` times the floor, for ``UP_HOLD_S`` in a row:
  one level up. A level costs much less than that margin (measured on the default scene: about 6% more
  server CPU a frame per level; the grid pass scales with the side squared, but training, metrics and
  encoding do not), so a step up does not make frames late again: no flapping.
* the window after a change mixes both levels: it decides nothing.

Only the picture changes: training, metrics and parameters are the same at every level, and a paused
session's frames (and so a lecture scene's exact maps once paused) are always at full resolution.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.config import MIN_GRID, MIN_THUMBNAIL

FLOOR_FPS = 8.0  # the frame rate every playing session should get (issue 14's target)
LEVELS = (1.0, 0.75, 0.5)  # a map's side at each level, as a fraction of the session's own
WINDOW_S = 2.0
LATE_SHARE = 0.10
LATE_SLACK = 1.15  # a frame up to 15% past its period is on time (timer jitter, a GC pause)
ROOMY_SHARE = 0.95
UP_MARGIN = 1.3
UP_HOLD_S = 6.0
MIN_FRAMES = 8  # fewer frames in a window (hardly anyone plays): no sign of overload, and room to go up
BUSY = "server busy"
SET = "server setting"
MODES = {"auto": 0, "off": 0, "3/4": 1, "1/2": 2}  # the setting's values and the level each starts at


@dataclass(frozen=True)
class Reduction:
    """The sides a playing session's maps are made at, and why (the frame header says so)."""

    grid: int
    thumbnail: int
    reason: str


class Overload:
    """The process's overload level (0: full maps); ``frame`` is told of every playing session's frame.

    ``mode``: "auto" (the level follows the load), "off" (always full maps), or a level pinned by the
    operator, "3/4" or "1/2" (a small box known to be busy). ``clock``: seconds (tests pass a fake one).
    """

    def __init__(self, mode: str = "auto", clock: Callable[[], float] = time.monotonic):
        if mode not in MODES:
            raise ValueError(f"reduced_maps: expected one of {', '.join(MODES)}, got {mode!r}")
        self.mode, self.clock = mode, clock
        self.enabled = mode == "auto"
        self.level = MODES[mode]
        self._start = clock()
        self._frames = self._late = self._roomy = 0
        self._settling = False  # the window after a change: its frames are of both levels
        self._roomy_for = 0.0  # seconds of roomy windows in a row

    @property
    def scale(self) -> float:
        """The fraction of its side a playing session's maps are made at now."""
        return LEVELS[self.level]

    def frame(self, interval: float, fps: float) -> None:
        """A playing session delivered a frame ``interval`` seconds after its previous one, aiming at ``fps``
        frames/s (its own rate: the cap it asks for, lowered by its own heavy work)."""
        if not self.enabled:
            return
        self._frames += 1
        if interval > LATE_SLACK / min(FLOOR_FPS, fps):
            self._late += 1
        if interval <= LATE_SLACK / min(FLOOR_FPS * UP_MARGIN, fps):
            self._roomy += 1
        self._decide()

    def _decide(self) -> None:
        now = self.clock()
        span = now - self._start
        if span < WINDOW_S:
            return
        frames, late, roomy = self._frames, self._late, self._roomy
        self._start, self._frames, self._late, self._roomy = now, 0, 0, 0
        if self._settling:
            self._settling = False
            return
        if frames >= MIN_FRAMES and late > LATE_SHARE * frames:
            self._roomy_for = 0.0
            if self.level < len(LEVELS) - 1:
                self.level += 1
                self._settling = True
            return
        if frames < MIN_FRAMES or roomy >= ROOMY_SHARE * frames:
            self._roomy_for += span
            if self._roomy_for >= UP_HOLD_S and self.level > 0:
                self.level -= 1
                self._roomy_for = 0.0
                self._settling = True
            return
        self._roomy_for = 0.0

    def reduction(self, grid: int, thumbnail: int) -> Reduction | None:
        """The sides of a playing session's maps at this level for a session asking for ``grid`` and
        ``thumbnail``; None at full resolution."""
        sides = reduced_sides(grid, thumbnail, self.scale)
        if sides is None:
            return None
        return Reduction(*sides, BUSY if self.enabled else SET)


def reduced_sides(grid: int, thumbnail: int, scale: float) -> tuple[int, int] | None:
    """``grid`` and ``thumbnail`` scaled by ``scale`` (never below the config's smallest sides, the
    thumbnail never above the grid); None when the grid would not get smaller."""
    side = max(MIN_GRID, round(grid * scale))
    if side >= grid:
        return None
    return side, min(side, max(MIN_THUMBNAIL, round(thumbnail * scale)))
