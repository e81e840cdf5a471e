"""E2b's tuned NumPy MLP (``FastNet`` in ``../shared/reference/e2b_numpy.py``) as a benchmark reference.

The file is not part of this repository (and nothing of it is copied here): CI lays it out next to the
checkout, as ``<repository>/../shared/reference/e2b_numpy.py``, and ``MLP_E2B_REFERENCE=/path/to/file``
points elsewhere (a git worktree, say). ``load`` imports it at run time, or says why it cannot.

``fast_net`` builds a FastNet that does the work of our ``Trainer`` + ``GridEvaluator``: the same initial
weights and biases as ``net``, the same training points, batch size and learning rate, TF-Playground
semantics on both sides (tanh output, 0.5 (o - t)^2 averaged over the batch, targets in {-1, 1}).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import numpy as np

ENV = "MLP_E2B_REFERENCE"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "e2b_numpy.py"


def location() -> Path:
    """Where the reference is looked for: ``$MLP_E2B_REFERENCE``, else ``../shared/reference/``."""
    given = os.environ.get(ENV)
    return Path(given).expanduser().resolve() if given else DEFAULT


def load() -> tuple[ModuleType | None, str]:
    """The imported module, or None and a sentence saying why it is not there."""
    path = location()
    if not path.is_file():
        return None, (f"E2b not measured: {path} is absent (CI puts e2b_numpy.py in ../shared/reference/ "
                      f"next to the repository; {ENV}=path points elsewhere)")
    spec = importlib.util.spec_from_file_location("e2b_numpy", path)
    if spec is None or spec.loader is None:
        return None, f"E2b not measured: {path} cannot be imported as a module"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "FastNet"):
        return None, f"E2b not measured: {path} has no FastNet"
    return module, f"E2b: FastNet from {path}"


def fast_net(module: ModuleType, net, unit: str, dtype, X: np.ndarray, y: np.ndarray, batch: int,
             points: np.ndarray):
    """A FastNet (``dtype``) with ``net``'s current parameters, the training set ``X`` ``(n, 2)`` with
    labels ``y`` ``(n,)`` in {0, 1} (given to it as targets in {-1, 1}, as our tanh output encodes them),
    mini-batches of ``batch`` and the grid ``points`` ``(G*G, 2)`` set up."""
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64))
              for W, b in zip(net.weights, net.biases, strict=True)]
    fast = module.FastNet(params, act=unit, dtype=dtype)
    fast.set_data(X, 2.0 * np.asarray(y, dtype=np.float64) - 1.0, batch)
    fast.grid_setup(points)
    return fast
