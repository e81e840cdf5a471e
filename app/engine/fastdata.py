"""The training fast path's view of an epoch: its rows laid out once as contiguous feature-major blocks,
one per batch, so a batch's inputs ``(n0 + 1, B)`` and targets ``(K, B)`` are views, not copies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Array


@dataclass
class _Layout:
    """The blocks of one batch size: ``views[k]`` is batch k's (inputs, targets); ``version`` the epoch
    they were filled from; ``xbuf``/``tbuf`` the flat buffers they view."""

    version: int
    views: list[tuple[Array, Array]]
    xbuf: Array
    tbuf: Array


class EpochBlocks:
    """The epoch's training rows in visiting order (``load``), and their per-batch blocks (``block``)."""

    def __init__(self) -> None:
        self.X: Array = np.zeros((0, 1))  # (n, n0 + 1): inputs with a ones column
        self.T: Array = np.zeros((0, 1))  # (n, K): encoded targets
        self._version = 0
        self._layouts: dict[int, _Layout] = {}

    def load(self, X: Array, T: Array) -> None:
        """The epoch's rows: inputs with a ones column ``(n, n0 + 1)`` and targets ``(n, K)``. Kept by
        reference; call again whenever their contents change."""
        self.X, self.T = X, T
        self._version += 1

    def block(self, start: int, B: int) -> tuple[Array, Array]:
        """Feature-major inputs ``(n0 + 1, b)`` and targets ``(K, b)`` of the batch of ``B`` rows that
        starts at row ``start``, a multiple of ``B`` (the epoch's last batch may be shorter). The layout
        is built at the first request after a ``load``; only the latest batch size's is kept."""
        layout = self._layouts.get(B)
        if layout is None:  # a new batch size: the old sizes' layouts are dropped
            self._layouts.clear()
        if layout is None or layout.version != self._version:
            layout = self._layouts[B] = self._lay_out(B, layout)
        return layout.views[start // B]

    def _lay_out(self, B: int, old: _Layout | None) -> _Layout:
        X, T = self.X, self.T
        if old is None:
            xb, tb = np.empty(X.size), np.empty(T.size)
            views = list(zip(_block_views(xb, X.shape, B), _block_views(tb, T.shape, B), strict=True))
        else:
            views, xb, tb = old.views, old.xbuf, old.tbuf
        _fill_blocks(xb, X, B)
        _fill_blocks(tb, T, B)
        return _Layout(self._version, views, xb, tb)

    def arrays(self) -> list[Array]:
        """The buffers held (for memory accounting)."""
        return [a for layout in self._layouts.values() for a in (layout.xbuf, layout.tbuf)]


def _block_views(buf: Array, shape: tuple[int, ...], B: int) -> list[Array]:
    """Views of flat ``buf`` as consecutive feature-major blocks ``(c, B)`` of rows of an ``(n, c)`` array
    (the last block holds the ``n % B`` rows left over)."""
    (n, c), full = shape, shape[0] // B
    views = [buf[k * B * c:(k + 1) * B * c].reshape(c, B) for k in range(full)]
    if n > full * B:
        views.append(buf[full * B * c:].reshape(c, n - full * B))
    return views


def _fill_blocks(buf: Array, src: Array, B: int) -> None:
    """Write ``src`` ``(n, c)`` into ``buf`` in the layout of ``_block_views`` (two copies at most)."""
    n, c = src.shape
    full = n // B
    np.copyto(buf[:full * B * c].reshape(full, c, B), src[:full * B].reshape(full, B, c).transpose(0, 2, 1))
    if n > full * B:
        np.copyto(buf[full * B * c:].reshape(c, n - full * B), src[full * B:].T)
