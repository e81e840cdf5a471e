"""The training fast path: one optimizer step on a mini-batch with no per-step allocation.

``Trainer`` uses it whenever it applies (every element-wise hidden unit, every output/loss pair, every
optimizer with an ``apply``; maxout and rbf layers take the general path, see ``unsupported_reason``).
It computes the same numbers as ``net.loss_and_gradients`` + ``optimizer.update`` up to rounding
(~1e-15 per step), and is deterministic: the same inputs give the same bits.

Where the speed comes from (a 2-8-8-8-8-1 step on a batch of 10 is ~30 NumPy calls on arrays of ~100
numbers, so its cost is the number of calls, not the arithmetic):

* Activations are feature-major, ``(units, B)``, with a last row of ones; a layer's weights and biases are
  adjacent in ``net.flat``, so ``[W; b]`` is one ``(fan_in + 1, fan_out)`` view: ``z = [W; b]^T [a; 1]`` is
  one call, and ``[a; 1] dz^T`` writes the weight and bias gradients in one call. Feature-major keeps
  every element-wise call on one contiguous block (NumPy loops per row over strided 2-D views).
* All hidden activations (and a tanh output) live in one flat buffer, so the derivative of every layer
  that shares a unit comes from ``h`` in one or two calls (tanh: ``1 - h^2``; relu: ``sign(h)``).
* Consecutive hidden layers of equal shape get their weight gradients from one batched ``matmul``.
* The optimizer's ``grad_scale`` is folded into the output delta (SGD and momentum back-propagate
  ``-lr * dL/dz``), and its ``apply`` steps from that: the SGD update is one in-place add.
* Buffers are allocated once per batch size (an epoch the batch does not divide has two), and each epoch's
  shuffled data is laid out once as contiguous per-batch blocks.
* Per-call overhead is trimmed where it is a sizeable part of a ~1 us call: products use the
  ``ndarray.dot`` method (``np.dot`` goes through the ``__array_function__`` dispatcher first), ``out``
  is passed positionally (keyword parsing costs a few hundred ns), and constants that meet whole arrays
  are arrays of ones rather than Python scalars.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np

from . import activations as act
from . import outputs
from .fastdata import EpochBlocks
from .fastplan import BatchBuffers, StepPlan
from .fastunits import derivative_from_h
from .network import Network
from .optimizers import SGD, Optimizer
from .params import Array

# A batch's buffers cache at most this many batch sizes (an epoch needs two; see FastPath.batch).
_CACHED_SIZES = 4
# Weight-row products per piece of a chunked step (``FastPath.step_pieces``): ~1,000 rows behind 8 hidden
# layers of 64 units, a few ms of CPU, well inside a training slice. A batch this small or smaller (every
# batch of a small network) is one call, as before.
CHUNK_WORK = 30_000_000


def unsupported_reason(net: Network, optimizer: Optimizer) -> str | None:
    """Why the fast path cannot train ``net`` with ``optimizer`` (None when it can)."""
    if any(kind in ("maxout", "rbf") for kind in net.kinds):
        return "maxout and rbf layers are trained by the general path"
    if type(optimizer).apply is Optimizer.apply:
        return f"optimizer {type(optimizer).__name__} has no apply(), only update(): the general path runs it"
    return None


class FastPath(StepPlan):
    """Trains ``net`` in place; built once per network (``net.flat`` must not be replaced afterwards).

    ``load_epoch`` hands it the epoch's ordered training data; ``run(start, steps, B, ...)`` trains on
    consecutive batches of that order. What each call works on (views, runs, batch buffers) is laid out
    by ``StepPlan`` (fastplan.py); this class runs it.
    """

    def __init__(self, net: Network):
        reason = unsupported_reason(net, SGD(1.0))
        if reason:
            raise ValueError(reason)
        super().__init__(net)
        self._batches: dict[int, BatchBuffers] = {}
        self._chunks: dict[int, BatchBuffers] = {}
        self._acc: Array | None = None  # the gradient accumulated over a chunked step's pieces
        self.epoch = EpochBlocks()
        self._reg_key: tuple[float, float, float] | None = None
        self._reg: tuple[Array | None, Array | None] = (None, None)

    # --- data ---------------------------------------------------------------------------------------
    def load_epoch(self, Xo: Array, To: Array) -> None:
        """The epoch's training rows in visiting order: inputs with a ones column ``(n, n0 + 1)`` and
        targets ``(n, K)``. Kept by reference; call again whenever their contents change."""
        self.epoch.load(Xo, To)

    def batch_data(self, start: int, stop: int, B: int) -> tuple[Array, Array]:
        """Feature-major inputs ``(n0 + 1, b)`` and targets ``(K, b)`` of rows ``start:stop``.

        Batches of the nominal size ``B`` that start on a multiple of ``B`` are views into a block
        layout built once per epoch; any other slice (the batch size changed mid-epoch) is copied.
        """
        if start % B == 0:
            return self.epoch.block(start, B)
        bt = self.batch(stop - start)
        np.copyto(bt.A0, self.epoch.X[start:stop].T)
        np.copyto(bt.T0, self.epoch.T[start:stop].T)
        return bt.A0, bt.T0

    def batch(self, B: int) -> BatchBuffers:
        """The buffers for batches of ``B`` rows. An epoch needs at most two sizes; when a user walks the
        batch size through many values, older sizes are dropped rather than kept forever."""
        return _cached(self._batches, B, lambda: BatchBuffers(self, B))

    def nbytes(self) -> int:
        """Bytes held in this fast path's own buffers (not the network's parameters)."""
        arrays = [self.grad, self.ones, self.tmp]
        for bt in (*self._batches.values(), *self._chunks.values()):
            arrays.extend(bt.arrays())
        if self._acc is not None:
            arrays.append(self._acc)
        arrays.extend(self.epoch.arrays())
        return sum(a.nbytes for a in arrays)

    # --- training ---------------------------------------------------------------------------------
    def run(self, start: int, steps: int, B: int, optimizer: Optimizer, l1: float, l2: float,
            rng: np.random.Generator) -> tuple[int, float, bool]:
        """Up to ``steps`` consecutive batches of ``B`` rows from row ``start`` of the epoch order (the
        epoch's last batch may be shorter; the caller keeps ``steps`` within the epoch). Stops after the
        first step whose loss or parameters are not finite. Returns (steps done, last loss, all finite)."""
        n = self.epoch.X.shape[0]
        train, flat, ones, isfinite = self._train, self.flat, self.ones, math.isfinite
        scale, full = optimizer.grad_scale, self.batch(B)
        loss = math.nan
        for done in range(1, steps + 1):
            stop = min(start + B, n)
            A0, T0 = self.batch_data(start, stop, B)
            bt = full if stop - start == B else self.batch(stop - start)
            loss = train(bt, A0, T0, optimizer, scale, l1, l2, rng)
            # A dot with ones propagates NaN and inf from any parameter, in one call.
            if not (isfinite(loss) and isfinite(flat.dot(ones))):
                return done, loss, False
            start = stop
        return steps, loss, True

    def _gradient(self, bt: BatchBuffers, A0: np.ndarray, T0: np.ndarray, scale: float,
                  rng: np.random.Generator, drawn: dict[int, np.ndarray] | None = None) -> float:
        """Forward and backward pass on batch buffers ``bt`` with inputs ``A0`` and targets ``T0``: the
        data loss, and ``scale`` times its gradient written to ``self.grad`` (no penalty, no update).
        ``drawn``: rrelu slopes ``(rows, units)`` by layer, already drawn for these rows (a chunk's)."""
        net = self.net
        slopes = {}
        a = A0
        for WbT, Z, fn, h, i in bt.forward:
            WbT.dot(a, Z)
            if fn is not None:
                fn(Z, h)
            else:
                name, s = self.names[i], None
                if name == "rrelu":  # drawn (example, unit)-major, as the general path does
                    s = slopes[i] = drawn[i] if drawn is not None else rng.uniform(
                        act.RRELU_LOW, act.RRELU_HIGH, size=Z.shape[::-1])
                h.T[...] = act.forward(name, Z.T, net.unit_params[i], net.options, s)
            a = bt.H[i]
        self.WbT[-1].dot(a, bt.Z[-1])
        if self.tanh_output:
            np.tanh(bt.Z[-1], bt.Y)
        for name, h, d, one in bt.derivs:
            derivative_from_h(name, h, d, one)
        loss = self._output_delta(bt, T0, scale)
        for i in self.generic:
            bt.D[i][:-1].T[...] = act.derivative(self.names[i], bt.Z[i].T, bt.H[i][:-1].T,
                                                 net.unit_params[i], net.options, slopes.get(i))
        G, grad = self.G, self.grad
        a.dot(bt.DZ[-1].T, G[-1])
        multiply = np.multiply
        for Wn, dz_up, da, d, dz, prelu in bt.backward:
            Wn.dot(dz_up, da)
            multiply(da, d, dz)
            if prelu is not None:
                grad[prelu[0]] = np.sum(da * np.minimum(prelu[1], 0.0), axis=1)
        if self.hidden:
            A0.dot(bt.DZ[0].T, G[0])
        for h, dzT, g in bt.grads:
            np.matmul(h, dzT, g)
        return loss

    def _train(self, bt: BatchBuffers, A0: np.ndarray, T0: np.ndarray, optimizer: Optimizer, scale: float,
               l1: float, l2: float, rng: np.random.Generator) -> float:
        """The step itself on batch buffers ``bt`` with inputs ``A0`` and targets ``T0``."""
        loss = self._gradient(bt, A0, T0, scale, rng)
        if l1 or l2:
            self._add_regularization(scale, l1, l2)
        optimizer.apply(self.flat, self.grad, self.tmp)
        return loss

    # --- a big batch in pieces ------------------------------------------------------------------------
    def chunk_rows(self) -> int:
        """Rows of a batch per piece of a chunked step: about ``CHUNK_WORK`` weight-row products."""
        return max(1, CHUNK_WORK // self.flat.size)

    def step_pieces(self, A0: np.ndarray, T0: np.ndarray, optimizer: Optimizer, l1: float, l2: float,
                    rng: np.random.Generator) -> Generator[None, None, tuple[float, bool]]:
        """One step on the batch ``A0`` ``(n0 + 1, b)``, ``T0`` ``(K, b)`` as pieces of bounded work: a
        generator that yields after the gradient of each chunk of ``chunk_rows()`` rows, accumulates them
        (the batch's gradient up to rounding: each chunk's output delta is scaled by 1 / b, not by
        1 / its own rows), then regularizes and updates at once. Returns (loss, all finite).

        Nothing is changed in the network until the last piece, so a caller may drop the generator
        between pieces. The chunking depends only on the sizes, so the same inputs give the same bits."""
        b, c = A0.shape[1], self.chunk_rows()
        scale = optimizer.grad_scale
        if self._acc is None:
            self._acc = np.zeros_like(self.flat)
        acc, grad = self._acc, self.grad
        # rrelu slopes are drawn for the whole batch a layer at a time, as the one-piece step draws them
        drawn = {i: rng.uniform(act.RRELU_LOW, act.RRELU_HIGH, size=(b, self.sizes[i + 1]))
                 for i in self.generic if self.names[i] == "rrelu"}
        total = 0.0
        for lo in range(0, b, c):
            hi = min(lo + c, b)
            bt = self._chunk(hi - lo)
            np.copyto(bt.A0, A0[:, lo:hi])
            np.copyto(bt.T0, T0[:, lo:hi])
            # _output_delta divides by the chunk's rows: scale by rows / b to divide by the batch's
            total += self._gradient(bt, bt.A0, bt.T0, scale * (hi - lo) / b, rng,
                                    {i: s[lo:hi] for i, s in drawn.items()}) * (hi - lo)
            if lo == 0:
                np.copyto(acc, grad)
            else:
                np.add(acc, grad, acc)
            yield
        np.copyto(grad, acc)
        if l1 or l2:
            self._add_regularization(scale, l1, l2)
        optimizer.apply(self.flat, self.grad, self.tmp)
        loss = total / b
        return loss, math.isfinite(loss) and math.isfinite(self.flat.dot(self.ones))

    def _chunk(self, rows: int) -> BatchBuffers:
        """Buffers for a chunk of ``rows`` (kept apart from the batch sizes': a chunked epoch needs the
        chunk size and the last chunk's, of the full batch and of the epoch's last batch)."""
        return _cached(self._chunks, rows, lambda: BatchBuffers(self, rows))

    def _output_delta(self, bt: BatchBuffers, T: np.ndarray, scale: float) -> float:
        """Output activation, data loss, and ``scale * dL/dz`` of the output layer into ``bt.DZ[-1]``."""
        Z, Y, dz, diff = bt.Z[-1], bt.Y, bt.DZ[-1], bt.diff
        n = Z.shape[1]
        if self._squared:
            # tanh: Y and its derivative 1 - Y^2 (bt.Dout) were computed with the hidden layers.
            np.subtract(Y if self.tanh_output else Z, T, diff)
            loss = 0.5 * float(bt.diff1.dot(bt.diff1)) / n
            np.multiply(diff, scale / n, dz)
            if self.tanh_output:
                np.multiply(dz, bt.Dout, dz)
            return loss
        Y.T[...] = outputs.activate(self.output, Z.T)
        loss, delta = outputs.loss_and_delta(self.output, self.loss_name, Z.T, Y.T, T.T)
        np.multiply(delta.T, scale, out=dz)
        return float(loss)

    def _add_regularization(self, scale: float, l1: float, l2: float) -> None:
        """Add ``scale`` times the penalty's gradient (weights only, see ``net.reg_mask``) to ``grad``."""
        key = (scale, l1, l2)
        if key != self._reg_key:
            mask = self.net.reg_mask
            self._reg = (scale * l1 * mask if l1 else None, scale * l2 * mask if l2 else None)
            self._reg_key = key
        r1, r2 = self._reg
        tmp = self.tmp
        if r1 is not None:
            np.sign(self.flat, out=tmp)
            np.multiply(tmp, r1, out=tmp)
            np.add(self.grad, tmp, out=self.grad)
        if r2 is not None:
            np.multiply(self.flat, r2, out=tmp)
            np.add(self.grad, tmp, out=self.grad)


def _cached(cache: dict[int, BatchBuffers], rows: int, make: Callable[[], BatchBuffers]) -> BatchBuffers:
    """``cache[rows]``, made by ``make`` when missing; a full cache is emptied first, so walking through
    many sizes keeps at most ``_CACHED_SIZES`` of them."""
    buf = cache.get(rows)
    if buf is None:
        if len(cache) >= _CACHED_SIZES:
            cache.clear()
        buf = cache[rows] = make()
    return buf
