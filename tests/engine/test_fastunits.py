"""fastunits.py: the hot path's in-place hidden units against activations.py's value and derivative.

activations.py computes g'(z) from z; fastunits computes it from h = g(z) alone, so the two are
independent formulas for the same number. Points include the kinks (0 for relu, +-1 for hard tanh),
where both must take the one-sided value the backward pass uses.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.activations import get_activation
from app.engine.fastunits import FORWARD, FROM_H, derivative_from_h

Z = np.concatenate([np.linspace(-6.0, 6.0, 241), [-1.0, 0.0, 1.0, -1e-300, 1e-300, -40.0, 40.0]])


@pytest.mark.parametrize("name", FROM_H)
def test_an_in_place_unit_writes_the_same_values_as_the_activation_table(name):
    out = np.full_like(Z, np.nan)
    FORWARD[name](Z, out)
    np.testing.assert_array_equal(out, get_activation(name).value(Z))


@pytest.mark.parametrize("name", [n for n in FROM_H if n != "linear"])
def test_the_derivative_from_h_equals_the_activation_tables_derivative_from_z(name):
    h = get_activation(name).value(Z)
    d = np.full_like(Z, np.nan)
    derivative_from_h(name, h, d, np.ones_like(Z))
    np.testing.assert_allclose(d, get_activation(name).derivative(Z), rtol=1e-12, atol=1e-15)


def test_the_derivative_runs_in_place_over_a_flat_buffer_spanning_several_layers():
    # two layers of tanh laid out back to back, as fastpath.py's derivative runs see them
    z = np.random.default_rng(0).normal(size=(2, 3, 5)) * 2.0
    h = np.tanh(z).reshape(-1)
    d = np.zeros_like(h)
    derivative_from_h("tanh", h, d, np.ones_like(h))
    np.testing.assert_allclose(d.reshape(z.shape), 1.0 / np.cosh(z) ** 2, rtol=1e-12)


def test_a_linear_units_derivative_is_left_to_the_caller():
    d = np.full(4, 7.0)
    derivative_from_h("linear", np.arange(4.0), d, np.ones(4))
    assert d.tolist() == [7.0] * 4  # the caller fills it with ones once
