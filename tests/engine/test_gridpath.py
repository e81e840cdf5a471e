"""The grid's two tanh/sigmoid paths (gridpath.py): same maps to float32 rounding, a measured choice
that is made once per process, and a way to force either path."""

import numpy as np
import pytest

from app.engine import gridpath
from app.engine.grid import GridEvaluator
from app.engine.gridpath import PathChoice
from app.engine.network import Network

COMBINATIONS = [(first, later) for first in gridpath.PATHS for later in gridpath.PATHS]
# Maps are float32 values in [-1, 1] (tanh) or [0, 1] (sigmoid): each path is within a few float32 ulps
# of the exact value, so two paths differ by at most a few ulps of 1.
TOLERANCE = 2e-6


def _net(hidden, output, features, seed):
    net = Network([len(features), 7, 6, 5, 1], activation=hidden, output=output, init="glorot", seed=seed)
    rng = np.random.default_rng(seed)
    for W, b in zip(net.weights, net.biases, strict=True):
        W *= 2.0  # units that saturate inside the box, and ones that do not
        b[:] = rng.normal(0.0, 1.5, size=b.shape)
    return net


def _maps(net, features, first, later, dtype=np.float32):
    grid = GridEvaluator(box=(-5, 5), size=60, features=features, dtype=dtype)
    grid.path = PathChoice(first, later, "test")  # before the first evaluation allocates by it
    result = grid.evaluate(net)
    return result.hidden.copy(), result.output.copy(), grid


@pytest.mark.parametrize("features", [("x1", "x2"), ("x1", "x2", "x1x2", "sin_x2")])
@pytest.mark.parametrize(("hidden", "output"),
                         [("tanh", "tanh"), ("sigmoid", "sigmoid"), ("tanh", "sigmoid")])
def test_every_combination_of_paths_gives_the_same_maps_to_float32_rounding(hidden, output, features):
    net = _net(hidden, output, features, seed=7)
    reference = net.forward(GridEvaluator(box=(-5, 5), size=60, features=features).inputs)  # float64
    maps = {combo: _maps(net, features, *combo)[:2] for combo in COMBINATIONS}
    base_hidden, base_output = maps[("exp", "exp")]
    for combo, (h, o) in maps.items():
        np.testing.assert_allclose(h, base_hidden, atol=TOLERANCE, rtol=0, err_msg=str(combo))
        np.testing.assert_allclose(o, base_output, atol=TOLERANCE, rtol=0, err_msg=str(combo))
        # and each against the network's own float64 forward pass (an independent reference)
        np.testing.assert_allclose(h, np.hstack(reference.a[1:-1]), atol=4e-6, rtol=0, err_msg=str(combo))


def test_the_tanh_path_really_uses_neither_exp_form(monkeypatch):
    # The "tanh" path must not silently fall back to the separable layer or the bias fold.
    net = _net("tanh", "tanh", ("x1", "x2"), seed=2)
    _, _, grid = _maps(net, ("x1", "x2"), "tanh", "tanh")

    def refuse(*args, **kwargs):
        raise AssertionError("exp form used on the tanh path")

    monkeypatch.setattr(grid.separable, "evaluate", refuse)
    monkeypatch.setattr(grid._fold, "finish", refuse)
    grid.evaluate(net)


def test_float64_grids_agree_across_paths_to_float64_rounding():
    net = _net("sigmoid", "tanh", ("x1", "x2"), seed=5)
    exp_h, exp_o, _ = _maps(net, ("x1", "x2"), "exp", "exp", np.float64)
    tanh_h, tanh_o, _ = _maps(net, ("x1", "x2"), "tanh", "tanh", np.float64)
    np.testing.assert_allclose(tanh_h, exp_h, atol=1e-13, rtol=0)
    np.testing.assert_allclose(tanh_o, exp_o, atol=1e-13, rtol=0)


@pytest.mark.parametrize("name", gridpath.PATHS)
def test_the_path_can_be_forced_by_the_environment_or_the_module_attribute(monkeypatch, name):
    monkeypatch.setattr(gridpath, "forced", None)
    monkeypatch.setenv(gridpath.ENV, name)
    assert (gridpath.choice().first, gridpath.choice().later) == (name, name)
    assert gridpath.ENV in gridpath.choice().how
    other = "exp" if name == "tanh" else "tanh"
    monkeypatch.setattr(gridpath, "forced", other)  # the attribute wins over the environment
    assert (gridpath.choice().first, gridpath.choice().later) == (other, other)
    assert GridEvaluator(size=4).path.first == other


def test_an_unknown_path_in_the_environment_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setattr(gridpath, "forced", None)
    monkeypatch.setenv(gridpath.ENV, "fast")
    with pytest.raises(ValueError, match=r"MLP_GRID_PATH: expected one of exp, tanh, auto, got 'fast'"):
        gridpath.choice()


def test_the_measured_choice_is_made_once_per_process_and_says_what_it_measured(monkeypatch):
    monkeypatch.setattr(gridpath, "forced", None)
    monkeypatch.setenv(gridpath.ENV, "auto")
    monkeypatch.setattr(gridpath, "_measured", None)
    calls = []
    real = gridpath.measure
    monkeypatch.setattr(gridpath, "measure", lambda: calls.append(1) or real())
    first = gridpath.choice()
    assert gridpath.choice() is first and GridEvaluator(size=4).path is first
    assert calls == [1]
    assert first.first in gridpath.PATHS and first.later in gridpath.PATHS
    assert "measured" in first.how and "first exp" in first.describe()


def test_the_measurement_picks_the_faster_path_of_each_layer(monkeypatch):
    # Pretend np.tanh is slow (as on CPUs where NumPy does not vectorise it): the exp forms must win.
    real_tanh = np.tanh

    def slow_tanh(x, out=None):
        for _ in range(40):
            result = real_tanh(x, out=out)
        return result

    monkeypatch.setattr(gridpath.np, "tanh", slow_tanh)
    picked = gridpath.measure(rounds=3)
    assert (picked.first, picked.later) == ("exp", "exp")
