"""Rewind: kept checkpoints, bounded memory, and continuing from one gives the original trajectory."""

import numpy as np
import pytest

from app.engine import FollowOrder, Lockstep, Network, Trainer, make_dataset
from app.engine.history import History
from app.engine.optimizers import make_optimizer


def _trainer(optimizer="adam", activation="tanh", hidden=(4, 2), batch=10, seed=0, fast=True):
    rng = np.random.default_rng(seed)
    data = make_dataset("circle", rng, n=200, noise=0.1)
    net = Network([2, *hidden, 1], activation, "sigmoid", rng=rng)
    trainer = Trainer(net, make_optimizer(optimizer, 0.03), data.X, data.y, batch_size=batch, rng=rng)
    trainer.use_fast_path = fast
    return trainer


def _run(trainer, history, steps):
    """Train in pieces that end on the history's grid, as a session does."""
    history.record(trainer)
    while trainer.step_count < steps:
        trainer.step(min(history.steps_to_next(trainer.step_count), steps - trainer.step_count))
        history.record(trainer)


@pytest.mark.parametrize(("optimizer", "activation", "fast"), [
    ("adam", "tanh", True), ("momentum", "relu", True), ("sgd", "rrelu", False), ("adam", "maxout", False)])
def test_continuing_from_a_kept_step_retraces_the_original_run_bit_for_bit(optimizer, activation, fast):
    trainer = _trainer(optimizer, activation, fast=fast)
    history = History(every=5)
    _run(trainer, history, 40)
    at_40 = trainer.net.flat.copy()
    _run(trainer, history, 130)  # crosses epoch boundaries (20 batches an epoch)
    original = trainer.net.flat.copy()
    trainer.restore(history.at(40))
    np.testing.assert_array_equal(trainer.net.flat, at_40)
    assert (trainer.step_count, trainer.epochs_done()) == (40, 2.0)
    trainer.step(90)
    np.testing.assert_array_equal(trainer.net.flat, original)


def test_restoring_a_checkpoint_does_not_let_training_write_into_it():
    trainer = _trainer()
    history = History(every=10)
    _run(trainer, history, 30)
    kept = history.at(10).params.copy()
    trainer.restore(history.at(10))
    trainer.step(25)
    np.testing.assert_array_equal(history.at(10).params, kept)


def test_a_4x8_net_keeps_its_whole_history_under_2_mb_however_long_it_trains():
    trainer = _trainer("adam", "relu", hidden=(8, 8, 8, 8), batch=10)
    history = History()
    _run(trainer, history, 4000)
    assert history.nbytes < 2_000_000
    assert len(history) >= 64
    steps = history.steps
    assert steps[0] >= 0 and steps[-1] == 4000 and steps == sorted(steps)
    # evenly spaced at the current spacing: the thinning keeps multiples of `every`
    assert all(s % history.every == 0 for s in steps)


def test_at_gives_the_latest_kept_step_at_or_before_the_asked_one():
    trainer = _trainer()
    history = History(every=4)
    _run(trainer, history, 20)
    assert history.at(13).step_count == 12
    assert history.at(12).step_count == 12


def test_a_step_before_the_history_names_the_kept_range():
    history = History(every=4)
    trainer = _trainer()
    trainer.step(3)
    trainer.step(1)
    history.record(trainer)
    with pytest.raises(ValueError, match=r"step 2 is before the kept history \(steps 4 to 4\)"):
        history.at(2)


def test_truncate_after_drops_the_future_of_a_rewound_run():
    trainer = _trainer()
    history = History(every=5)
    _run(trainer, history, 30)
    history.truncate_after(12)
    assert history.steps == [0, 5, 10]


def test_trajectory_stacks_the_kept_parameters_in_step_order():
    trainer = _trainer()
    history = History(every=10)
    _run(trainer, history, 30)
    traj = history.trajectory()
    assert traj.shape == (4, trainer.net.flat.size)
    np.testing.assert_array_equal(traj[-1], trainer.net.flat)


def test_a_checkpoint_of_another_network_is_refused():
    small, big = _trainer(hidden=(2,)), _trainer(hidden=(6,))
    with pytest.raises(ValueError, match="parameters"):
        big.restore(small.checkpoint())


@pytest.mark.parametrize(("kwargs", "match"), [({"every": 0}, "every"), ({"max_entries": 2}, "max_entries"),
                                               ({"budget_bytes": 0}, "budget_bytes")])
def test_bad_history_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        History(**kwargs)


def test_the_memory_count_stays_the_sum_of_what_is_kept_through_thinning_truncation_and_amends():
    trainer = _trainer("adam", "relu", hidden=(8, 8), batch=10)
    history = History(budget_bytes=40_000, every=2)
    _run(trainer, history, 700)
    history.truncate_after(300)
    history.amend(trainer)

    def recount():  # from scratch: every state's arrays, each epoch order once
        orders = {id(s.order): s.order.nbytes for s in history._states if s.order is not None}
        return sum(s.nbytes for s in history._states) + sum(orders.values())

    assert 0 < history.nbytes == recount()


def test_a_companion_is_kept_thinned_and_truncated_with_its_checkpoints_in_one_budget():
    a = _trainer("adam")
    b_rng = np.random.default_rng(9)
    b = Trainer(Network([2, 8, 1], "relu", "sigmoid", rng=b_rng), make_optimizer("sgd", 0.1), a.X,
                (a.T[:, 0] > 0.5).astype(int), batch_size=10, rng=b_rng, order_rng=FollowOrder(a))
    pair = Lockstep(a, b)
    history = History(every=1, max_entries=8, companion=b.checkpoint)
    history.record(a)
    for _ in range(40):
        pair.step(1)
        history.record(a)
    assert len(history) <= 8 and history.every > 1  # thinned
    for step in history.steps:
        assert history.companion_at(step).step_count == history.at(step).step_count == step
    # a recount: A's states, B's own arrays, each epoch order once (B's orders are A's arrays)
    kept = [history.at(s) for s in history.steps] + [history.companion_at(s) for s in history.steps]
    orders = {id(s.order): s.order.nbytes for s in kept if s.order is not None}
    assert history.nbytes == sum(s.nbytes for s in kept) + sum(orders.values())
    history.truncate_after(history.steps[2])
    assert len(history) == 3 and history.companion_at(10 ** 6).step_count == history.steps[-1]
    with pytest.raises(ValueError, match="before the kept history"):
        History(companion=b.checkpoint).companion_at(0)
