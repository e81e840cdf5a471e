"""bench/engine.py's comparison with E2b's tuned NumPy MLP (issue 14) must compare the same work.

E2b's file is not in the repository: these tests run where bench/engine.py finds it (``../shared/reference/``
next to the checkout, or ``$MLP_E2B_REFERENCE``) and are skipped, saying so, elsewhere.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.engine import Network, Trainer, make_optimizer
from app.engine.datasets import make_dataset, split
from app.engine.grid import GridEvaluator

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench_helper():
    spec = importlib.util.spec_from_file_location("e2b_reference", BENCH / "e2b_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helper = _bench_helper()
E2B, WHY = helper.load()
needs_e2b = pytest.mark.skipif(E2B is None, reason=WHY)


def _spiral():
    rng = np.random.default_rng(0)
    train, _ = split(make_dataset("spiral", rng, n=200), 0.5, rng)
    return train.X, train.y


def test_a_missing_reference_is_named_with_where_it_was_looked_for(monkeypatch, tmp_path):
    monkeypatch.setenv(helper.ENV, str(tmp_path / "nowhere.py"))
    module, why = helper.load()
    assert module is None
    assert str(tmp_path / "nowhere.py") in why and "absent" in why


@needs_e2b
@pytest.mark.parametrize(("unit", "sizes", "batch"),
                         [("tanh", [2, 8, 8, 1], 10), ("relu", [2, 16, 16, 1], 32)])
def test_an_epoch_of_e2b_moves_the_weights_as_our_trainer_does(unit, sizes, batch):
    # Same data, initial weights, batch size and lr (ours in E2b's fixed order): TF-Playground semantics
    # on both sides, so the weights after an epoch agree to float64 rounding.
    X, y = _spiral()
    net = Network(sizes, activation=unit, output="tanh", init="playground", seed=3)
    grid = GridEvaluator(size=20, dtype=np.float64)
    fast = helper.fast_net(E2B, net, unit, np.float64, X, y, batch, grid.points)
    trainer = Trainer(net, make_optimizer("sgd", 0.03), X, y, batch_size=batch, shuffle=False)
    trainer.step(-(-X.shape[0] // batch))
    fast.train_epoch(0.03)
    for (W_ref, b_ref), W, b in zip(fast.weights(), net.weights, net.biases, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b, b_ref, rtol=1e-10, atol=1e-12)


@needs_e2b
def test_e2b_maps_the_same_grid_points_as_our_evaluator():
    net = Network([2, 6, 5, 1], activation="tanh", output="tanh", init="playground", seed=4)
    grid = GridEvaluator(size=100, dtype=np.float64)
    fast = helper.fast_net(E2B, net, "tanh", np.float64, *_spiral(), 10, grid.points)
    maps = fast.grid_eval()
    ours = grid.evaluate(net)
    np.testing.assert_allclose(np.concatenate(maps[:-1]), ours.maps, atol=1e-9)
    np.testing.assert_allclose(maps[-1][0], ours.output_maps[0], atol=1e-9)
