"""Work in pieces (app/pieces.py): running a generator whole, waiting for the futures it hands out, and
NumPy's warnings off inside each piece only."""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import Future

import numpy as np
import pytest

from app.pieces import finish, quietly


def test_finish_runs_every_piece_waits_for_a_future_a_piece_hands_out_and_returns_the_value():
    done: list[str] = []
    later: Future = Future()
    threading.Timer(0.05, later.set_result, args=(7,)).start()  # done by another thread, a little later

    def work():
        done.append("one")
        yield
        yield later
        done.append(f"after {later.result(timeout=0)}")  # the future is done before this piece runs
        return "value"

    assert finish(work()) == "value" and done == ["one", "after 7"]


def test_a_failed_future_raises_out_of_finish():
    failed: Future = Future()
    failed.set_exception(RuntimeError("the worker failed"))

    def work():
        yield failed
        return "never"

    with pytest.raises(RuntimeError, match="the worker failed"):
        finish(work())


def test_quietly_silences_numpy_inside_each_piece_but_not_between_pieces():
    def work():
        np.float64(1.0) / np.float64(0.0)  # a divide-by-zero warning, silenced
        yield
        return np.float64(0.0) / np.float64(0.0)

    steps = quietly(work())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        next(steps)
        with pytest.raises(RuntimeWarning):  # between pieces the caller's settings hold
            np.float64(1.0) / np.float64(0.0)
        with pytest.raises(StopIteration) as end:
            next(steps)
    assert np.isnan(end.value.value)
