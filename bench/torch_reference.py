"""The same networks in PyTorch on the CPU (autograd, float32, one thread): the benchmark's reference.

Written as a PyTorch user would, in its lean form: parameters as ``nn.Parameter`` tensors, layers through
``torch.nn.functional.linear`` (calling ``nn.Linear`` modules adds ~25 us per layer per call in the
installed torch, which would flatter our ratios), ``torch.optim.SGD``, a fresh ``randperm`` order each
epoch, ``no_grad`` for the grid. The caller imports this module only when torch is installed.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

torch.set_num_threads(1)

ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


class TorchMLP:
    """Hidden layers of one unit, a tanh output and squared error (labels +-1), SGD."""

    def __init__(self, sizes: list[int], unit: str, lr: float, seed: int = 0):
        torch.manual_seed(seed)
        self.W, self.b = [], []
        for a, b in itertools.pairwise(sizes):
            self.W.append(nn.Parameter(torch.empty(b, a).uniform_(-0.5, 0.5)))
            self.b.append(nn.Parameter(torch.full((b,), 0.1)))
        self.units = [ACTIVATIONS[unit]] * (len(sizes) - 2) + [torch.tanh]
        self.opt = torch.optim.SGD([*self.W, *self.b], lr=lr)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations of every layer after the input, each ``(n, units)``."""
        acts = []
        for W, b, g in zip(self.W, self.b, self.units, strict=True):
            x = g(F.linear(x, W, b))
            acts.append(x)
        return acts

    def epoch(self, X: torch.Tensor, t: torch.Tensor, batch: int) -> float:
        """One pass over ``X`` ``(n, d)`` in a fresh random order; returns the last batch's loss."""
        order = torch.randperm(X.shape[0])
        loss = torch.zeros(())
        for start in range(0, X.shape[0], batch):
            idx = order[start:start + batch]
            self.opt.zero_grad()
            y = self.forward(X[idx])[-1]
            loss = 0.5 * ((y - t[idx]) ** 2).sum(dim=1).mean()
            loss.backward()
            self.opt.step()
        return float(loss.detach())

    @torch.no_grad()
    def grid(self, points: torch.Tensor) -> list[torch.Tensor]:
        """Every hidden unit and the output on ``points`` ``(N, d)``: all activations of one pass."""
        return self.forward(points)


def tensors(X: np.ndarray, t: np.ndarray, points: np.ndarray) -> tuple[torch.Tensor, ...]:
    """float32 tensors of the training inputs, targets ``(n, 1)`` and grid points."""
    return tuple(torch.as_tensor(np.asarray(a, dtype=np.float32)) for a in (X, t, points))
