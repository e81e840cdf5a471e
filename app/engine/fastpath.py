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
from collections.abc import Generator

import numpy as np

from . import activations as act
from . import outputs
from .optimizers import SGD, Optimizer

# Units whose forward pass runs in place and whose derivative is computed from h = g(z) alone.
_FROM_H = ("linear", "relu", "tanh", "sigmoid", "hard_tanh")
# Weight-row products per piece of a chunked step (``FastPath.step_pieces``): ~1,000 rows behind 8 hidden
# layers of 64 units, a few ms of CPU, well inside a training slice. A batch this small or smaller (every
# batch of a small network) is one call, as before.
CHUNK_WORK = 30_000_000


def unsupported_reason(net, optimizer: Optimizer) -> str | None:
    """Why the fast path cannot train ``net`` with ``optimizer`` (None when it can)."""
    if any(kind in ("maxout", "rbf") for kind in net.kinds):
        return "maxout and rbf layers are trained by the general path"
    if type(optimizer).apply is Optimizer.apply:
        return f"optimizer {type(optimizer).__name__} has no apply(), only update(): the general path runs it"
    return None


# --- in-place hidden units -------------------------------------------------------------------------
def _relu(z, out):
    np.maximum(z, 0.0, out=out)


def _sigmoid(z, out):
    # Same operations in the same order as activations.sigmoid, so the values are identical.
    np.multiply(z, 0.5, out)
    np.tanh(out, out)
    np.add(out, 1.0, out)
    np.multiply(out, 0.5, out)


def _linear(z, out):
    np.copyto(out, z)


def _hard_tanh(z, out):
    np.clip(z, -1.0, 1.0, out=out)


_FORWARD = {"linear": _linear, "relu": _relu, "tanh": np.tanh, "sigmoid": _sigmoid, "hard_tanh": _hard_tanh}


def _derivative_from_h(name: str, h: np.ndarray, d: np.ndarray, one: np.ndarray) -> None:
    """``d = g'(z)`` written from ``h = g(z)`` (flat views over one or more layers; ``one`` is an array
    of ones of the same shape: array operands are cheaper than scalars on arrays this small)."""
    if name == "tanh":
        np.multiply(h, h, d)
        np.subtract(one, d, d)
    elif name == "sigmoid":
        np.subtract(one, h, d)
        np.multiply(d, h, d)
    elif name == "relu":
        # h = max(z, 0) is positive exactly where z is, and sign() of it is then 1, elsewhere 0.
        np.sign(h, d)
    elif name == "hard_tanh":
        # h = clip(z, -1, 1) has |h| < 1 exactly where |z| < 1.
        np.abs(h, d)
        np.less(d, one, d)
    # linear: d stays 1 (set when the buffers are made).


class _Batch:
    """Buffers for one batch size ``B``, feature-major: every array is ``(units, B)``.

    Feature-major keeps every element-wise call on one contiguous block (a ``(B, units)`` layout with a
    ones column would make them strided, which costs NumPy a loop per row). ``H[i]``: hidden layer i's
    activation with a last row of ones, ``(n_i + 1, B)``, all layers in one flat buffer; ``D[i]``: g'(z) in
    the same layout; ``Z[l]``: pre-activation of weight layer l; ``DZ[l]``: ``scale * dL/dz`` of weight
    layer l, all layers in one flat buffer (the last is the output's); ``DA[i]``: dL/dh of hidden layer i.
    """

    def __init__(self, fp: FastPath, B: int):
        sizes, hidden = fp.sizes, fp.hidden
        widths = sizes[1:-1]
        K = sizes[-1]
        # A tanh output's activation sits after the hidden layers, so 1 - y^2 joins their derivative run.
        extra = K * B if fp.tanh_output else 0
        self.hbuf = np.zeros(B * sum(w + 1 for w in widths) + extra)
        self.dbuf = np.ones_like(self.hbuf)
        self.dzbuf = np.zeros(B * sum(sizes[1:]))
        self.H, self.D, self.hseg, self.DA = [], [], [], []
        pos = 0
        for w in widths:
            self.hseg.append((pos, pos + B * (w + 1)))
            self.H.append(self.hbuf[pos:pos + B * (w + 1)].reshape(w + 1, B))
            self.D.append(self.dbuf[pos:pos + B * (w + 1)].reshape(w + 1, B))
            self.H[-1][-1] = 1.0
            self.DA.append(np.zeros((w, B)))
            pos += B * (w + 1)
        self.DZ, self.dzseg = [], []
        pos = 0
        for w in sizes[1:]:
            self.dzseg.append((pos, pos + B * w))
            self.DZ.append(self.dzbuf[pos:pos + B * w].reshape(w, B))
            pos += B * w
        self.Z = [np.zeros((w, B)) for w in sizes[1:]]
        if extra:
            end = self.hbuf.size
            self.hseg.append((end - extra, end))
            self.Y, self.Dout = self.hbuf[-extra:].reshape(K, B), self.dbuf[-extra:].reshape(K, B)
        else:
            self.Y = np.zeros((K, B))
        self.diff, self.tmp = np.zeros((K, B)), np.zeros((K, B))
        self.diff1 = self.diff.reshape(-1)
        # Inputs and targets of a batch that does not start on a block boundary (see FastPath.batch_data).
        self.A0, self.T0 = np.ones((sizes[0] + 1, B)), np.zeros((K, B))
        # Forward plan of the hidden layers: ([W; b]^T, Z, in-place unit or None, activation rows, index).
        self.forward = [(fp.WbT[i], self.Z[i], fp.fwd_fn[i], self.H[i][:-1], i) for i in range(hidden)]
        # Derivative plan: runs of consecutive layers sharing an in-place unit, as flat segments.
        self.derivs = []
        self.one = np.ones_like(self.hbuf)
        for name, a, b in fp.deriv_runs:
            if name not in (None, "linear"):
                lo, hi = self.hseg[a][0], self.hseg[b][1]
                self.derivs.append((name, self.hbuf[lo:hi], self.dbuf[lo:hi], self.one[lo:hi]))
        # Backward plan per hidden layer i, top down: (dz of layer i+1, W[i+1], DA[i], g'(z) rows, DZ[i]).
        # The last entry is None, or for a prelu layer (its slope's slice in the gradient, its z).
        self.backward = [(fp.Wn[i + 1], self.DZ[i + 1], self.DA[i], self.D[i][:-1], self.DZ[i],
                          (fp.prelu[i], self.Z[i]) if i in fp.prelu else None)
                         for i in range(hidden - 1, -1, -1)]
        # Weight gradients of layers 1..: batched over runs of equal shape, else one dot per layer.
        self.grads = []
        for a, b in fp.grad_runs:
            if a == b:
                self.grads.append((self.H[a - 1], self.DZ[a].T, fp.G[a]))
            else:
                r = b - a + 1
                h = self.hbuf[self.hseg[a - 1][0]:self.hseg[b - 1][1]].reshape(r, sizes[a] + 1, B)
                dz = self.dzbuf[self.dzseg[a][0]:self.dzseg[b][1]].reshape(r, sizes[a + 1], B)
                self.grads.append((h, dz.transpose(0, 2, 1), fp.Gstack[(a, b)]))

    def arrays(self) -> list[np.ndarray]:
        return [self.hbuf, self.dbuf, self.one, self.dzbuf, self.Y, self.diff, self.tmp, self.A0, self.T0,
                *self.DA, *self.Z]


class FastPath:
    """Trains ``net`` in place; built once per network (``net.flat`` must not be replaced afterwards).

    ``load_epoch`` hands it the epoch's ordered training data; ``run(start, steps, B, ...)`` trains on
    consecutive batches of that order.
    """

    def __init__(self, net):
        reason = unsupported_reason(net, SGD(1.0))
        if reason:
            raise ValueError(reason)
        self.net = net
        self.flat = net.flat
        self.sizes = list(net.sizes)
        self.depth = net.depth
        self.hidden = net.depth - 1
        self.names = list(net.activations)
        self.grad = np.zeros_like(net.flat)
        self.ones = np.ones_like(net.flat)
        self.tmp = np.zeros_like(net.flat)
        self.WbT, self.Wn, self.G = [], [], []
        blocks = net.layer_blocks()
        for block in blocks:
            wb = block.wb(net.flat)  # [W; b]: the bias is the last row
            self.WbT.append(wb.T)
            self.Wn.append(wb[:-1])
            self.G.append(block.wb(self.grad))
        self.fwd_fn = [_FORWARD.get(name) for name in self.names]
        self.output, self.loss_name = net.output, net.loss_name
        self.tanh_output = self.output == "tanh" and self.loss_name == "squared_error"
        units = self.names + (["tanh"] if self.tanh_output else [])
        self.deriv_runs = _runs([name if name in _FROM_H else None for name in units])
        self.generic = [i for i, name in enumerate(self.names) if name not in _FROM_H]
        # Batched weight-gradient runs over weight layers 1..hidden-1 (hidden-to-hidden): equal shape and
        # no unit parameters between them, so their gradients are adjacent in the flat buffer.
        keys = [None if net.unit_params[l] else (self.sizes[l], self.sizes[l + 1])
                for l in range(1, self.hidden)]
        self.grad_runs, self.Gstack = [], {}
        for key, a, b in _runs(keys):
            a, b = a + 1, b + 1
            if key is None or a == b:
                self.grad_runs.extend((l, l) for l in range(a, b + 1))
                continue
            self.grad_runs.append((a, b))
            start, stop = blocks[a].span.start, blocks[b].span.stop
            self.Gstack[(a, b)] = self.grad[start:stop].reshape(b - a + 1, key[0] + 1, key[1])
        self.prelu = {i: blocks[i].params["slope"] for i, name in enumerate(self.names) if name == "prelu"}
        self._squared = self.loss_name == "squared_error" and self.output in ("linear", "tanh")
        self._batches: dict[int, _Batch] = {}
        self._blocks: dict[int, list] = {}
        self._chunks: dict[int, _Batch] = {}
        self._acc: np.ndarray | None = None  # the gradient accumulated over a chunked step's pieces
        self._Xo = self._To = None
        self._epoch_version = 0
        self._reg_key = None
        self._reg = (None, None)

    # --- data ---------------------------------------------------------------------------------------
    def load_epoch(self, Xo: np.ndarray, To: np.ndarray) -> None:
        """The epoch's training rows in visiting order: inputs with a ones column ``(n, n0 + 1)`` and
        targets ``(n, K)``. Kept by reference; call again whenever their contents change."""
        self._Xo, self._To = Xo, To
        self._epoch_version += 1

    def batch_data(self, start: int, stop: int, B: int) -> tuple[np.ndarray, np.ndarray]:
        """Feature-major inputs ``(n0 + 1, b)`` and targets ``(K, b)`` of rows ``start:stop``.

        Batches of the nominal size ``B`` that start on a multiple of ``B`` are views into a block
        layout built once per epoch; any other slice (the batch size changed mid-epoch) is copied.
        """
        if start % B == 0:
            blocks = self._blocks.get(B)
            if blocks is None:  # a new batch size: the old sizes' layouts are dropped
                self._blocks.clear()
            if blocks is None or blocks[0] != self._epoch_version:
                blocks = self._blocks[B] = self._layout_blocks(B, blocks)
            return blocks[1][start // B]
        bt = self.batch(stop - start)
        np.copyto(bt.A0, self._Xo[start:stop].T)
        np.copyto(bt.T0, self._To[start:stop].T)
        return bt.A0, bt.T0

    def _layout_blocks(self, B: int, old: list | None) -> list:
        """``[epoch version, [(inputs, targets) per batch], buffers...]`` for batches of size ``B``."""
        Xo, To = self._Xo, self._To
        if old is None:
            xb, tb = np.empty(Xo.size), np.empty(To.size)
            views = list(zip(_block_views(xb, Xo.shape, B), _block_views(tb, To.shape, B), strict=True))
        else:
            _, views, xb, tb = old
        _fill_blocks(xb, Xo, B)
        _fill_blocks(tb, To, B)
        return [self._epoch_version, views, xb, tb]

    def batch(self, B: int) -> _Batch:
        """The buffers for batches of ``B`` rows. An epoch needs at most two sizes; when a user walks the
        batch size through many values, older sizes are dropped rather than kept forever."""
        buf = self._batches.get(B)
        if buf is None:
            if len(self._batches) >= 4:
                self._batches.clear()
            buf = self._batches[B] = _Batch(self, B)
        return buf

    def nbytes(self) -> int:
        """Bytes held in this fast path's own buffers (not the network's parameters)."""
        arrays = [self.grad, self.ones, self.tmp]
        for bt in (*self._batches.values(), *self._chunks.values()):
            arrays.extend(bt.arrays())
        if self._acc is not None:
            arrays.append(self._acc)
        for blocks in self._blocks.values():
            arrays.extend(blocks[2:])
        return sum(a.nbytes for a in arrays)

    # --- training ---------------------------------------------------------------------------------
    def run(self, start: int, steps: int, B: int, optimizer: Optimizer, l1: float, l2: float,
            rng: np.random.Generator) -> tuple[int, float, bool]:
        """Up to ``steps`` consecutive batches of ``B`` rows from row ``start`` of the epoch order (the
        epoch's last batch may be shorter; the caller keeps ``steps`` within the epoch). Stops after the
        first step whose loss or parameters are not finite. Returns (steps done, last loss, all finite)."""
        n = self._Xo.shape[0]
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

    def _gradient(self, bt: _Batch, A0: np.ndarray, T0: np.ndarray, scale: float,
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
            _derivative_from_h(name, h, d, one)
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

    def _train(self, bt: _Batch, A0: np.ndarray, T0: np.ndarray, optimizer: Optimizer, scale: float,
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

    def _chunk(self, rows: int) -> _Batch:
        """Buffers for a chunk of ``rows`` (kept apart from the batch sizes': a chunked epoch needs the
        chunk size and the last chunk's, of the full batch and of the epoch's last batch)."""
        buf = self._chunks.get(rows)
        if buf is None:
            if len(self._chunks) >= 4:
                self._chunks.clear()
            buf = self._chunks[rows] = _Batch(self, rows)
        return buf

    def _output_delta(self, bt: _Batch, T: np.ndarray, scale: float) -> float:
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
        return loss

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


def _block_views(buf: np.ndarray, shape: tuple[int, int], B: int) -> list[np.ndarray]:
    """Views of flat ``buf`` as consecutive feature-major blocks ``(c, B)`` of rows of an ``(n, c)`` array
    (the last block holds the ``n % B`` rows left over)."""
    (n, c), full = shape, shape[0] // B
    views = [buf[k * B * c:(k + 1) * B * c].reshape(c, B) for k in range(full)]
    if n > full * B:
        views.append(buf[full * B * c:].reshape(c, n - full * B))
    return views


def _fill_blocks(buf: np.ndarray, src: np.ndarray, B: int) -> None:
    """Write ``src`` ``(n, c)`` into ``buf`` in the layout of ``_block_views`` (two copies at most)."""
    n, c = src.shape
    full = n // B
    np.copyto(buf[:full * B * c].reshape(full, c, B), src[:full * B].reshape(full, B, c).transpose(0, 2, 1))
    if n > full * B:
        np.copyto(buf[full * B * c:].reshape(c, n - full * B), src[full * B:].T)


def _runs(keys: list) -> list[tuple]:
    """Maximal runs of equal consecutive keys: ``[(key, first, last), ...]`` (indices inclusive)."""
    runs = []
    for i, key in enumerate(keys):
        if runs and runs[-1][0] == key and key is not None:
            runs[-1] = (key, runs[-1][1], i)
        else:
            runs.append((key, i, i))
    return runs
