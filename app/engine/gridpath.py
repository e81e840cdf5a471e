"""Which way the grid computes tanh/sigmoid units on this CPU: measured once per process, not assumed.

Two ways give the same maps up to float32 rounding (tests/engine/test_gridpath.py):

* ``"exp"``: from ``e^(s z)`` (gridexp.py), a separable first layer and the later layers' biases folded
  into the division. It wins where NumPy's float32 tanh is a scalar loop (AVX2 CPUs: ~10 passes' worth).
* ``"tanh"``: a matmul and NumPy's own ``np.tanh`` (sigmoid z = (1 + tanh(z / 2)) / 2). It wins where
  NumPy vectorises tanh (AVX-512 CPUs), although later layers then pay a separate pass for the bias.

The first layer and the later layers are decided separately: ``choice()`` times both ways of each on a
100 x 100 grid of 8 units (about 2 ms, once per process; best of several interleaved rounds, so a burst
of load on the machine does not decide it). ``MLP_GRID_PATH=exp|tanh`` (or the module attribute
``forced``, for tests) fixes both instead. Either way a process computes deterministic maps; two
processes on different CPUs may differ in the last float32 bit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .gridexp import BiasFold, SeparableFirstLayer
from .network import Network

PATHS = ("exp", "tanh")
ENV = "MLP_GRID_PATH"
#: "exp" or "tanh" fixes the path for this process (tests); None defers to ``$MLP_GRID_PATH``, then to a
#: measurement.
forced: str | None = None
# What ``choice`` times: 8 units (the playground's widest default layer) over a 100 x 100 grid, as served.
_UNITS, _SIZE, _ROUNDS = 8, 100, 7

Floats = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class PathChoice:
    """``first``: the first layer's path; ``later``: every later layer's; ``how``: why (for reports)."""

    first: str
    later: str
    how: str

    def describe(self) -> str:
        return f"first layer {self.first}, later layers {self.later} ({self.how})"


_measured: PathChoice | None = None


def choice() -> PathChoice:
    """The path for this process: forced (``forced``, then ``$MLP_GRID_PATH``), else measured once.

    Raises ValueError naming ``MLP_GRID_PATH`` when it holds something other than exp, tanh or auto."""
    global _measured
    name, source = (forced, "forced by gridpath.forced") if forced else (os.environ.get(ENV, ""), ENV)
    if name in PATHS:
        return PathChoice(name, name, f"forced by {source}={name}" if source == ENV else source)
    if name not in ("", "auto"):
        raise ValueError(f"{source}: expected one of exp, tanh, auto, got {name!r}")
    if _measured is None:
        _measured = measure()
    return _measured


def native_finish(name: str, h: Floats) -> None:
    """tanh (or sigmoid from ``h`` holding ``z / 2``) in place with NumPy's ``np.tanh``."""
    np.tanh(h, out=h)
    if name == "sigmoid":
        h *= 0.5
        h += 0.5


#: the pre-activation scale of the ``"tanh"`` path: sigmoid z = (1 + tanh(z / 2)) / 2.
NATIVE_SCALE = {"tanh": 1.0, "sigmoid": 0.5}


def measure(rounds: int = _ROUNDS) -> PathChoice:
    """Time both paths of the first layer and of a later layer (tanh units, float32) and pick the faster
    of each: the best of ``rounds`` interleaved rounds of one call each."""
    n = _SIZE * _SIZE
    net = Network([2, _UNITS, _UNITS, 1], activation="tanh", output="tanh", init="playground", seed=0)
    axis = np.asarray(-6.0 + (np.arange(_SIZE) + 0.5) * (12.0 / _SIZE), dtype=np.float64)  # cell centres
    separable = SeparableFirstLayer(axis, ("x1", "x2"), one_d=False)
    inputs = np.ones((3, n), dtype=np.float32)
    inputs[0], inputs[1] = np.tile(axis, _SIZE), np.repeat(axis[::-1], _SIZE)
    blocks = net.layer_blocks()
    w0 = blocks[0].wb(net.flat).T.astype(np.float32)
    w1 = blocks[1].W(net.flat).T.astype(np.float32)
    b1 = blocks[1].b(net.flat)[:, None].astype(np.float32)
    fold = BiasFold(blocks, ["tanh"] * 3, [1], np.dtype(np.float32))
    fold.prepare(net)
    a = np.tanh(np.matmul(w0, inputs))  # a realistic later-layer input
    h = np.empty((_UNITS, n), dtype=np.float32)

    def first_exp() -> None:
        if not separable.evaluate(net, "tanh", h):
            raise RuntimeError("the timing network is not separable")  # cannot happen with these weights

    def first_tanh() -> None:
        np.matmul(w0, inputs, out=h)
        native_finish("tanh", h)

    def later_exp() -> None:
        np.matmul(w1, a, out=h)
        fold.finish(1, "tanh", h, True)

    def later_tanh() -> None:
        np.matmul(w1, a, out=h)
        np.add(h, b1, out=h)
        native_finish("tanh", h)

    jobs: dict[str, Callable[[], None]] = {"first exp": first_exp, "first tanh": first_tanh,
                                           "later exp": later_exp, "later tanh": later_tanh}
    best = dict.fromkeys(jobs, np.inf)
    with np.errstate(over="ignore"):
        for fn in jobs.values():  # warm-up: buffers, caches
            fn()
        for _ in range(rounds):
            for key, fn in jobs.items():
                start = time.perf_counter()
                fn()
                best[key] = min(best[key], time.perf_counter() - start)
    first = "exp" if best["first exp"] <= best["first tanh"] else "tanh"
    later = "exp" if best["later exp"] <= best["later tanh"] else "tanh"
    us = {key: f"{value * 1e6:.0f}" for key, value in best.items()}
    how = (f"measured, us per 8-unit layer: first exp {us['first exp']} / tanh {us['first tanh']}, "
           f"later exp {us['later exp']} / tanh {us['later tanh']}")
    return PathChoice(first, later, how)
