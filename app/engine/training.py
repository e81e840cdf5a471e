"""Mini-batch training of a network on a fixed training set.

One ``Trainer`` owns the order in which examples are visited: the training set is reshuffled at the start
of every epoch from the generator it is given (the session's one generator), unless ``shuffle=False``.
Within an epoch batches are consecutive slices of that order; the last batch of an epoch may be smaller.

Steps run on ``fastpath.FastPath`` (preallocated buffers, same numbers as the general path up to rounding)
whenever it supports the network and optimizer, otherwise on ``net.loss_and_gradients`` + ``update``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import FieldError
from .fastpath import FastPath, unsupported_reason
from .network import Network
from .optimizers import Optimizer
from .trainstate import OrderSource, TrainerState

REGULARIZATIONS = (None, "l1", "l2")


class Trainer:
    """Trains ``net`` with ``optimizer`` on ``X`` ``(n, n0)`` and labels/targets ``y`` ``(n,)``.

    The loss minimised is the mean data loss over a batch plus the penalty
    ``l1 * sum|w| + l2/2 * sum(w^2)`` over the weights (never biases, unit parameters or rbf templates;
    see ``Network.regularization``), so L2 adds ``l2 * w`` to a weight's gradient. Both rates may be set
    at once (``l1=``, ``l2=``, or ``set_penalty``); ``regularization``/``reg_rate`` are the one-penalty
    form a session offers ("l1" or "l2" and its rate), and cannot be combined with ``l1``/``l2``.

    Epoch orders are drawn from ``order_rng`` (default ``rng``: one generator for everything, as a session
    has it). A separate one keeps them apart from the randomized-ReLU draws, so that trainers whose order
    generators start alike visit the same batches; ``lockstep.FollowOrder`` replays another trainer's.

    ``step_count`` counts mini-batches, ``epoch`` completed passes over the data. Once the loss or a
    parameter becomes NaN or infinite, ``diverged`` is set with the step in ``diverged_at`` and further
    steps do nothing until ``reset()``.
    """

    def __init__(self, net: Network, optimizer: Optimizer, X: ArrayLike, y: ArrayLike, batch_size: int = 10,
                 regularization: str | None = None, reg_rate: float = 0.0,
                 rng: np.random.Generator | None = None, shuffle: bool = True, *,
                 l1: float = 0.0, l2: float = 0.0, order_rng: OrderSource | None = None):
        self.net = net
        self.optimizer = optimizer
        self.X = np.ascontiguousarray(X, dtype=float)
        if self.X.ndim != 2 or self.X.shape[0] < 1:
            raise FieldError("X",
                             f"training inputs must have shape (n, d) with n >= 1, got {list(self.X.shape)}")
        if self.X.shape[1] != net.sizes[0]:
            raise FieldError("X", f"training inputs have {self.X.shape[1]} features, the network takes "
                             f"{net.sizes[0]}")
        self.T = net.encode_targets(y)
        if self.T.shape[0] != self.X.shape[0]:
            raise FieldError("y", f"{self.X.shape[0]} inputs but {self.T.shape[0]} targets")
        self.batch_size = batch_size
        self.set_regularization(regularization, reg_rate)
        if l1 or l2:
            if regularization is not None:
                raise FieldError("regularization",
                                 "give the penalty either as regularization + reg_rate or as l1 and l2, "
                                 "not both")
            self.set_penalty(l1, l2)
        self.rng = rng if rng is not None else net.rng
        self.order_rng: OrderSource = order_rng if order_rng is not None else self.rng
        self.shuffle = shuffle
        self._grad: np.ndarray | None = None
        self._has_sigma = any("sigma" in p for p in net.unit_params)
        # Inputs with a trailing ones column (the fast path folds biases into the weight matrix), and
        # the buffers the epoch order is gathered into, so a new epoch allocates nothing.
        n, d = self.X.shape
        self._Xa = np.ones((n, d + 1))
        self._Xa[:, :d] = self.X
        self._Xo, self._To = np.empty_like(self._Xa), np.empty_like(self.T)
        self.use_fast_path = True  # False forces the general path (tests compare the two)
        self._fast: FastPath | None = None
        self._order_version = 0  # bumped with every new epoch order, so the fast path reloads its copy
        self._fast_version = -1
        # a chunked step under way: (its generator, the state it started from, the weights it started from)
        self._pending: tuple[Generator[None, None, None], tuple[Any, ...], np.ndarray] | None = None
        self.reset_progress()

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        n = self.X.shape[0]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= n:
            raise FieldError("batch_size",
                             f"batch_size must be an integer between 1 and the training-set size {n}, "
                             f"got {value!r}")
        self._batch_size = int(value)

    def set_regularization(self, kind: str | None, rate: float) -> None:
        """Change the penalty live to one kind: ``kind`` None | "l1" | "l2", ``rate`` >= 0 (the other
        rate becomes 0). With ``kind`` None the rate is kept in ``reg_rate`` but nothing is penalised."""
        if kind not in REGULARIZATIONS:
            raise FieldError("regularization", f"unknown regularization {kind!r}; expected none, l1 or l2")
        rate = _rate("regularization rate", rate)
        self.l1 = rate if kind == "l1" else 0.0
        self.l2 = rate if kind == "l2" else 0.0
        #: the one-penalty form: None | "l1" | "l2" (| "l1+l2" after ``set_penalty`` with both)
        self.regularization: str | None = kind
        #: its rate (None after ``set_penalty`` with both: read ``l1`` and ``l2``)
        self.reg_rate: float | None = rate

    def set_penalty(self, l1: float = 0.0, l2: float = 0.0) -> None:
        """Change both penalty rates live: ``l1 * sum|w| + l2/2 * sum(w^2)``, each rate >= 0."""
        l1, l2 = _rate("l1", l1), _rate("l2", l2)
        self.l1, self.l2 = l1, l2
        kinds = [name for name, rate in (("l1", l1), ("l2", l2)) if rate]
        self.regularization = "+".join(kinds) or None
        self.reg_rate = None if len(kinds) == 2 else l1 or l2

    def reset_progress(self) -> None:
        """Back to step 0: clear optimizer state and counters (the caller re-initialises the network)."""
        self._pending = None
        self.optimizer.reset()
        self.step_count = 0
        self.epoch = 0
        self.last_loss = math.nan
        self.diverged = False
        self.diverged_at: int | None = None
        self._cursor = 0
        self._new_epoch_order()

    def resume_at(self, step: int) -> None:
        """Set the counters as if ``step`` mini-batches had run (the caller restores the weights it had
        then): epoch and position within it follow from the batch size. Optimizer state starts afresh."""
        step = int(step)
        if step < 0:
            raise FieldError("step", f"step must be >= 0, got {step}")
        self.reset_progress()
        n = self.X.shape[0]
        per_epoch = -(-n // self._batch_size)
        self.step_count = step
        self.epoch = step // per_epoch
        self._cursor = min(n, (step % per_epoch) * self._batch_size)

    def _new_epoch_order(self) -> None:
        self._gather(self.order_rng.permutation(self.X.shape[0]) if self.shuffle else None)

    @property
    def order(self) -> np.ndarray | None:
        """The current epoch's order ``(n,)`` of the training set (None without shuffling); read-only."""
        return self._order

    def _gather(self, order: np.ndarray | None) -> None:
        """Lay the training set out in ``order`` (None: as given) for the epoch's consecutive batches."""
        self._order = order  # kept (never written to) so that a checkpoint can share it
        if order is not None:
            np.take(self._Xa, order, axis=0, out=self._Xo)
            np.take(self.T, order, axis=0, out=self._To)
        else:
            np.copyto(self._Xo, self._Xa)
            np.copyto(self._To, self.T)
        self._order_version += 1

    # --- checkpoints (rewind) ---------------------------------------------------------------------
    def checkpoint(self) -> TrainerState:
        """Everything training from here depends on besides the data: the parameters, the optimizer's
        state, the counters, the epoch's order and the generator's state. ``restore`` of it continues
        exactly as this trainer would have (same batches, same draws, same numbers)."""
        return TrainerState(self.net.flat.copy(), self.optimizer.state(), self.step_count, self.epoch,
                            self._cursor, self.last_loss, self.diverged, self.diverged_at, self._order,
                            copy.deepcopy(dict(self.rng.bit_generator.state)), self._order_rng_state())

    def _order_rng_state(self) -> dict[str, Any] | None:
        """A separate order generator's state (None when orders come from ``rng`` or a leader)."""
        src = self.order_rng
        if src is self.rng or not isinstance(src, np.random.Generator):
            return None
        return copy.deepcopy(dict(src.bit_generator.state))

    def restore(self, state: TrainerState) -> None:
        """Go back (or forward) to a checkpoint of this trainer (same network shape and data)."""
        if state.params.shape != self.net.flat.shape:
            raise FieldError("state", f"checkpoint has {state.params.size} parameters, the network "
                             f"{self.net.flat.size}")
        if state.order is not None and state.order.shape[0] != self.X.shape[0]:
            raise FieldError("state", "checkpoint was taken on a training set of another size")
        self._pending = None
        self.net.flat[:] = state.params
        self.optimizer.load_state(state.optimizer)
        self.step_count, self.epoch, self._cursor = state.step_count, state.epoch, state.cursor
        self.last_loss, self.diverged, self.diverged_at = state.last_loss, state.diverged, state.diverged_at
        self.rng.bit_generator.state = copy.deepcopy(state.rng_state)
        if state.order_rng_state is not None and isinstance(self.order_rng, np.random.Generator):
            self.order_rng.bit_generator.state = copy.deepcopy(state.order_rng_state)
        self._gather(state.order)

    def _advance(self) -> tuple[int, int]:
        """Rows ``start:stop`` of the epoch order that the next batch trains on."""
        n = self.X.shape[0]
        if self._cursor >= n:
            self.epoch += 1
            self._cursor = 0
            self._new_epoch_order()
        start = self._cursor
        stop = min(start + self._batch_size, n)
        self._cursor = stop
        return start, stop

    def _fast_path(self) -> FastPath | None:
        """The fast path for the current network and optimizer, or None when the general path must run."""
        if not self.use_fast_path or unsupported_reason(self.net, self.optimizer) is not None:
            return None
        if self._fast is None or self._fast.flat is not self.net.flat:
            self._fast = FastPath(self.net)
            self._fast_version = -1
        return self._fast

    def step(self, n: int = 1) -> float:
        """Train ``n`` mini-batches; returns the data loss of the last batch (NaN once diverged).

        Overflow on the way to divergence is expected and reported through ``diverged``, so NumPy's
        floating-point warnings are silenced here rather than printed once per step.
        """
        self._pending = None  # a chunked step under way is dropped: this one starts from the same batch
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self._resume_or_start() is None:
                return self._step(n)
            # a big batch: the same chunked steps as train_for, so both give the same bits
            for _ in range(n):
                if self.diverged:
                    break
                work = self._resume_or_start()
                if work is None:
                    self._step(1)
                else:
                    for _ in work:
                        pass
                    self._pending = None
            return math.nan if self.diverged else self.last_loss

    def train_for(self, n: int, budget_s: float, clock: Callable[[], float] = time.perf_counter) -> int:
        """Train up to ``n`` mini-batches, stopping once ``budget_s`` seconds of ``clock`` are spent;
        returns the number of steps completed.

        A batch too big for one piece of bounded work (``FastPath.chunk_rows``) is trained in chunks, the
        budget checked between them: when it runs out mid-step, the step is kept and the next call goes on
        with it (it changes nothing until its last chunk). If anything it depends on changed in between
        (weights, batch size, penalty, optimizer, data order) it is dropped and that batch starts afresh.
        """
        start = clock()
        done = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while done < n and not self.diverged:
                work = self._resume_or_start()
                if work is None:
                    self._step(1)
                    done += 1
                else:
                    try:
                        while True:
                            next(work)
                            if clock() - start >= budget_s:
                                return done
                    except StopIteration:
                        self._pending = None
                        done += 1
                if clock() - start >= budget_s:
                    break
        return done

    def _pending_key(self) -> tuple[Any, ...]:
        opt = self.optimizer
        return (self._order_version, self._cursor, self._batch_size, self.l1, self.l2,
                id(opt), opt.t, id(self._fast), self.use_fast_path, self.net.flat.ctypes.data)

    def _resume_or_start(self) -> Generator[None, None, None] | None:
        """The chunked step to go on with (the one under way if still valid, else a new one), or None when
        the next batch is small enough for one call (or the general path trains it)."""
        if self._pending is not None:
            work, key, weights = self._pending
            if key == self._pending_key() and np.array_equal(weights, self.net.flat):
                return work
            self._pending = None
        fast = self._fast_path()
        rows = self.X.shape[0]
        start = 0 if self._cursor >= rows else self._cursor
        if fast is None or min(self._batch_size, rows - start) <= fast.chunk_rows():
            return None
        if self._cursor >= rows:  # the epoch turns over now, as _step_fast would
            self.epoch += 1
            self._cursor = 0
            self._new_epoch_order()
        work = self._chunked_step(fast)
        self._pending = (work, self._pending_key(), self.net.flat.copy())
        return work

    def _chunked_step(self, fast: FastPath) -> Generator[None, None, None]:
        """One step of the batch at the cursor on the fast path in pieces (see ``train_for``); the
        counters move only once it is done."""
        if self._fast_version != self._order_version:
            fast.load_epoch(self._Xo, self._To)
            self._fast_version = self._order_version
        rows = self.X.shape[0]
        start, stop = self._cursor, min(self._cursor + self._batch_size, rows)
        A0, T0 = fast.batch_data(start, stop, self._batch_size)
        loss, finite = yield from fast.step_pieces(A0, T0, self.optimizer, self.l1, self.l2, self.rng)
        self._cursor = stop
        self.step_count += 1
        self.last_loss = loss
        if not finite:
            self.diverged = True
            self.diverged_at = self.step_count

    def _step(self, n: int) -> float:
        l1, l2 = self.l1, self.l2
        fast = self._fast_path()
        if fast is not None:
            return self._step_fast(fast, n, l1, l2)
        net = self.net
        if self._grad is None:
            self._grad = np.zeros_like(net.flat)
        for _ in range(n):
            if self.diverged:
                return math.nan
            start, stop = self._advance()
            grads = net.loss_and_gradients(self._Xo[start:stop, :-1], self._To[start:stop], l1=l1, l2=l2,
                                           train=True, rng=self.rng, out=self._grad, checked=True)
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

    def _step_fast(self, fast: FastPath, n: int, l1: float, l2: float) -> float:
        """``step`` on the fast path: same batches, counters and divergence rule as the general loop,
        handed to ``FastPath.run`` one stretch within an epoch at a time."""
        rows, B = self.X.shape[0], self._batch_size
        done = 0
        while done < n:
            if self.diverged:
                return math.nan
            if self._cursor >= rows:
                self.epoch += 1
                self._cursor = 0
                self._new_epoch_order()
            if self._fast_version != self._order_version:
                fast.load_epoch(self._Xo, self._To)
                self._fast_version = self._order_version
            left_in_epoch = -(-(rows - self._cursor) // B)
            k, loss, finite = fast.run(self._cursor, min(n - done, left_in_epoch), B, self.optimizer, l1, l2,
                                       self.rng)
            done += k
            self.step_count += k
            self._cursor = min(self._cursor + k * B, rows)
            self.last_loss = loss
            if not finite:
                self.diverged = True
                self.diverged_at = self.step_count
                return math.nan
        return self.last_loss

    def steps_to_epoch_end(self) -> int:
        """Mini-batches from here to the end of the epoch (a whole epoch's when the next step starts one)."""
        n = self.X.shape[0]
        left = n - self._cursor if self._cursor < n else n
        return int(-(-left // self._batch_size))

    def epochs_done(self) -> float:
        """Fractional epochs: completed passes plus the part of the current one."""
        return float(self.epoch + self._cursor / self.X.shape[0])


def _rate(name: str, value: float) -> float:
    rate = float(value)
    if not math.isfinite(rate) or rate < 0:
        raise FieldError(name, f"{name} must be a finite number >= 0, got {rate!r}")
    return rate
