"""Optimizers against hand-written update rules, and their argument checks."""

import math

import numpy as np
import pytest

from app.engine.optimizers import make_optimizer


def _grad_sequence():
    rng = np.random.default_rng(0)
    return [rng.normal(size=5) for _ in range(6)]


def test_momentum_follows_the_heavy_ball_rule():
    p, opt = np.ones(5), make_optimizer("momentum", lr=0.1, beta=0.9)
    ref, v = np.ones(5), np.zeros(5)
    for g in _grad_sequence():
        opt.update(p, g)
        v = 0.9 * v - 0.1 * g
        ref = ref + v
    np.testing.assert_allclose(p, ref, rtol=1e-14)


def test_nesterov_momentum_looks_ahead():
    p, opt = np.ones(5), make_optimizer("momentum", lr=0.1, beta=0.9, nesterov=True)
    ref, v = np.ones(5), np.zeros(5)
    for g in _grad_sequence():
        opt.update(p, g)
        v = 0.9 * v - 0.1 * g
        ref = ref + 0.9 * v - 0.1 * g
    np.testing.assert_allclose(p, ref, rtol=1e-14)


def test_adam_matches_the_papers_algorithm_and_state_persists_until_reset():
    p, opt = np.ones(5), make_optimizer("adam", lr=0.01)
    ref, m, s = np.ones(5), np.zeros(5), np.zeros(5)
    for t, g in enumerate(_grad_sequence(), start=1):
        opt.update(p, g)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        ref = ref - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(p, ref, rtol=1e-6)
    assert opt.t == 6
    opt.reset()
    assert opt.t == 0 and opt.m is None


@pytest.mark.parametrize("name,options,message", [
    ("rmsprop", {}, "unknown optimizer 'rmsprop'"),
    ("sgd", {"beta": 0.9}, "does not take options"),
    ("momentum", {"beta": 1.5}, "beta must be in"),
])


def test_bad_optimizer_choices_are_refused_by_name(name, options, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, lr=0.1, **options)


@pytest.mark.parametrize("lr", [0.0, -1.0, math.nan, math.inf])
def test_learning_rate_must_be_finite_and_positive(lr):
    with pytest.raises(ValueError, match="lr must be a finite number"):
        make_optimizer("sgd", lr=lr)
