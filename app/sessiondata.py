"""The data a session holds: one config's train and test sets, raw and as the network's inputs.

Its own module because the session builds it and the frame maker (app/frames.py) reads it, and neither
should import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Data:
    """Train and test sets; ``*_raw`` are ``(n, d)`` coordinates (d = 2, or 1 for a 1-D function set),
    ``*_x`` the network's inputs ``(n, features)``, ``*_y`` labels or regression targets ``(n,)``."""

    train_raw: np.ndarray
    train_y: np.ndarray
    test_raw: np.ndarray
    test_y: np.ndarray
    train_x: np.ndarray
    test_x: np.ndarray
    box: tuple[float, float]  # the view box, the same on both axes
    regression: bool
    classes: int
    name: str
    train_t: np.ndarray | None = None  # targets in the output's convention, set once the network is built
    test_t: np.ndarray | None = None  # None without a test set

    @property
    def targets(self) -> np.ndarray:
        """``train_t``, which every built session has (``(n, K)`` in the output's convention)."""
        if self.train_t is None:
            raise ValueError("the training targets are set once the network is built")
        return self.train_t
