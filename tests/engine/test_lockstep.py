"""Lockstep training: a follower trains the leader's batches in the leader's order over many epochs (with
and without shuffling, randomized ReLU on either side, a batch size that does not divide n), the leader's
run stays its solo run bit for bit, restoring both continues the original run, divergence, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine import FollowOrder, Lockstep, Network, Trainer
from app.engine.errors import FieldError
from app.engine.optimizers import make_optimizer

N, BATCH = 23, 5  # 5 does not divide 23: every epoch ends with a batch of 3


def _data(n=N):
    rng = np.random.default_rng(42)
    X = rng.normal(size=(n, 2))
    X[:, 0] = np.arange(n)  # x1 is the example's index: a batch's rows name the examples it holds
    return X, (X[:, 1] > 0).astype(int)


def _leader(activation="tanh", seed=7, shuffle=True, n=N):
    X, y = _data(n)
    rng = np.random.default_rng(seed)
    net = Network([2, 4, 1], activation=activation, output="sigmoid", rng=rng)
    return Trainer(net, make_optimizer("sgd", 0.01), X, y, batch_size=BATCH, rng=rng, shuffle=shuffle)


def _follower(leader, activation="relu", optimizer="adam", seed=99):
    rng = np.random.default_rng(seed)
    net = Network([2, 3, 3, 1], activation=activation, output="sigmoid", rng=rng)
    return Trainer(net, make_optimizer(optimizer, 0.01), leader.X, (leader.T[:, 0] > 0.5).astype(int),
                   batch_size=leader.batch_size, rng=rng, shuffle=leader.shuffle,
                   order_rng=FollowOrder(leader))


def _spy(trainer):
    """The example indices of every batch ``trainer`` trains on (the general path, which the spy sees)."""
    trainer.use_fast_path = False
    seen: list[list[int]] = []
    original = trainer.net.loss_and_gradients

    def spy(Xb, Tb, **kw):
        seen.append(Xb[:, 0].astype(int).tolist())
        return original(Xb, Tb, **kw)

    trainer.net.loss_and_gradients = spy
    return seen


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize(("a_unit", "b_unit"), [("tanh", "relu"), ("rrelu", "tanh"), ("tanh", "rrelu"),
                                                 ("rrelu", "rrelu")])
def test_follower_trains_the_leaders_batches_in_the_leaders_order_over_epochs(shuffle, a_unit, b_unit):
    solo = _leader(a_unit, shuffle=shuffle)
    solo_seen = _spy(solo)
    solo.step(60)
    a = _leader(a_unit, shuffle=shuffle)
    b = _follower(a, b_unit)
    a_seen, b_seen = _spy(a), _spy(b)
    pair = Lockstep(a, b)
    for n in (7, 1, 13, 4, 35):  # pieces that start and end anywhere in an epoch (5 batches each)
        pair.step(n)
    assert a.step_count == b.step_count == 60 and a.epoch == b.epoch == 11
    assert b_seen == a_seen == solo_seen  # the leader visits what it would alone, the follower the same
    assert [len(batch) for batch in a_seen[:5]] == [5, 5, 5, 5, 3]
    epochs = [[row for batch in a_seen[i:i + 5] for row in batch] for i in range(0, 60, 5)]
    assert all(sorted(e) == list(range(N)) for e in epochs)  # every epoch visits every example once
    orders = {tuple(e) for e in epochs}
    assert (len(orders) > 1) == shuffle  # reshuffled every epoch, or the data's own order every time


def test_the_leaders_run_is_its_solo_run_bit_for_bit_on_the_fast_path():
    solo = _leader("rrelu")
    losses_solo = [solo.step(3) for _ in range(30)]
    a = _leader("rrelu")
    pair = Lockstep(a, _follower(a, "rrelu"))
    losses_a = [pair.step(3)[0] for _ in range(30)]
    assert losses_a == losses_solo
    assert np.array_equal(a.net.flat, solo.net.flat)


def test_follower_matches_a_network_trained_by_hand_on_the_leaders_batches():
    a = _leader()
    b = _follower(a, "relu", "adam")
    a_seen = _spy(a)
    ref_rng = np.random.default_rng(99)  # the follower's seed: the same initial weights, built alike
    ref = Network([2, 3, 3, 1], activation="relu", output="sigmoid", rng=ref_rng)
    opt = make_optimizer("adam", 0.01)
    assert np.array_equal(ref.flat, b.net.flat)
    losses = Lockstep(a, b).step(40)
    X, T = b.X, b.T
    for rows in a_seen:  # the reference: plain gradient steps on the batches the leader trained
        grads = ref.loss_and_gradients(X[rows], T[rows])
        opt.update(ref.flat, grads.flat)
        last = grads.loss
    assert np.allclose(b.net.flat, ref.flat, rtol=0, atol=1e-12)
    assert math.isclose(losses[1], last, rel_tol=1e-12)


def test_restoring_both_and_training_on_gives_the_original_run_for_both():
    a = _leader("rrelu")
    b = _follower(a, "rrelu")
    pair = Lockstep(a, b)
    pair.step(8)
    saved = a.checkpoint(), b.checkpoint()
    first = [pair.step(3) for _ in range(10)]
    end = a.net.flat.copy(), b.net.flat.copy()
    a.restore(saved[0])
    b.restore(saved[1])
    again = [pair.step(3) for _ in range(10)]
    assert again == first
    assert np.array_equal(a.net.flat, end[0]) and np.array_equal(b.net.flat, end[1])


def test_a_diverging_follower_stops_while_the_leader_trains_on():
    a = _leader()
    b = _follower(a, "relu", "sgd")
    b.optimizer.lr = 1e300  # the first update overflows
    losses = Lockstep(a, b).step(20)
    assert b.diverged and b.step_count < 20 and math.isnan(losses[1])
    assert a.step_count == 20 and not a.diverged and math.isfinite(losses[0])


def test_a_diverging_leader_stops_every_trainer_at_its_step():
    a = _leader()
    b = _follower(a)
    a.optimizer.lr = 1e300
    Lockstep(a, b).step(20)
    assert a.diverged and b.step_count == a.step_count == a.diverged_at < 20


def test_train_for_stops_on_the_budget_with_every_trainer_at_the_same_step():
    a = _leader()
    b = _follower(a)
    ticks = iter(range(1000))
    done = Lockstep(a, b).train_for(50, budget_s=9.0, clock=lambda: float(next(ticks)))
    assert 0 < done < 50 and a.step_count == b.step_count == done


def test_lockstep_refuses_followers_that_would_not_see_the_leaders_batches():
    a = _leader()
    X, y = _data()
    own = Trainer(Network([2, 1], output="sigmoid"), make_optimizer("sgd", 0.1), X, y, batch_size=BATCH,
                  rng=np.random.default_rng(1))
    with pytest.raises(FieldError) as info:
        Lockstep(a, _follower(a), own)
    assert info.value.field == "followers.1" and "FollowOrder" in str(info.value)
    small = Trainer(Network([2, 1], output="sigmoid"), make_optimizer("sgd", 0.1), X, y, batch_size=4,
                    order_rng=FollowOrder(a))
    with pytest.raises(FieldError, match="batches of 4"):
        Lockstep(a, small)
    late = _follower(a)
    late.step(1)
    with pytest.raises(FieldError, match="at step 1"):
        Lockstep(a, late)


def test_follow_order_refuses_a_leader_of_another_training_set_size():
    a = _leader(n=10)
    X, y = _data()
    with pytest.raises(FieldError) as info:
        Trainer(Network([2, 1], output="sigmoid"), make_optimizer("sgd", 0.1), X, y, order_rng=FollowOrder(a))
    assert info.value.field == "order_rng"
