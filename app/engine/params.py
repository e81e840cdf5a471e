"""The flat parameter vector: where each layer's parameters sit in it, and their initial values.

A network's parameters live in one float64 vector ``flat`` ``(P,)``. Weight layer ``l`` owns one
contiguous ``LayerBlock`` of it, in this order: its weights ``W`` ``(fan_in, cols)`` row-major, its
biases ``b`` ``(cols,)``, then its unit parameters (prelu ``slope``, rbf ``sigma``, ``(units,)`` each).
Because ``b`` follows ``W`` directly, ``[W; b]`` is one ``(fan_in + 1, cols)`` block: the fast paths
(fastpath.py, grid.py) fold the bias into the weight matrix through ``LayerBlock.wb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from . import activations as act

Array = NDArray[np.float64]
# A block's views keep the buffer's dtype: the grid reads them from a float32 copy of the parameters.
_F = TypeVar("_F", bound=np.floating[Any])

INITS = ("playground", "glorot", "he", "zeros")
RECTIFIERS = {"relu", "leaky_relu", "prelu", "rrelu", "maxout"}


@dataclass(frozen=True)
class LayerBlock:
    """Where weight layer ``l``'s parameters sit in a flat vector ``(P,)`` (``net.flat``, a gradient's
    ``flat`` or any buffer of that shape).

    ``kind``: "affine" | "maxout" | "rbf" | "output". ``shape``: ``(fan_in, cols)`` of ``W``, where
    ``cols`` is the number of units (``units * k`` for maxout, pieces unit-major). ``weights``, ``biases``
    and ``params`` (unit parameter name -> slice of ``units`` entries) are slices of the flat vector;
    ``weights.stop == biases.start``.
    """

    kind: str
    shape: tuple[int, int]
    weights: slice
    biases: slice
    params: dict[str, slice] = field(default_factory=dict)

    @property
    def span(self) -> slice:
        """``[W; b]``'s slice of the flat vector."""
        return slice(self.weights.start, self.biases.stop)

    @property
    def end(self) -> int:
        """Where the block ends in the flat vector (the next block starts there)."""
        return int(max([self.biases.stop, *(s.stop for s in self.params.values())]))

    def W(self, flat: NDArray[_F]) -> NDArray[_F]:
        """The weights' view ``(fan_in, cols)`` into ``flat``."""
        return flat[self.weights].reshape(self.shape)

    def b(self, flat: NDArray[_F]) -> NDArray[_F]:
        """The biases' view ``(cols,)`` into ``flat``."""
        return flat[self.biases]

    def wb(self, flat: NDArray[_F]) -> NDArray[_F]:
        """``[W; b]`` as one view ``(fan_in + 1, cols)`` into ``flat``: the bias is the last row."""
        return flat[self.span].reshape(self.shape[0] + 1, self.shape[1])

    def unit_params(self, flat: NDArray[_F]) -> dict[str, NDArray[_F]]:
        """Each unit parameter's view ``(units,)`` into ``flat``, by name."""
        return {name: flat[s] for name, s in self.params.items()}


def plan_blocks(sizes: Sequence[int], activations: Sequence[str], maxout_k: int) -> list[LayerBlock]:
    """The blocks of a network with layer ``sizes`` and one hidden unit name per hidden layer, laid out
    one after the other from position 0 (the last block's end is the vector's size)."""
    blocks = []
    pos = 0
    depth = len(sizes) - 1
    for l in range(depth):
        fan_in, units = sizes[l], sizes[l + 1]
        pnames: tuple[str, ...] = ()
        if l == depth - 1:
            kind = "output"
        else:
            unit = act.ACTIVATIONS[activations[l]]
            kind = {"maxout": "maxout", "rbf": "rbf"}.get(unit.kind, "affine")
            pnames = tuple(unit.param_names)
        cols = units * maxout_k if kind == "maxout" else units
        weights = slice(pos, pos + fan_in * cols)
        biases = slice(weights.stop, weights.stop + cols)
        pos = biases.stop
        params = {}
        for name in pnames:
            params[name] = slice(pos, pos + units)
            pos += units
        blocks.append(LayerBlock(kind, (fan_in, cols), weights, biases, params))
    return blocks


def penalty_mask(blocks: Sequence[LayerBlock]) -> Array:
    """``(P,)``: 1 where L1/L2 applies (the weights of every layer but rbf templates), 0 elsewhere
    (biases, unit parameters, rbf templates)."""
    mask = np.zeros(blocks[-1].end)
    for block in blocks:
        if block.kind != "rbf":
            mask[block.weights] = 1.0
    return mask


def initialize(flat: Array, blocks: Sequence[LayerBlock], sizes: Sequence[int], activations: Sequence[str],
               init: str, options: dict[str, Any], rng: np.random.Generator) -> None:
    """Draw fresh parameters into ``flat`` ``(P,)`` from ``rng``, layer by layer, with scheme ``init``
    (one of ``INITS``; the network has checked it): weights only, biases 0, except playground's 0.1 and
    the ``relu_bias`` option for rectifiers; prelu slopes 0.25; rbf widths 1.5 (1 with zeros)."""
    flat[:] = 0.0
    for l, block in enumerate(blocks):
        w, b, kind = block.W(flat), block.b(flat), block.kind
        fan_in, units = sizes[l], sizes[l + 1]
        if init == "zeros":
            pass
        elif kind == "rbf":
            # Templates spread over the region where 2-D inputs live; widths start at 1.5.
            w[:] = rng.uniform(-3.0, 3.0, size=w.shape)
        elif init == "playground":
            w[:] = rng.uniform(-0.5, 0.5, size=w.shape)
            b[:] = 0.1
        elif init == "glorot":
            limit = np.sqrt(6.0 / (fan_in + units))
            w[:] = rng.uniform(-limit, limit, size=w.shape)
        else:  # he
            w[:] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=w.shape)
        relu_bias = options["relu_bias"]
        if kind != "output" and activations[l] in RECTIFIERS and relu_bias is not None:
            b[:] = float(relu_bias)
        if kind == "rbf":
            b[:] = 0.0
        params = block.unit_params(flat)
        if "slope" in params:
            params["slope"][:] = 0.25
        if "sigma" in params:
            params["sigma"][:] = 1.0 if init == "zeros" else 1.5
