"""A trainer's checkpoint and where its orders come from: what a checkpoint counts as its own memory, and
the order sources a Trainer takes."""

from __future__ import annotations

import numpy as np

from app.engine import FollowOrder, Network, Trainer, TrainerState
from app.engine.optimizers import make_optimizer
from app.engine.trainstate import OrderSource


def _trainer(**kw):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(12, 2))
    return Trainer(Network([2, 3, 1], output="sigmoid", rng=rng), make_optimizer("adam", 0.1), X,
                   (X[:, 0] > 0).astype(int), batch_size=4, rng=rng, **kw)


def test_a_checkpoints_bytes_are_its_parameters_and_optimizer_arrays_not_the_shared_order():
    t = _trainer()
    t.step(2)
    state = t.checkpoint()
    P = t.net.flat.size
    # Adam keeps two moment vectors of the parameters' size: 3 vectors of P float64 in all
    assert state.nbytes == 3 * P * 8
    assert state.order is not None and state.order is t.order  # shared with the trainer, not copied


def test_a_generator_and_a_leader_are_order_sources_of_the_same_permutations():
    leader = _trainer()
    sources: list[OrderSource] = [np.random.default_rng(0), FollowOrder(leader)]
    for src in sources:
        order = src.permutation(12)
        assert sorted(order.tolist()) == list(range(12))
    assert FollowOrder(leader).permutation(12) is leader.order


def test_a_state_without_a_separate_order_generator_records_none_for_it():
    state = TrainerState(np.zeros(3), {}, 0, 0, 0, float("nan"), False, None, None, {})
    assert state.order_rng_state is None and state.nbytes == 24
