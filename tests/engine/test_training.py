"""The trainer: batching and epochs, resuming, determinism, the L1 + L2 penalty, divergence, argument
checks."""

import math

import numpy as np
import pytest

from app.engine import Network
from app.engine.optimizers import make_optimizer
from app.engine.training import Trainer


def _problem(n=23, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > X[:, 1]).astype(int)


def batches_seen(net: Network) -> list[np.ndarray]:
    """A list that fills with a copy of every batch ``net`` computes gradients on (a spy on the general
    path: set ``trainer.use_fast_path = False``)."""
    seen: list[np.ndarray] = []
    original = net.loss_and_gradients

    def spy(Xb, Tb, **kw):
        seen.append(Xb.copy())
        return original(Xb, Tb, **kw)

    net.loss_and_gradients = spy
    return seen


def test_an_epoch_visits_every_example_once_in_batches():
    X, y = _problem(23)
    net = Network([2, 1], output="sigmoid")
    trainer = Trainer(net, make_optimizer("sgd", 0.1), X, y, batch_size=5, rng=np.random.default_rng(0))
    trainer.use_fast_path = False  # the spy sees the general path; test_fastpath checks the fast one
    seen = batches_seen(net)
    trainer.step(5)  # 5 + 5 + 5 + 5 + 3
    assert [len(b) for b in seen] == [5, 5, 5, 5, 3]
    assert sorted(map(tuple, np.vstack(seen))) == sorted(map(tuple, X))
    assert trainer.epoch == 0 and trainer.epochs_done() == 1.0
    trainer.step(1)
    assert trainer.epoch == 1


def test_resume_at_sets_the_counters_a_trainer_has_after_that_many_steps():
    X, y = _problem(23)
    for steps in range(0, 31, 3):
        ran = Trainer(Network([2, 1], output="sigmoid"), make_optimizer("sgd", 0.1), X, y, batch_size=5)
        if steps:
            ran.step(steps)
        resumed = Trainer(Network([2, 1], output="sigmoid"), make_optimizer("sgd", 0.1), X, y, batch_size=5)
        resumed.resume_at(steps)
        assert (resumed.step_count, resumed.epochs_done()) == (ran.step_count, ran.epochs_done()), steps
        resumed.step(2)
        assert resumed.step_count == steps + 2
    with pytest.raises(ValueError, match="step must be >= 0"):
        resumed.resume_at(-1)


def test_same_seed_gives_the_same_trajectory_bit_for_bit():
    X, y = _problem(50)
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(7)
        net = Network([2, 6, 6, 1], activation="rrelu", output="sigmoid", rng=rng)
        trainer = Trainer(net, make_optimizer("adam", 0.01), X, y, batch_size=7, rng=rng)
        losses = [trainer.step(3) for _ in range(10)]
        runs.append((losses, net.flat.copy()))
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1])


@pytest.mark.filterwarnings("error")
def test_divergence_is_detected_with_its_step_and_training_stops():
    X, y = _problem(40)
    X = X * 1e3
    net = Network([2, 8, 1], activation="relu", output="linear", seed=0)
    trainer = Trainer(net, make_optimizer("sgd", 10.0), X, y.astype(float), batch_size=40)
    trainer.step(200)
    assert trainer.diverged and trainer.diverged_at is not None and trainer.diverged_at <= 200
    at = trainer.step_count
    assert math.isnan(trainer.step(5)) and trainer.step_count == at
    trainer.reset_progress()
    assert not trainer.diverged and trainer.step_count == 0


@pytest.mark.parametrize("batch", [0, 41, 2.5, True])
def test_batch_size_outside_one_to_n_is_refused(batch):
    X, y = _problem(40)
    with pytest.raises(ValueError, match="between 1 and the training-set size 40"):
        Trainer(Network([2, 1]), make_optimizer("sgd", 0.1), X, y, batch_size=batch)


def test_regularization_kind_and_rate_are_checked():
    X, y = _problem(10)
    trainer = Trainer(Network([2, 1]), make_optimizer("sgd", 0.1), X, y, batch_size=2)
    with pytest.raises(ValueError, match="unknown regularization 'l3'"):
        trainer.set_regularization("l3", 0.1)
    with pytest.raises(ValueError, match="regularization rate"):
        trainer.set_regularization("l2", -1)


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "general path"])
def test_l1_and_l2_together_step_down_the_finite_difference_gradient_of_the_penalised_loss(fast):
    # Full batch, fixed order, SGD with lr = 1: the step is exactly minus the gradient of
    # mean loss + l1 sum|w| + l2/2 sum w^2, which central differences of net.loss give independently of
    # the backward pass and of the penalty's gradient code. Weights are away from 0 (the kink of |w|).
    X, y = _problem(24, seed=4)
    net = Network([2, 5, 3, 1], activation="tanh", output="sigmoid", init="glorot", seed=2)
    net.flat[:] += np.where(net.flat >= 0, 0.05, -0.05) * net.reg_mask
    T = net.encode_targets(y)
    l1, l2 = 0.03, 0.2
    before = net.flat.copy()
    numeric = np.empty_like(before)
    h = 1e-6
    for i in range(before.size):
        net.flat[i] = before[i] + h
        up = net.loss(X, T, l1=l1, l2=l2)
        net.flat[i] = before[i] - h
        down = net.loss(X, T, l1=l1, l2=l2)
        net.flat[i] = before[i]
        numeric[i] = (up - down) / (2 * h)
    trainer = Trainer(net, make_optimizer("sgd", 1.0), X, y, batch_size=24, shuffle=False, l1=l1, l2=l2)
    trainer.use_fast_path = fast
    trainer.step(1)
    assert (trainer._fast is not None) == fast
    np.testing.assert_allclose(before - net.flat, numeric, rtol=1e-6, atol=1e-9)
    # both terms really act: each alone gives a different step
    for rates in ({"l1": l1}, {"l2": l2}):
        alone = Network([2, 5, 3, 1], activation="tanh", output="sigmoid", init="glorot", seed=2)
        alone.flat[:] = before
        Trainer(alone, make_optimizer("sgd", 1.0), X, y, batch_size=24, shuffle=False, **rates).step(1)
        assert np.abs(alone.flat - net.flat).max() > 1e-3


def test_the_penalty_is_named_by_the_rates_in_use_and_changes_live():
    X, y = _problem(10)
    trainer = Trainer(Network([2, 1]), make_optimizer("sgd", 0.1), X, y, batch_size=2, l1=0.1, l2=0.2)
    assert (trainer.l1, trainer.l2, trainer.regularization, trainer.reg_rate) == (0.1, 0.2, "l1+l2", None)
    trainer.set_regularization("l2", 0.5)
    assert (trainer.l1, trainer.l2, trainer.regularization, trainer.reg_rate) == (0.0, 0.5, "l2", 0.5)
    trainer.set_penalty(l1=0.25)
    assert (trainer.l1, trainer.l2, trainer.regularization, trainer.reg_rate) == (0.25, 0.0, "l1", 0.25)
    trainer.set_penalty()
    assert (trainer.regularization, trainer.reg_rate) == (None, 0.0)


@pytest.mark.parametrize("kwargs,message", [
    ({"regularization": "l2", "reg_rate": 0.1, "l1": 0.1}, "either as regularization \\+ reg_rate or as l1"),
    ({"l1": -0.1}, "l1 must be a finite number >= 0, got -0.1"),
    ({"l2": math.inf}, "l2 must be a finite number >= 0, got inf"),
])
def test_bad_penalty_rates_are_refused_naming_the_rate(kwargs, message):
    X, y = _problem(10)
    with pytest.raises(ValueError, match=message):
        Trainer(Network([2, 1]), make_optimizer("sgd", 0.1), X, y, batch_size=2, **kwargs)


def _rrelu_trainer(noise_seed, order_rng):
    X, y = _problem(23)
    rng = np.random.default_rng(noise_seed)
    net = Network([2, 4, 1], activation="rrelu", output="sigmoid", rng=np.random.default_rng(0))
    trainer = Trainer(net, make_optimizer("sgd", 0.1), X, y, batch_size=5, rng=rng, order_rng=order_rng)
    trainer.use_fast_path = False
    seen = batches_seen(net)
    return trainer, seen


def test_separate_order_generators_alike_give_the_same_batches_whatever_the_noise_draws():
    a, seen_a = _rrelu_trainer(1, np.random.default_rng(5))
    b, seen_b = _rrelu_trainer(2, np.random.default_rng(5))
    a.step(37)
    b.step(37)
    assert all(np.array_equal(p, q) for p, q in zip(seen_a, seen_b, strict=True)) and len(seen_a) == 37
    assert not np.array_equal(a.net.flat, b.net.flat)  # the slopes differ: the noise came from each own rng
    # with one generator for both (the default), the noise draws move the orders apart
    c, seen_c = _rrelu_trainer(1, None)
    d, seen_d = _rrelu_trainer(2, None)
    c.step(37)
    d.step(37)
    assert not all(np.array_equal(p, q) for p, q in zip(seen_c, seen_d, strict=True))


def test_a_checkpoint_keeps_the_order_generator_and_restore_replays_the_run():
    t, _ = _rrelu_trainer(1, np.random.default_rng(5))
    t.use_fast_path = True
    t.step(7)
    state = t.checkpoint()
    assert state.order_rng_state is not None and state.order_rng_state != state.rng_state
    first = [t.step(4) for _ in range(10)]  # crosses several epochs: new orders from the order generator
    t.restore(state)
    assert [t.step(4) for _ in range(10)] == first
    solo, _ = _rrelu_trainer(1, None)
    assert solo.checkpoint().order_rng_state is None  # one generator: its state is rng_state


def test_steps_to_epoch_end_counts_the_short_last_batch_and_a_whole_epoch_at_the_turn():
    t, _ = _rrelu_trainer(1, None)
    counts = []
    for _ in range(6):
        counts.append(t.steps_to_epoch_end())
        t.step(1)
    assert counts == [5, 4, 3, 2, 1, 5]
