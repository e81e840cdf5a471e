"""fastdata.py: an epoch's per-batch blocks against slicing the epoch's rows by hand.

Batch k of size B is rows k*B .. k*B + B - 1 of the epoch order (the last batch holds what is left),
transposed to feature-major: inputs (n0 + 1, b), targets (K, b).
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.fastdata import EpochBlocks


def _epoch(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.normal(size=(n, 3)), np.ones((n, 1))])  # three features and the ones column
    T = rng.normal(size=(n, 2))
    return X, T


def _by_hand(X: np.ndarray, T: np.ndarray, B: int) -> list[tuple[list, list]]:
    batches = []
    for start in range(0, len(X), B):
        rows = list(range(start, min(start + B, len(X))))
        batches.append(([[X[r][c] for r in rows] for c in range(X.shape[1])],
                        [[T[r][c] for r in rows] for c in range(T.shape[1])]))
    return batches


@pytest.mark.parametrize(("n", "B"), [(23, 5), (20, 5), (7, 7), (7, 1), (9, 8)])
def test_every_batch_block_is_the_epochs_rows_sliced_and_transposed(n, B):
    X, T = _epoch(n)
    blocks = EpochBlocks()
    blocks.load(X, T)
    for k, (x_want, t_want) in enumerate(_by_hand(X, T, B)):
        x, t = blocks.block(k * B, B)
        assert x.flags.c_contiguous and t.flags.c_contiguous  # one block of memory per batch
        assert x.tolist() == x_want and t.tolist() == t_want


def test_a_reload_after_reshuffling_refills_the_same_buffers_with_the_new_order():
    X, T = _epoch(23)
    blocks = EpochBlocks()
    blocks.load(X, T)
    blocks.block(0, 5)
    held = [id(a) for a in blocks.arrays()]
    order = np.random.default_rng(1).permutation(23)
    X[:], T[:] = X[order].copy(), T[order].copy()  # the trainer reshuffles its rows in place
    blocks.load(X, T)
    for k, (x_want, t_want) in enumerate(_by_hand(X, T, 5)):
        x, t = blocks.block(k * 5, 5)
        assert x.tolist() == x_want and t.tolist() == t_want
    assert [id(a) for a in blocks.arrays()] == held


def test_a_new_batch_size_lays_the_epoch_out_again_and_drops_the_old_layout():
    X, T = _epoch(23)
    blocks = EpochBlocks()
    blocks.load(X, T)
    blocks.block(0, 5)
    x, t = blocks.block(16, 8)  # the last, short batch of size 8
    assert x.tolist() == X[16:].T.tolist() and t.tolist() == T[16:].T.tolist()
    assert sum(a.size for a in blocks.arrays()) == X.size + T.size  # one layout held, not two
