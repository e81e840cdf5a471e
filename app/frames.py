"""A session's frames: what they carry (``ViewState``), what one shows (``Snapshot``, typed: app/protocol
maps it to the wire) and the ``FrameMaker`` that makes them in pieces of bounded work.

A frame is one batched grid pass for the output and every hidden unit, the thumbnails, the unit on view,
the regions (app/regionview.py), the loss and accuracy on every point, and the parameters. Each step of
``FrameMaker.snapshot_steps`` is a bounded piece, so a server can run a big network's frame in slices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app import costs
from app.config import SessionConfig
from app.engine import Network, Trainer, fastpath, outputs
from app.engine.grid import GridEvaluator, GridResult, thumbnails
from app.engine.params import LayerBlock
from app.engine.regions import RegionPolygons
from app.overload import Reduction
from app.pieces import quietly
from app.regionview import RegionView
from app.sessiondata import Data


@dataclass
class ViewState:
    """What frames carry besides the output map; ``unit`` is ``(layer, j)``, layer 0 = the first hidden."""

    unit: tuple[int, int] | None = None
    regions: bool = False
    thumbnails: bool = True
    params: str = "json"  # how frames carry the parameters (hello.params): "json" lists or "binary" float32


@dataclass(frozen=True)
class Metrics:
    """Loss and accuracy on the whole training and test sets; None where they do not apply (no test set,
    accuracy of a regression, a diverged loss). ``*_undecided``: points at a tie, neither right nor wrong."""

    train_loss: float | None
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    train_undecided: int | None
    test_undecided: int | None


@dataclass(frozen=True)
class FlatParams:
    """A network's parameters as the frame shows them: ``values`` ``(P,)`` float64, a copy of ``net.flat``
    taken when the frame was made, and the ``blocks`` saying where each layer's weights ``(fan_in, cols)``,
    biases and unit parameters sit in it. ``app.protocol`` writes them as JSON lists or as one array."""

    values: np.ndarray
    blocks: tuple[LayerBlock, ...]

    @classmethod
    def of(cls, net: Network) -> FlatParams:
        return cls(net.flat.copy(), tuple(net.layer_blocks()))


@dataclass
class Snapshot:
    """Everything one frame shows, as plain numbers and float maps; ``app.protocol`` turns it into bytes.

    Maps are ``(G, G)`` with row 0 at the top (x2 = box hi); ``thumbnails`` is ``(units, T, T)``.
    ``params`` are the network's parameters; ``params_form`` says how the frame carries them (the
    ``ViewState``'s: "json" lists rounded to 4 decimals, or "binary", one float32 array), B's as well.
    """

    step: int
    epoch: float
    state: str  # "playing", "paused" or "diverged"
    metrics: Metrics
    params: FlatParams
    regions: dict[str, Any] | None  # the region count {count, bound, upper, exact, note}, if on view
    regions_drawn: str | None  # "polygons", "grid map: why not polygons", or None
    grid: int  # G
    box: tuple[float, float]
    sizes: list[int]  # the network's layer sizes, inputs to outputs
    unit: tuple[int, int] | None  # the unit on view (layer, j), whose map is ``unit_map``
    output_range: tuple[float, float]
    output: np.ndarray | None = None  # (G, G) float: the output unit (K <= 2 or regression)
    classes: np.ndarray | None = None  # (G, G) uint8 arg-max class (K >= 3)
    confidence: np.ndarray | None = None  # (G, G) float max probability (K >= 3)
    thumbnails: np.ndarray | None = None  # (hidden units, T, T) float
    unit_map: np.ndarray | None = None  # (G, G) float: the unit on view
    region_map: np.ndarray | None = None  # (G, G) uint16, when there are no polygons
    region_polygons: tuple[RegionPolygons, np.ndarray] | None = None  # with a region id per cell (F,) uint16
    compare: CompareSnapshot | None = None  # network B of a compare, drawn beside this one
    params_form: str = "json"  # "json" or "binary" (ViewState.params), for B's parameters too
    reduced: tuple[int, str] | None = None  # under overload (app/overload.py): (the config's grid side, why)


@dataclass
class CompareSnapshot:
    """Network B of a compare in one frame: its own counters, metrics, parameters and output maps (as the
    ``Snapshot`` fields of the same names mean, for B), with the label naming how B differs from A and the
    raw ``differences`` (``{"field", "a", "b"}`` each). No thumbnails, unit map or regions."""

    label: str
    differences: list[dict[str, Any]]
    step: int
    epoch: float
    state: str
    metrics: Metrics
    params: FlatParams
    sizes: list[int]
    output_range: tuple[float, float]
    output: np.ndarray | None = None
    classes: np.ndarray | None = None
    confidence: np.ndarray | None = None


@dataclass
class Still:
    """A paused network's last grid pass and metrics: the next frame of the same network (same parameters,
    grid and data; a view change, a hovered unit) shows them again rather than computing them again. The
    pass is views into ``grid``'s buffers, which only this session's frames write."""

    net: Network
    flat: np.ndarray  # a copy of net.flat when they were made
    grid: GridEvaluator
    data: Data
    result: GridResult
    metrics: Metrics
    thumbnails: tuple[int, np.ndarray] | None  # (their size, the hidden units' thumbnails) once made

    def holds(self, net: Network, grid: GridEvaluator, data: Data) -> bool:
        return (net is self.net and grid is self.grid and data is self.data
                and np.array_equal(net.flat, self.flat))


class FrameSource(Protocol):
    """What frames are made of (a ``Session`` is one; typed here so that this module imports no session)."""

    network: Network
    data: Data
    config: SessionConfig
    view: ViewState
    trainer: Trainer
    playing: bool

    @property
    def state(self) -> str: ...

    @property
    def step_count(self) -> int: ...


class FrameMaker:
    """Makes one session's snapshots. Owns the grid evaluator (kept across rebuilds on the same grid: making
    it afresh first-touches ~80 MB of buffers behind 8 x 64 units, ~50 ms in each piece of the next frame)
    and the region view of the current network. One call at a time (the session's)."""

    def __init__(self) -> None:
        self.grid: GridEvaluator | None = None
        self.regions = RegionView()
        self.polygons_held = False  # the last frame drew the grid map only because the net was playing
        self._eval_x: tuple[Data, np.ndarray] | None = None  # (its data, train and test inputs stacked)
        self._still: Still | None = None  # a paused network's last grid pass and metrics
        # the sides of a playing frame under overload (app/overload.py; set by the runner), and the
        # evaluator of that smaller grid, kept beside the full one: the level changes back
        self.reduce: Reduction | None = None
        self.reduced_shown = False  # the last frame was made coarser: a pause asks for the full one
        self._reduced: GridEvaluator | None = None

    def network_changed(self, data: Data, config: SessionConfig) -> None:
        """A new network (or data): forget its regions; keep the evaluator if its grid is the same."""
        grid = self.grid
        if grid is not None and not (list(grid.box) == list(data.box) and grid.size == config.grid
                                     and list(grid.features) == list(config.features)):
            self.grid = None
        self.regions = RegionView()  # a count or polygons of the old network are of no use now
        self._still = None

    def grid_changed(self) -> None:
        """The grid size changed: a new evaluator, and a new region numbering for the new map."""
        self.grid = None
        self.regions.tracker = None
        self._still = None

    def evaluator(self, data: Data, config: SessionConfig) -> GridEvaluator:
        if self.grid is None:
            self.grid = GridEvaluator(data.box, config.grid, config.features, dtype=np.float32)
        return self.grid

    def _evaluator_of(self, data: Data, config: SessionConfig, size: int) -> GridEvaluator:
        """The evaluator of a reduced grid of side ``size`` (one kept: the last level's)."""
        grid = self._reduced
        if grid is None or grid.size != size or list(grid.box) != list(data.box) \
                or list(grid.features) != list(config.features):
            grid = self._reduced = GridEvaluator(data.box, size, config.features, dtype=np.float32)
        return grid

    def pending(self) -> Future[Any] | None:
        """The region count or polygons being made in the worker process for a coming frame, if any."""
        return self.regions.pending()

    def snapshot_steps(self, src: FrameSource) -> Generator[None, None, Snapshot]:
        """The snapshot of ``src`` in pieces: a generator that yields between pieces of bounded work (one
        layer of the grid pass, the metrics, the regions) and returns the Snapshot. Nothing but play and
        pause may change ``src`` until it is done (they do not wait for a frame: ``playing`` and ``state``
        are read where the frame uses them, the state at its end)."""
        work = self._snapshot(src)
        if src.trainer.diverged:  # inf and NaN weights are expected here; the header says "diverged"
            return (yield from quietly(work))
        return (yield from work)

    def _snapshot(self, src: FrameSource) -> Generator[None, None, Snapshot]:
        net, d, cfg, view = src.network, src.data, src.config, src.view
        g, thumbnail, full = cfg.grid, cfg.thumbnail, None
        grid = self.evaluator(d, cfg)
        if self.reduce is not None and src.playing and not view.regions and cfg.compare is None:
            # overload: a coarser picture of a playing network (a region map keeps its numbering's grid;
            # a compare's two maps stay alike)
            g, thumbnail, full = self.reduce.grid, self.reduce.thumbnail, (g, self.reduce.reason)
            grid = self._evaluator_of(d, cfg, g)
        self.reduced_shown = full is not None
        costs.switch("grid")  # the phases of a frame's CPU, for the load benchmark (app/costs.py)
        still = self._still if self._still is not None and self._still.holds(net, grid, d) else None
        self._still = None  # until this frame's pass is done: a pause may leave it half made
        result = still.result if still is not None else (yield from grid.evaluate_steps(net))
        costs.switch("maps")
        yield
        line = len(result.shape) == 1  # no feature reads x2: every row of the map is the same line
        output, classes, confidence = output_maps(result, cfg, line)
        thumbs = unit_map = None
        thumbnails_made = still.thumbnails if still is not None else None
        if view.thumbnails and cfg.hidden:
            size = min(thumbnail, g)
            if still is not None and still.thumbnails is not None and still.thumbnails[0] == size:
                thumbs = still.thumbnails[1]  # sampled from the same pass already
            else:
                thumbs = yield from thumbnail_steps(result, size)
                thumbnails_made = (size, thumbs)
            if line:
                thumbs = np.broadcast_to(thumbs[:, None, :], (*thumbs.shape[:1], thumbs.shape[1],
                                                              thumbs.shape[1]))
        if view.unit is not None:
            layer, j = view.unit
            unit_map = as_map(result.unit_map(sum(cfg.hidden[:layer]) + j), g, line)
        regions = None
        self.polygons_held = False  # set when this frame draws the grid map only because the net is playing
        if view.regions:
            yield
            regions = yield from self.regions.steps(net, src.step_count, d.box, list(cfg.features),
                                                    src.playing, grid)
            self.polygons_held = regions.held
        yield
        costs.switch("metrics")
        metrics = still.metrics if still is not None else (yield from self.metrics_steps(net, d))
        if not src.playing and full is None:  # paused: the next frame may be of the same net (a view change)
            self._still = Still(net, net.flat.copy(), grid, d, result, metrics, thumbnails_made)
        yield
        costs.switch("params")
        params = FlatParams.of(net)
        return Snapshot(
            step=src.step_count, epoch=src.trainer.epochs_done(), state=src.state, metrics=metrics,
            params=params,
            regions=regions.count if regions is not None else None,
            regions_drawn=regions.drawn if regions is not None else None,
            grid=g, box=d.box, sizes=list(net.sizes), unit=view.unit, output_range=output_range(cfg, d),
            output=output, classes=classes, confidence=confidence, thumbnails=thumbs, unit_map=unit_map,
            region_map=regions.region_map if regions is not None else None,
            region_polygons=regions.polygons if regions is not None else None, params_form=view.params,
            reduced=full)

    def compare_steps(self, net: Network, trainer: Trainer, d: Data, cfg: SessionConfig, state: str,
                      label: str, differences: list[dict[str, Any]]
                      ) -> Generator[None, None, CompareSnapshot]:
        """Network B's part of a frame in pieces (its grid pass a layer at a time, then its metrics): B's
        own FrameMaker, since B's grid evaluator has B's features. ``state``: B's, as the header says it."""
        result = yield from self.evaluator(d, cfg).evaluate_steps(net)
        yield
        output, classes, confidence = output_maps(result, cfg, len(result.shape) == 1)
        metrics = yield from self.metrics_steps(net, d)
        return CompareSnapshot(
            label=label, differences=differences, step=trainer.step_count, epoch=trainer.epochs_done(),
            state=state, metrics=metrics, params=FlatParams.of(net),
            sizes=list(net.sizes), output_range=output_range(cfg, d), output=output, classes=classes,
            confidence=confidence)

    def metrics_steps(self, net: Network, d: Data) -> Generator[None, None, Metrics]:
        """The Metrics from ONE forward pass over both sets (one pass costs about what each set's own
        would). The pass goes a chunk of ``fastpath.chunk_rows`` points at a time (one chunk for a small
        network), yielding in between."""
        if self._eval_x is None or self._eval_x[0] is not d:
            self._eval_x = (d, np.concatenate([d.train_x, d.test_x]) if d.test_t is not None else d.train_x)
        X = self._eval_x[1]
        rows = max(1, fastpath.CHUNK_WORK // net.flat.size)
        zs, outs = [], []
        for start in range(0, X.shape[0], rows):
            fwd = net.forward(X[start:start + rows])
            zs.append(fwd.z[-1])
            outs.append(fwd.output)
            if start + rows < X.shape[0]:
                yield
        z, out = (zs[0], outs[0]) if len(zs) == 1 else (np.concatenate(zs), np.concatenate(outs))
        n = d.train_x.shape[0]
        assert d.train_t is not None  # set with the network (Session._build)
        # one class decision over both sets (one call less than a decision per set)
        predicted = None if d.regression else outputs.predicted_class(net.output, out)
        train = _set_metrics(net, z[:n], out[:n], d.train_y, d.train_t,
                             None if predicted is None else predicted[:n])
        test = (None, None, None) if d.test_t is None else _set_metrics(
            net, z[n:], out[n:], d.test_y, d.test_t, None if predicted is None else predicted[n:])
        return Metrics(train_loss=train[0], test_loss=test[0], train_accuracy=train[1],
                       test_accuracy=test[1], train_undecided=train[2], test_undecided=test[2])


def _set_metrics(net: Network, z: np.ndarray, out: np.ndarray, y: np.ndarray, T: np.ndarray,
                 predicted: np.ndarray | None) -> tuple[float | None, float | None, int | None]:
    """Data loss, accuracy and the number of undecided points (a tie at the threshold: neither right nor
    wrong, and not counted as correct) of one set from its rows of the forward pass (``z``, ``out``:
    (n, K)) and their class decisions ``predicted`` (n,) (None: a regression, no accuracy)."""
    loss, _ = outputs.loss_and_delta(net.output, net.loss_name, z, out, T)
    if predicted is None:
        return _num(loss), None, None
    # counts rather than np.mean / np.sum of booleans: the same numbers, a fraction of their calls' cost
    hits = np.count_nonzero(predicted == y.astype(int))
    return _num(loss), int(hits) / len(predicted), int(np.count_nonzero(predicted == outputs.UNDECIDED))


def output_maps(result: GridResult, cfg: SessionConfig, line: bool
                ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """``(output, classes, confidence)`` maps ``(G, G)`` of a grid pass: the output unit's value (K <= 2 or
    regression), else the arg-max class and its probability (the others None)."""
    out, g = result.output, result.shape[0]  # the pass's own side (less than cfg.grid under overload)
    if cfg.output == "softmax" and out.shape[1] >= 3:
        return None, as_map(np.argmax(out, axis=1).astype(np.uint8), g, line), as_map(np.max(out, axis=1),
                                                                                      g, line)
    return as_map(out[:, 1 if cfg.output == "softmax" else 0], g, line), None, None


def output_range(config: SessionConfig, data: Data) -> tuple[float, float]:
    """The range the output map is drawn in: the output unit's own, or a regression's targets'."""
    out = config.output
    if out in ("sigmoid", "softmax"):
        return 0.0, 1.0
    if out == "tanh":
        return -1.0, 1.0
    t = data.train_t
    assert t is not None  # set with the network (Session._build)
    lo, hi = float(np.min(t)), float(np.max(t))
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


THUMBNAILS_AT_ONCE = 50_000  # thumbnail values sampled in one call at most (~1 ms)


def thumbnail_steps(result: GridResult, size: int) -> Generator[None, None, np.ndarray]:
    """``thumbnails(result, size)`` a hidden layer at a time (512 thumbnails of 64 px sampled from a
    200 x 200 grid are ~40 ms in one go)."""
    if len(result.rows) * size * size <= THUMBNAILS_AT_ONCE:  # a small network's: one call
        return thumbnails(result, size)
    parts = []
    for start, stop in itertools.pairwise(result.offsets):
        parts.append(thumbnails(result, size, slice(start, stop)))
        yield
    return np.concatenate(parts)


def as_map(values: np.ndarray, g: int, line: bool) -> np.ndarray:
    """A ``(G, G)`` map from ``G * G`` grid values, or from ``G`` values along x1 repeated on every row."""
    return np.broadcast_to(values.reshape(1, g), (g, g)) if line else values.reshape(g, g)


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
