"""What the training fast path computes where: views of a network's parameters and of the gradient, the
runs of layers that share a call, and the feature-major buffers of one batch size (fastpath.py runs it).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

import numpy as np

from .fastunits import FORWARD, FROM_H
from .network import Network
from .params import Array

_K = TypeVar("_K", bound=Hashable)


class StepPlan:
    """The structure of one network's step, built once: ``WbT[l]``/``Wn[l]`` views of ``net.flat``,
    ``G[l]`` and ``Gstack`` views of ``grad`` ``(P,)``, the in-place unit of each hidden layer, and the
    runs of layers whose derivatives or weight gradients are one call each."""

    def __init__(self, net: Network):
        self.net = net
        self.flat = net.flat
        self.sizes = list(net.sizes)
        self.depth = net.depth
        self.hidden = net.depth - 1
        self.names = list(net.activations)
        self.grad = np.zeros_like(net.flat)
        self.ones = np.ones_like(net.flat)
        self.tmp = np.zeros_like(net.flat)
        self.WbT: list[Array] = []  # per weight layer: [W; b]^T (fan_out, fan_in + 1), a view of flat
        self.Wn: list[Array] = []  # W (fan_in, fan_out), a view of flat
        self.G: list[Array] = []  # the gradient's [W; b] (fan_in + 1, fan_out), a view of grad
        blocks = net.layer_blocks()
        for block in blocks:
            wb = block.wb(net.flat)  # [W; b]: the bias is the last row
            self.WbT.append(wb.T)
            self.Wn.append(wb[:-1])
            self.G.append(block.wb(self.grad))
        self.fwd_fn = [FORWARD.get(name) for name in self.names]
        self.output, self.loss_name = net.output, net.loss_name
        self.tanh_output = self.output == "tanh" and self.loss_name == "squared_error"
        units = self.names + (["tanh"] if self.tanh_output else [])
        self.deriv_runs = _runs([name if name in FROM_H else None for name in units])
        self.generic = [i for i, name in enumerate(self.names) if name not in FROM_H]
        # Batched weight-gradient runs over weight layers 1..hidden-1 (hidden-to-hidden): equal shape and
        # no unit parameters between them, so their gradients are adjacent in the flat buffer.
        keys: list[tuple[int, int] | None] = [
            None if net.unit_params[l] else (self.sizes[l], self.sizes[l + 1]) for l in range(1, self.hidden)]
        self.grad_runs: list[tuple[int, int]] = []  # (first, last) weight layer, inclusive
        self.Gstack: dict[tuple[int, int], Array] = {}  # a run's gradients (layers, fan_in + 1, fan_out)
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


class BatchBuffers:
    """Buffers for one batch size ``B``, feature-major: every array is ``(units, B)``.

    Feature-major keeps every element-wise call on one contiguous block (a ``(B, units)`` layout with a
    ones column would make them strided, which costs NumPy a loop per row). ``H[i]``: hidden layer i's
    activation with a last row of ones, ``(n_i + 1, B)``, all layers in one flat buffer; ``D[i]``: g'(z) in
    the same layout; ``Z[l]``: pre-activation of weight layer l; ``DZ[l]``: ``scale * dL/dz`` of weight
    layer l, all layers in one flat buffer (the last is the output's); ``DA[i]``: dL/dh of hidden layer i.
    """

    def __init__(self, fp: StepPlan, B: int):
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
        self.grads: list[tuple[Array, Array, Array]] = []  # (activations, dz^T, gradient) per call
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


def _runs(keys: Sequence[_K | None]) -> list[tuple[_K | None, int, int]]:
    """Maximal runs of equal consecutive keys: ``[(key, first, last), ...]`` (indices inclusive); None
    keys are never joined."""
    runs: list[tuple[_K | None, int, int]] = []
    for i, key in enumerate(keys):
        if runs and runs[-1][0] == key and key is not None:
            runs[-1] = (key, runs[-1][1], i)
        else:
            runs.append((key, i, i))
    return runs
