"""Mini-batch training of a network on a fixed training set.

One ``Trainer`` owns the order in which examples are visited: the training set is reshuffled at the start
of every epoch from the generator it is given (the session's one generator), unless ``shuffle=False``.
Within an epoch batches are consecutive slices of that order; the last batch of an epoch may be smaller.
"""

from __future__ import annotations

import math

import numpy as np

from .network import Network
from .optimizers import Optimizer

REGULARIZATIONS = (None, "l1", "l2")


class Trainer:
    """Trains ``net`` with ``optimizer`` on ``X`` ``(n, n0)`` and labels/targets ``y`` ``(n,)``.

    ``step_count`` counts mini-batches, ``epoch`` completed passes over the data. Once the loss or a
    parameter becomes NaN or infinite, ``diverged`` is set with the step in ``diverged_at`` and further
    steps do nothing until ``reset()``.
    """

    def __init__(self, net: Network, optimizer: Optimizer, X, y, batch_size: int = 10,
                 regularization: str | None = None, reg_rate: float = 0.0,
                 rng: np.random.Generator | None = None, shuffle: bool = True):
        self.net = net
        self.optimizer = optimizer
        self.X = np.ascontiguousarray(X, dtype=float)
        if self.X.ndim != 2 or self.X.shape[0] < 1:
            raise ValueError(f"training inputs must have shape (n, d) with n >= 1, got {list(self.X.shape)}")
        self.T = net.encode_targets(y)
        if self.T.shape[0] != self.X.shape[0]:
            raise ValueError(f"{self.X.shape[0]} inputs but {self.T.shape[0]} targets")
        self.batch_size = batch_size
        self.set_regularization(regularization, reg_rate)
        self.rng = rng if rng is not None else net.rng
        self.shuffle = shuffle
        self._grad = np.zeros_like(net.flat)
        self._has_sigma = any("sigma" in p for p in net.unit_params)
        self.reset_progress()

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        n = self.X.shape[0]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= n:
            raise ValueError(f"batch_size must be an integer between 1 and the training-set size {n}, "
                             f"got {value!r}")
        self._batch_size = int(value)

    def set_regularization(self, kind: str | None, rate: float) -> None:
        """Change the penalty live: ``kind`` None | "l1" | "l2", ``rate`` >= 0."""
        if kind not in REGULARIZATIONS:
            raise ValueError(f"unknown regularization {kind!r}; expected none, l1 or l2")
        rate = float(rate)
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"regularization rate must be a finite number >= 0, got {rate!r}")
        self.regularization, self.reg_rate = kind, rate

    def reset_progress(self) -> None:
        """Back to step 0: clear optimizer state and counters (the caller re-initialises the network)."""
        self.optimizer.reset()
        self.step_count = 0
        self.epoch = 0
        self.last_loss = math.nan
        self.diverged = False
        self.diverged_at: int | None = None
        self._cursor = 0
        self._new_epoch_order()

    def _new_epoch_order(self) -> None:
        if self.shuffle:
            order = self.rng.permutation(self.X.shape[0])
            self._Xo, self._To = self.X[order], self.T[order]
        else:
            self._Xo, self._To = self.X, self.T

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.X.shape[0]
        if self._cursor >= n:
            self.epoch += 1
            self._cursor = 0
            self._new_epoch_order()
        start = self._cursor
        stop = min(start + self._batch_size, n)
        self._cursor = stop
        return self._Xo[start:stop], self._To[start:stop]

    def step(self, n: int = 1) -> float:
        """Train ``n`` mini-batches; returns the data loss of the last batch (NaN once diverged)."""
        net = self.net
        l1 = self.reg_rate if self.regularization == "l1" else 0.0
        l2 = self.reg_rate if self.regularization == "l2" else 0.0
        for _ in range(n):
            if self.diverged:
                return math.nan
            Xb, Tb = self._next_batch()
            grads = net.loss_and_gradients(Xb, Tb, l1=l1, l2=l2, train=True, rng=self.rng, out=self._grad)
            self.optimizer.update(net.flat, self._grad)
            if self._has_sigma:
                for p in net.unit_params:
                    if "sigma" in p:
                        np.maximum(p["sigma"], 1e-3, out=p["sigma"])
            self.step_count += 1
            self.last_loss = grads.loss
            if not (math.isfinite(grads.loss) and math.isfinite(float(np.sum(net.flat)))):
                self.diverged = True
                self.diverged_at = self.step_count
                return math.nan
        return self.last_loss

    def epochs_done(self) -> float:
        """Fractional epochs: completed passes plus the part of the current one."""
        return self.epoch + self._cursor / self.X.shape[0]
