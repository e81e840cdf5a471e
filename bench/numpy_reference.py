"""A plain NumPy multilayer perceptron written the textbook way: new arrays on every call.

The benchmark's baseline for "NumPy without care": ``a @ W + b`` per layer, a list of activations kept
for the backward pass, gradients as fresh arrays, one update per parameter array. Same conventions as
the engine (``W[l]`` of shape ``(fan_in, fan_out)``, tanh output with squared error and labels +-1),
float64 throughout.
"""

from __future__ import annotations

import itertools

import numpy as np

UNITS = {
    "tanh": (np.tanh, lambda h: 1.0 - h * h),
    "relu": (lambda z: np.maximum(z, 0.0), lambda h: (h > 0).astype(h.dtype)),
}


class TextbookMLP:
    """Hidden layers of one unit (``"tanh"`` or ``"relu"``), a tanh output, squared error."""

    def __init__(self, sizes: list[int], unit: str, rng: np.random.Generator):
        self.g, self.dg = UNITS[unit]
        self.W = [rng.uniform(-0.5, 0.5, size=(a, b)) for a, b in itertools.pairwise(sizes)]
        self.b = [np.full(b, 0.1) for b in sizes[1:]]

    def forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Activations of every layer: ``[X, h1, ..., output]``, each ``(n, units)``."""
        acts = [X]
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = acts[-1] @ W + b
            acts.append(np.tanh(z) if l == last else self.g(z))
        return acts

    def train_step(self, X: np.ndarray, t: np.ndarray, lr: float) -> float:
        """One SGD step on the batch ``X`` ``(n, d)`` with targets ``t`` ``(n, 1)``; returns the loss."""
        acts = self.forward(X)
        y = acts[-1]
        n = X.shape[0]
        loss = 0.5 * float(np.sum((y - t) ** 2)) / n
        dz = (y - t) * (1.0 - y * y) / n
        grads_W, grads_b = [], []
        for l in range(len(self.W) - 1, -1, -1):
            grads_W.append(acts[l].T @ dz)
            grads_b.append(dz.sum(axis=0))
            if l > 0:
                dz = (dz @ self.W[l].T) * self.dg(acts[l])
        for W, b, gW, gb in zip(self.W, self.b, reversed(grads_W), reversed(grads_b), strict=True):
            W -= lr * gW
            b -= lr * gb
        return loss

    def epoch(self, X: np.ndarray, t: np.ndarray, batch: int, lr: float, rng: np.random.Generator) -> float:
        """One pass over ``X`` in a fresh random order; returns the last batch's loss."""
        order = rng.permutation(X.shape[0])
        loss = 0.0
        for start in range(0, X.shape[0], batch):
            idx = order[start:start + batch]
            loss = self.train_step(X[idx], t[idx], lr)
        return loss

    def grid(self, points: np.ndarray) -> list[np.ndarray]:
        """Every hidden unit and the output on ``points`` ``(N, d)`` (the activations of one forward pass)."""
        return self.forward(points)[1:]
