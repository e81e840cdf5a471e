"""Work in pieces: the generators that frames, exports and lecture panels are made of.

A piece of work is one step of a generator: it yields None between bounded pieces, or a concurrent Future
(a count in the region worker process) that must be done before the next piece, and returns the result.
The hub runs them a slice at a time; these run them whole, or with NumPy's warnings off.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np


def finish(steps: Generator[Any, None, Any]) -> Any:
    """Run ``steps`` to its end at once, waiting for any Future a piece hands out, and return its value."""
    while True:
        try:
            item = next(steps)
        except StopIteration as done:
            return done.value
        if item is not None:
            item.result()


def quietly(steps: Generator[Any, None, Any]) -> Generator[Any, None, Any]:
    """``steps`` with NumPy's floating-point warnings off inside each piece (not across the pauses, when
    other work runs on the thread)."""
    while True:
        with np.errstate(all="ignore"):
            try:
                item = next(steps)
            except StopIteration as done:
                return done.value
        yield item
