"""Activation patterns of piecewise-linear networks, and region ids that stay put from frame to frame.

An activation pattern says which linear piece every hidden unit is on at an input (the sign of ``z`` for
rectifiers, which of the three pieces for hard tanh, which piece wins for maxout). Two inputs with the same
pattern lie in the same linear region when the network sees the raw input plane (see ``regions``).

* ``activation_patterns``: packed patterns ``(n, nbytes)`` uint8, one row per input; ``count_patterns``.
* ``RegionTracker``: a region id per pattern that persists across frames, so colours do not flicker.
* ``region_map``: a region id per grid cell through a tracker.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .errors import FieldError
from .grid import GridEvaluator
from .network import Network

MAX_ID = 65535  #: region ids are uint16; this value marks cells beyond the tracker's capacity
SINGLE_KINK = frozenset({"relu", "leaky_relu", "prelu", "rrelu", "abs"})  #: one kink, at z = 0
_CHUNK = 20000  # rows per forward pass when computing patterns, to bound memory for wide nets


def maxout_pieces(net: Network) -> int:
    """``k``, the pieces of each maxout unit of ``net`` (its ``maxout_k`` option)."""
    k = net.options["maxout_k"]
    if not isinstance(k, int):  # Network stores an int; the check narrows the option table's value type
        raise TypeError(f"maxout_k: expected an int, got {k!r}")
    return k


def _pattern_bits(net: Network, X: np.ndarray) -> np.ndarray:
    """Boolean activation pattern ``(n, bits)`` of inputs ``X`` ``(n, n0)`` (network inputs)."""
    fwd = net.forward(X)
    k = maxout_pieces(net)
    cols: list[np.ndarray] = []
    for l, name in enumerate(net.activations):
        z = fwd.z[l]
        if name in SINGLE_KINK:
            cols.append(z > 0)
        elif name == "hard_tanh":
            cols += [z > 1.0, z < -1.0]
        elif name == "maxout":
            winner = z.reshape(z.shape[0], -1, k).argmax(axis=2)
            cols += [((winner >> bit) & 1).astype(bool) for bit in range((k - 1).bit_length())]
        elif name != "linear":
            raise FieldError("activation",
                             f"activation {name!r} is not piecewise linear: no activation pattern")
    if not cols:
        return np.zeros((X.shape[0], 1), dtype=bool)
    return np.concatenate(cols, axis=1)


def activation_patterns(net: Network, X: npt.ArrayLike) -> np.ndarray:
    """Packed activation patterns ``(n, nbytes)`` uint8 of network inputs ``X`` ``(n, n0)``; equal rows
    mean the same linear region. Computed in float64 with ``net.forward``, in chunks."""
    if not net.piecewise_linear:
        raise FieldError("activation", "activation patterns need a piecewise-linear network; this one has "
                         f"activations {net.activations}")
    X = np.asarray(X, dtype=float)
    parts = [np.packbits(_pattern_bits(net, X[i:i + _CHUNK]), axis=1) for i in range(0, len(X), _CHUNK)]
    if not parts:
        return np.zeros((0, 1), dtype=np.uint8)
    return np.ascontiguousarray(np.concatenate(parts, axis=0))


def pattern_keys(packed: np.ndarray) -> np.ndarray:
    """One opaque ``void`` scalar per row of ``packed`` ``(n, nbytes)``, so rows can be compared, sorted
    and hashed as units: ``(n,)``."""
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def count_patterns(net: Network, X: npt.ArrayLike) -> int:
    """Number of distinct activation patterns among the inputs ``X`` ``(n, n0)``."""
    return int(np.unique(pattern_keys(activation_patterns(net, X))).size)


class RegionTracker:
    """Gives each activation pattern a region id that persists across frames, so colours do not flicker.

    Ids are ``0 .. capacity - 1`` in order of first appearance (row-major); ``MAX_ID`` (65535) marks a
    cell whose pattern found no free id. When the ids run out, patterns absent from the current frame are
    forgotten and their ids reused. A change of network structure (pattern width) starts afresh.
    """

    def __init__(self, capacity: int = MAX_ID):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_ID:
            raise FieldError("capacity", f"capacity: expected an integer in 1..{MAX_ID}, got {capacity!r}")
        self.capacity = capacity
        self.reset()

    def reset(self) -> None:
        """Forget every pattern."""
        self._ids: dict[bytes, int] = {}
        self._free: list[int] = []
        self._next = 0
        self._width: int | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self, packed: np.ndarray) -> np.ndarray:
        """Region id ``(n,)`` uint16 for each packed pattern row of ``packed`` ``(n, nbytes)`` uint8."""
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        if packed.ndim != 2:
            raise FieldError("patterns", f"patterns: expected a 2-D uint8 array, got shape {packed.shape}")
        if packed.shape[1] != self._width:
            self.reset()
            self._width = packed.shape[1]
        uniq, first, inverse = np.unique(pattern_keys(packed), return_index=True, return_inverse=True)
        keys = [u.tobytes() for u in uniq]
        new = sorted((i for i, key in enumerate(keys) if key not in self._ids), key=lambda i: first[i])
        if len(new) > self._available():
            self._evict(set(keys))
        for i in new:
            self._assign(keys[i])
        table = np.array([self._ids.get(key, MAX_ID) for key in keys], dtype=np.uint16)
        return table[inverse.ravel()]

    def _available(self) -> int:
        return len(self._free) + self.capacity - self._next

    def _evict(self, keep: set[bytes]) -> None:
        for key in [key for key in self._ids if key not in keep]:
            self._free.append(self._ids.pop(key))
        self._free.sort(reverse=True)  # pop() hands out the smallest free id first

    def _assign(self, key: bytes) -> None:
        if self._free:
            self._ids[key] = self._free.pop()
        elif self._next < self.capacity:
            self._ids[key] = self._next
            self._next += 1


def region_map(net: Network, grid: GridEvaluator | npt.ArrayLike,
               tracker: RegionTracker | None = None) -> np.ndarray:
    """Region id per grid cell, uint16.

    ``grid`` is a ``GridEvaluator`` (result shape ``grid.shape``: ``(G, G)`` row 0 at the top, or
    ``(G,)``) or an array of network inputs ``(n, n0)`` (result ``(n,)``). Pass the same ``tracker``
    every frame to keep ids stable while training; without one, ids number the regions in order of first
    appearance.
    """
    tracker = tracker if tracker is not None else RegionTracker()
    if isinstance(grid, GridEvaluator):
        return tracker.ids(activation_patterns(net, grid.inputs)).reshape(grid.shape)
    X = np.asarray(grid, dtype=float)
    if X.ndim != 2 or X.shape[1] != net.sizes[0]:
        raise FieldError("grid",
                         f"grid: expected a GridEvaluator or network inputs of shape (n, {net.sizes[0]}), "
                         f"got shape {list(X.shape)}")
    return tracker.ids(activation_patterns(net, X))
