"""The W2 floor: the NumPy calls a grid of every unit's map cannot avoid, without any Python around them.

bench/engine.py times two bare call sequences for a network of tanh or relu hidden units and a tanh
output, float32, on the served grid's points:

* ``"floor"``: every hidden unit's map in ONE ``(units, N)`` buffer with nothing between the layers (our
  grid's layout until issue 14), so only the first layer gets its bias from a row of ones under its
  input; every later layer needs a pass of its own for the bias: matmul, bias, unit.
* ``"floor, ones rows"``: a row of ones under every layer (E2b's layout, and our grid's since: its one
  buffer holds a ones row under each layer's units), so every bias rides in the matmul: matmul, unit.

``ours / floor, ones rows`` says how much our grid spends around the calls; ``floor / floor, ones rows``
what a bias pass per layer would cost.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _unit(name: str) -> Callable[[np.ndarray], None]:
    if name == "tanh":
        return lambda h: np.tanh(h, out=h)
    return lambda h: np.clip(h, 0.0, np.inf, out=h)  # the grid's relu (one pass)


def floor_jobs(net, unit: str, points: np.ndarray) -> dict[str, Callable[[], None]]:
    """Both call sequences for ``net`` (hidden units ``unit``, tanh output) on ``points`` ``(N, 2)``."""
    f32 = np.float32
    n = points.shape[0]
    wb = [np.vstack([W, b[None, :]]).T.astype(f32) for W, b in zip(net.weights, net.biases, strict=True)]
    w = [m[:, :-1].copy() for m in wb]
    b = [m[:, -1:].copy() for m in wb]
    g, out = _unit(unit), _unit("tanh")
    inputs = np.ones((3, n), dtype=f32)
    inputs[:2] = points.T
    widths = [m.shape[0] for m in wb[:-1]]
    hidden = np.empty((sum(widths), n), dtype=f32)
    blocks = np.split(hidden, np.cumsum(widths)[:-1])
    output = np.empty((1, n), dtype=f32)
    augmented = [np.ones((k + 1, n), dtype=f32) for k in widths]

    def one_buffer() -> None:
        np.matmul(wb[0], inputs, out=blocks[0])
        g(blocks[0])
        for l in range(1, len(blocks)):
            np.matmul(w[l], blocks[l - 1], out=blocks[l])
            np.add(blocks[l], b[l], out=blocks[l])
            g(blocks[l])
        np.matmul(w[-1], blocks[-1], out=output)
        np.add(output, b[-1], out=output)
        out(output)

    def ones_rows() -> None:
        a = inputs
        for l, buf in enumerate(augmented):
            h = buf[:-1]
            np.matmul(wb[l], a, out=h)
            g(h)
            a = buf
        np.matmul(wb[-1], a, out=output)
        out(output)

    return {"floor": one_buffer, "floor, ones rows": ones_rows}
