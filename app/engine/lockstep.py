"""Lockstep training: several trainers on the same mini-batches in the same order, step for step.

The leader draws its epoch orders as it would alone, from its own generator and interleaved with whatever
else draws from it (a session's one generator also gives the randomized-ReLU slopes), so its run is bit for
bit its solo run. Each follower takes the leader's order through ``FollowOrder`` and draws its own
randomized-ReLU slopes from its own generator. ``Lockstep`` trains them one stretch within an epoch of the
leader's at a time, the leader first, so that a follower starting an epoch finds the leader's order of it.

Trainers whose orders come from separate generators in the same state (``Trainer(order_rng=...)``) visit
the same batches without a leader; ``Lockstep`` is for a leader whose generator feeds more than its order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .errors import FieldError
from .training import Trainer


class FollowOrder:
    """A follower's order source (``Trainer(order_rng=FollowOrder(leader))``): the leader's current epoch
    order, shared (never written to), so the follower's epoch ``e`` is the leader's epoch ``e`` as long as
    the leader starts each epoch first (``Lockstep`` sees to it)."""

    def __init__(self, leader: Trainer):
        self.leader = leader

    def permutation(self, x: int, /) -> np.ndarray:
        order = self.leader.order
        if order is None or order.shape[0] != x:
            raise FieldError("order_rng", f"the leader has no epoch order of {x} examples to follow "
                                          "(it must shuffle the same training set)")
        return order


class Lockstep:
    """Trains ``leader`` and ``followers`` on the same batches: each follower must have been built with
    ``order_rng=FollowOrder(leader)`` (or, without shuffling, share the leader's data order as given), on a
    training set of the leader's size, with its batch size, at its step. A follower that diverges stops
    while the others train on; once the leader diverges, every trainer stops."""

    def __init__(self, leader: Trainer, *followers: Trainer):
        for i, f in enumerate(followers):
            field = f"followers.{i}"
            if f.X.shape[0] != leader.X.shape[0] or f.batch_size != leader.batch_size:
                raise FieldError(field, f"trains {f.X.shape[0]} examples in batches of {f.batch_size}, the "
                                        f"leader {leader.X.shape[0]} in batches of {leader.batch_size}")
            if f.shuffle != leader.shuffle:
                raise FieldError(field, "shuffles differently from the leader")
            src = f.order_rng
            if f.shuffle and not (isinstance(src, FollowOrder) and src.leader is leader):
                raise FieldError(field, "must take its epoch orders from the leader: build it with "
                                        "order_rng=FollowOrder(leader)")
            if f.step_count != leader.step_count:
                raise FieldError(field, f"is at step {f.step_count}, the leader at {leader.step_count}")
        self.leader, self.followers = leader, list(followers)

    @property
    def trainers(self) -> list[Trainer]:
        """The leader, then the followers."""
        return [self.leader, *self.followers]

    def step(self, n: int = 1) -> list[float]:
        """Train ``n`` mini-batches each; returns every trainer's last data loss (NaN once diverged)."""
        done = 0
        while done < n and not self.leader.diverged:
            before = self.leader.step_count
            self.leader.step(min(n - done, self.leader.steps_to_epoch_end()))
            done += self._catch_up(before)
        return [math.nan if t.diverged else t.last_loss for t in self.trainers]

    def train_for(self, n: int, budget_s: float, clock: Callable[[], float] = time.perf_counter) -> int:
        """Train up to ``n`` mini-batches each, stopping once ``budget_s`` seconds of ``clock`` are spent
        (``Trainer.train_for``, the leader's chunked steps included); returns the steps each completed."""
        start, done, share = clock(), 0, 1.0 / len(self.trainers)
        while done < n and not self.leader.diverged:
            stretch = min(n - done, self.leader.steps_to_epoch_end())
            before = self.leader.step_count
            # the followers' steps cost about what the leader's do: the leader gets its share of what is left
            self.leader.train_for(stretch, (budget_s - (clock() - start)) * share, clock)
            k = self._catch_up(before)
            done += k
            if k < stretch or clock() - start >= budget_s:
                break
        return done

    def _catch_up(self, before: int) -> int:
        """Train each live follower the steps the leader took since ``before``; returns that number."""
        k = self.leader.step_count - before
        for f in self.followers:
            if not f.diverged and k:
                f.step(k)
        return k
