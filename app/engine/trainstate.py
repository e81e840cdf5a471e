"""A trainer's checkpoint (``TrainerState``) and where its epoch orders come from (``OrderSource``).

Their own module so that the trainer (training.py), its history (history.py) and lockstep training
(lockstep.py) share them without importing one another for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class OrderSource(Protocol):
    """Where a trainer's epoch orders come from: a ``np.random.Generator``, or a follower's leader
    (``lockstep.FollowOrder``). ``permutation(n)`` is the next epoch's order ``(n,)``, never written to."""

    def permutation(self, x: int, /) -> np.ndarray: ...


@dataclass(frozen=True)
class TrainerState:
    """A trainer's checkpoint (see ``Trainer.checkpoint``). ``params`` ``(P,)`` in ``net.flat`` order;
    ``order`` ``(n,)`` the epoch's permutation of the training set (None without shuffling), shared
    between checkpoints of one epoch since it is never written to."""

    params: np.ndarray
    optimizer: dict[str, Any]
    step_count: int
    epoch: int
    cursor: int
    last_loss: float
    diverged: bool
    diverged_at: int | None
    order: np.ndarray | None
    rng_state: dict[str, Any]
    order_rng_state: dict[str, Any] | None = None  # a separate order generator's (None: it is ``rng``)

    @property
    def nbytes(self) -> int:
        """Bytes of this checkpoint's own arrays (the shared order is counted by its owner)."""
        return int(self.params.nbytes + sum(v.nbytes for v in self.optimizer.values()
                                            if isinstance(v, np.ndarray)))
