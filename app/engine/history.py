"""Rewind: checkpoints of a training run kept every ``k`` steps in a bounded memory.

``History.record(trainer)`` keeps a ``TrainerState`` whenever the step count is a multiple of ``every``.
When the kept checkpoints would pass the memory budget (or ``max_entries``), every second one is dropped
and ``every`` doubles: the history then still spans the whole run, at half the resolution. So a long run
costs no more memory than a short one, and the newest steps are never the ones lost.

Restoring a checkpoint with ``Trainer.restore`` and training on gives the same trajectory as the original
run from that step (the checkpoint holds the optimizer state, the epoch's order and the generator state).

A ``companion`` (a second trainer's ``checkpoint``, e.g. a compare's network B) is kept beside every
checkpoint, at the same steps, thinned and truncated with it and counted in the same budget, so that
``companion_at(step)`` rewinds B to where ``at(step)`` rewinds A.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .errors import FieldError
from .training import Trainer
from .trainstate import TrainerState

DEFAULT_BUDGET = 1_500_000  # bytes: the 4 x 8 playground net with Adam keeps ~200 checkpoints in this
DEFAULT_MAX_ENTRIES = 512


class History:
    """Kept checkpoints of one run, oldest first; see the module docstring for the thinning rule."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET, max_entries: int = DEFAULT_MAX_ENTRIES,
                 every: int = 1, companion: Callable[[], TrainerState] | None = None):
        if not isinstance(every, int) or every < 1:
            raise FieldError("every", f"every must be a whole number >= 1, got {every!r}")
        if not isinstance(max_entries, int) or max_entries < 4:
            raise FieldError("max_entries", f"max_entries must be a whole number >= 4, got {max_entries!r}")
        if not isinstance(budget_bytes, int) or budget_bytes < 1:
            raise FieldError("budget_bytes",
                             f"budget_bytes must be a positive whole number, got {budget_bytes!r}")
        self.budget_bytes, self.max_entries, self.first_every = budget_bytes, max_entries, every
        self.companion = companion
        self.clear()

    def clear(self) -> None:
        """Forget every checkpoint (a reset, a new network or new data start a new run)."""
        self.every = self.first_every
        self._steps: list[int] = []
        self._states: list[TrainerState] = []
        self._companions: list[TrainerState | None] = []
        # memory held, kept up to date as checkpoints come and go (record runs once a frame): the states' own
        # arrays, and per shared epoch order (by id) its bytes and how many states hold it
        self._own_bytes = 0
        self._orders: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def steps(self) -> list[int]:
        """The kept steps, ascending."""
        return list(self._steps)

    @property
    def nbytes(self) -> int:
        """Memory held by the kept checkpoints: their arrays, each epoch order counted once."""
        return self._own_bytes + sum(size for size, _ in self._orders.values())

    def due(self, step: int) -> bool:
        """Whether ``record`` at ``step`` would keep a checkpoint."""
        return step % self.every == 0 and (not self._steps or step > self._steps[-1])

    def steps_to_next(self, step: int) -> int:
        """How many steps from ``step`` to the next multiple of ``every`` (a session trains in pieces that
        end there, so no checkpoint is skipped)."""
        return self.every - step % self.every

    def record(self, trainer: Trainer) -> bool:
        """Keep the trainer's state if its step is due; returns whether it did. A diverged run is not kept
        past the first non-finite step: there is nothing to rewind to there."""
        step = trainer.step_count
        if not self.due(step) or (trainer.diverged and self._states and self._states[-1].diverged):
            return False
        self._keep(step, trainer.checkpoint())
        while len(self._steps) > self.max_entries or (self.nbytes > self.budget_bytes and len(self) > 4):
            self._thin()
        return True

    def amend(self, trainer: Trainer) -> None:
        """The parameters changed outside training (a hand-set weight, a scene's weights): the current
        state replaces what was kept at this step and after it."""
        self.truncate_after(trainer.step_count - 1)
        self._keep(trainer.step_count, trainer.checkpoint())

    def restart(self, trainer: Trainer) -> None:
        """A run that starts here (restored at some step after a server restart): forget the rest."""
        self.clear()
        self.amend(trainer)

    def at(self, step: int) -> TrainerState:
        """The checkpoint kept at ``step``, else the latest one before it. ValueError names the range when
        nothing is kept at or before ``step``."""
        i = bisect.bisect_right(self._steps, step) - 1
        if i < 0:
            span = f"steps {self._steps[0]} to {self._steps[-1]}" if self._steps else "no steps yet"
            raise FieldError("step", f"step {step} is before the kept history ({span})")
        return self._states[i]

    def companion_at(self, step: int) -> TrainerState | None:
        """The companion kept with ``at(step)``'s checkpoint (None without a companion)."""
        self.at(step)  # the same range check
        return self._companions[bisect.bisect_right(self._steps, step) - 1]

    def truncate_after(self, step: int) -> None:
        """Drop checkpoints after ``step``: training continues from there on a new branch."""
        i = bisect.bisect_right(self._steps, step)
        for state, other in zip(self._states[i:], self._companions[i:], strict=True):
            self._forget(state, other)
        del self._steps[i:], self._states[i:], self._companions[i:]

    def trajectory(self) -> NDArray[np.float64]:
        """The kept parameters ``(T, P)`` in step order (for the loss landscape's principal directions)."""
        if not self._states:
            return np.empty((0, 0))
        return np.stack([s.params for s in self._states])

    def _thin(self) -> None:
        """Keep the checkpoints at multiples of twice the spacing; the step-0 start stays."""
        self.every *= 2
        keep = [i for i, s in enumerate(self._steps) if s % self.every == 0]
        if len(keep) == len(self._steps):  # nothing on the old grid was off the new one: drop the oldest
            keep = keep[1:]
        kept = set(keep)
        for i, (state, other) in enumerate(zip(self._states, self._companions, strict=True)):
            if i not in kept:
                self._forget(state, other)
        self._steps = [self._steps[i] for i in keep]
        self._states = [self._states[i] for i in keep]
        self._companions = [self._companions[i] for i in keep]

    def _keep(self, step: int, state: TrainerState) -> None:
        other = self.companion() if self.companion is not None else None
        self._steps.append(step)
        self._states.append(state)
        self._companions.append(other)
        for kept in (state, other):
            if kept is None:
                continue
            self._own_bytes += kept.nbytes
            if kept.order is not None:  # a follower's order is the leader's array: counted once
                size, holders = self._orders.get(id(kept.order), (kept.order.nbytes, 0))
                self._orders[id(kept.order)] = (size, holders + 1)

    def _forget(self, state: TrainerState, other: TrainerState | None) -> None:
        for kept in (state, other):
            if kept is None:
                continue
            self._own_bytes -= kept.nbytes
            if kept.order is not None:
                size, holders = self._orders[id(kept.order)]
                if holders > 1:
                    self._orders[id(kept.order)] = (size, holders - 1)
                else:
                    del self._orders[id(kept.order)]
