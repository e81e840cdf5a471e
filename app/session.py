"""One user's training session: config, data, network, trainer and the one random generator.

No asyncio and no sockets here: the hub calls these methods from a worker thread, one call at a time per
session. Everything stochastic draws from one ``numpy.random.Generator`` seeded by ``config.seed``, in a
fixed order (data, split, initial weights, then shuffling), so ``reset()`` gives back the same data and the
same initial weights, and the same config trains to the same numbers step for step.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import logging
import math
import time
from collections.abc import Generator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import regioncount, scenes
from app.config import LIVE_FIELDS, MAX_SEED, ConfigError, SessionConfig
from app.engine import Network, Trainer, fastpath, make_optimizer, outputs
from app.engine.datasets import make_dataset, split
from app.engine.errors import FieldError
from app.engine.features import feature_map
from app.engine.grid import GridEvaluator, GridResult, is_one_d, thumbnails
from app.engine.history import History

log = logging.getLogger("mlp_playground.session")

REGION_COUNT_EVERY = 0.25  # seconds: an exact count costs more than a frame, and changes slowly
# Exact region polygons that took longer than this are made in the worker process next time, and only
# while paused (app/regioncount.py); a playing network that big is drawn with the grid map.
POLYGONS_SLOW_S = 0.05


@dataclass
class ViewState:
    """What frames carry besides the output map; ``unit`` is ``(layer, j)``, layer 0 = the first hidden."""

    unit: tuple[int, int] | None = None
    regions: bool = False
    thumbnails: bool = True


@dataclass
class Snapshot:
    """Everything one frame shows, as plain numbers and float maps; protocol.py turns it into bytes.

    Maps are ``(G, G)`` with row 0 at the top (x2 = box hi); ``thumbnails`` is ``(units, T, T)``.
    """

    header: dict[str, Any]
    output: np.ndarray | None  # (G, G) float: the output unit (K <= 2 or regression)
    output_range: tuple[float, float]
    classes: np.ndarray | None = None  # (G, G) uint8 arg-max class (K >= 3)
    confidence: np.ndarray | None = None  # (G, G) float max probability (K >= 3)
    thumbnails: np.ndarray | None = None
    unit: np.ndarray | None = None
    region_map: np.ndarray | None = None  # (G, G) uint16, when there are no polygons
    region_polygons: Any = None  # (RegionPolygons, region id per cell (F,) uint16): the exact regions


@dataclass
class _Data:
    train_raw: np.ndarray  # (n, 2) raw coordinates
    train_y: np.ndarray
    test_raw: np.ndarray
    test_y: np.ndarray
    train_x: np.ndarray  # (n, features) the network's inputs
    test_x: np.ndarray
    box: tuple[float, float]
    regression: bool
    classes: int
    name: str
    train_t: np.ndarray | None = None  # targets in the output's convention
    test_t: np.ndarray | None = None  # None without a test set


class Session:
    """A training session. Raises ``ConfigError`` (field, message) for configs it cannot build."""

    def __init__(self, config: SessionConfig | None = None, scene: str | None = None,
                 overrides: dict[str, Any] | None = None):
        self.view = ViewState()
        self.playing = False
        self.scene: scenes.Scene | None = None
        self._hand_params: dict | None = None
        self._eval_x: tuple[_Data, np.ndarray] | None = None  # (its data, train and test inputs stacked)
        self._region_job: tuple[tuple, Future] | None = None  # (key, count in the worker process)
        self._polygon_job: tuple[tuple, Future] | None = None  # (key, polygons from the worker process)
        self.polygons_held = False  # the last frame drew the grid map only because the net was playing
        if scene is not None:
            self.load_scene(scene, overrides=overrides)
        else:
            self._build(config or SessionConfig())

    # --- building -----------------------------------------------------------------------------------
    def _build(self, config: SessionConfig) -> None:
        """Build data, network and trainer for ``config``; on error the session keeps its old state."""
        rng = np.random.default_rng(config.seed)
        data = self._make_data(config, rng)
        if config.batch_size > data.train_x.shape[0]:
            raise ConfigError("batch_size", f"must be at most the training-set size {data.train_x.shape[0]}, "
                                            f"got {config.batch_size}")
        if data.classes > 2 and config.output != "softmax":
            raise ConfigError("output", f"{data.classes} classes need the softmax output, "
                                        f"got {config.output!r}")
        if data.regression and config.output not in ("linear", "tanh"):
            raise ConfigError("output", f"a regression dataset needs a linear or tanh output, "
                                        f"got {config.output!r}")
        out_units = data.classes if config.output == "softmax" else 1
        sizes = [len(config.features), *config.hidden, out_units]
        try:
            net = Network(sizes, activation=config.activations(), output=config.output, loss=config.loss,
                          init=config.init, rng=rng,
                          activation_options={"leaky_slope": config.leaky_slope, "maxout_k": config.maxout_k})
            optimizer = make_optimizer(config.optimizer, lr=config.learning_rate,
                                       **_optimizer_options(config))
            trainer = Trainer(net, optimizer, data.train_x, data.train_y, batch_size=config.batch_size,
                              regularization=_reg(config), reg_rate=config.reg_rate, rng=rng,
                              shuffle=config.shuffle)
        except ValueError as exc:  # the engine names what was wrong; the config bounds make this rare
            raise ConfigError("config", str(exc)) from None
        data.train_t = net.encode_targets(data.train_y)
        data.test_t = net.encode_targets(data.test_y) if len(data.test_y) else None
        self.config, self.rng, self.data, self.network, self.trainer = config, rng, data, net, trainer
        # rewind and the landscape's path: checkpoints of this run, one a frame to begin with (the pieces
        # Session.train cuts then coincide with frames: no extra splitting of the training)
        self.history = History(every=config.steps_per_frame)
        self.history.record(trainer)
        # The grid evaluator is kept when its grid is the same (a 'regenerate', a reset): making it afresh
        # means first-touching ~80 MB of buffers behind 8 x 64 units, ~50 ms in each piece of the next frame.
        grid = getattr(self, "_grid", None)
        if grid is None or not (list(grid.box) == list(data.box) and grid.size == config.grid
                                and list(grid.features) == list(config.features)):
            self._grid = None
        self._regions = None
        self._region_info = None
        self._region_job = None  # a count of the old network from the worker process is of no use now
        self._polygons = None  # (key, RegionPolygons or None, why not, seconds) of the last network drawn
        self._polygon_job = None
        self.lecture_cache: dict[str, Any] = {}  # app.lecture's companion nets, built for this network
        self.playing = False
        try:
            self._check_view()
        except ValueError:  # the unit on view is gone with the old architecture
            self.view.unit = None

    def _make_data(self, config: SessionConfig, rng: np.random.Generator) -> _Data:
        try:
            ds = make_dataset(config.dataset, rng, n=config.points, noise=config.noise,
                              classes=config.classes, points=config.custom_points)
        except ValueError as exc:  # a FieldError names the argument (table below)
            field = exc.field if isinstance(exc, FieldError) else "dataset"
            raise ConfigError(_ENGINE_FIELDS.get(field, "dataset"), str(exc)) from None
        if ds.X.shape[1] != 2 and not is_one_d(config.features):
            # 1-D function sets (the universality scene) stream their line repeated on every map row
            raise ConfigError("features", f"{config.dataset!r} is a 1-D function set: use only features of "
                                          f"x1, got {config.features}")
        if config.train_ratio >= 1.0:
            # the lecture's four XOR points are all training points; there is no test set
            train, test = ds, None
        else:
            try:
                train, test = split(ds, config.train_ratio, rng)
            except ValueError as exc:
                raise ConfigError("train_ratio", str(exc)) from None
        empty = np.zeros((0, ds.X.shape[1]))
        test_raw = test.X if test is not None else empty
        test_y = test.y if test is not None else np.zeros(0, dtype=train.y.dtype)
        return _Data(
            train_raw=train.X, train_y=train.y, test_raw=test_raw, test_y=test_y,
            train_x=feature_map(train.X, config.features), test_x=feature_map(test_raw, config.features),
            box=_box(ds.box), regression=bool(ds.regression), classes=int(ds.classes), name=ds.name)

    # --- control --------------------------------------------------------------------------------------
    def configure(self, partial: dict[str, Any]) -> bool:
        """Apply a partial config. Returns True when the network was rebuilt (step back to 0).

        Raises pydantic ``ValidationError`` or ``ConfigError``; the session is unchanged then.
        """
        new = self.config.merged(partial)
        changed = self.config.changed_fields(new)
        if not changed:
            return False
        if changed <= LIVE_FIELDS:
            self.trainer.optimizer.lr = new.learning_rate
            # The chosen optimizer's coefficients change in place; its state (velocity, moments) is kept.
            for name, value in _optimizer_options(new).items():
                setattr(self.trainer.optimizer, name, value)
            self.trainer.set_regularization(_reg(new), new.reg_rate)
            if "grid" in changed:
                self._grid = None
                self._regions = None
            self.config = new
            return False
        playing = self.playing
        self._build(new)
        self._hand_params = None  # a rebuilt network no longer has the scene's hand-set weights
        self.playing = playing
        return True

    def reset(self) -> None:
        """Back to step 0 with the same data and the same initial weights (or the scene's hand-set ones)."""
        self._build(self.config)
        if self._hand_params is not None:
            self.network.set_parameters(**self._hand_params)
            self.history.amend(self.trainer)

    def regenerate(self) -> None:
        """A new data seed (derived from the current one, so a sequence of clicks is reproducible)."""
        seed = int(np.random.default_rng(self.config.seed).integers(0, MAX_SEED))
        self._build(self.config.merged({"seed": seed}))
        self._hand_params = None

    def load_scene(self, name: str, overrides: dict[str, Any] | None = None) -> None:
        """Replace config and weights with the scene's (``overrides``: a partial config on top).

        Raises KeyError for an unknown scene, ValidationError / ConfigError for bad overrides.
        """
        scene = scenes.get_scene(name)
        config = SessionConfig.model_validate({**scene.config, **(overrides or {})})
        self._build(config)
        self.scene = scene
        self._hand_params = None
        if scene.parameters is not None:
            try:
                self.network.set_parameters(**scene.parameters)
                self._hand_params = scene.parameters
                self.history.amend(self.trainer)
            except ValueError:  # the overrides changed the architecture: keep the initial weights
                pass
        self.view = ViewState(**scene.view)
        self._check_view()
        self.playing = scene.autoplay

    def start_from(self, parameters: dict[str, Any]) -> None:
        """Set every parameter (``Network.set_parameters`` keywords) and make them the starting point that
        ``reset`` returns to, as a scene's hand-set weights are (a fork of a presenter's network)."""
        self.network.set_parameters(**parameters)
        self._hand_params = parameters
        self.history.amend(self.trainer)

    def lecture(self, what: str, **args: Any) -> dict[str, Any]:
        """The numbers of one lecture-scene panel (see ``app.lecture``); ValueError names what is wrong."""
        from app import lecture

        return lecture.compute(self, what, **args)

    def lecture_steps(self, what: str, **args: Any) -> Generator[Any, None, dict[str, Any]]:
        """``lecture`` as pieces of bounded work (see ``app.lecture.compute_steps``)."""
        from app import lecture

        return lecture.compute_steps(self, what, **args)

    def set_param(self, kind: str, layer: int, index, value: float) -> None:
        """Set one weight, bias or unit parameter (ValueError / IndexError name what was wrong)."""
        idx = tuple(index) if isinstance(index, list | tuple) else index
        self.network.set_param(kind, layer, idx, float(value))
        self.history.amend(self.trainer)

    def restore(self, layer: int, weights: list, biases: list, unit_params: dict[str, list],
                step: int) -> None:
        """Put back layer ``layer``'s parameters and the step counter as a page last saw them (its session
        was lost with a server restart). ``reset`` still returns to the initial or the scene's weights.
        ValueError names a layer or shape that does not fit this network; nothing changes then."""
        params = self.network.get_parameters()
        if not 0 <= layer < len(params["weights"]):
            raise FieldError("layer",
                             f"layer {layer} does not exist: the network has {len(params['weights'])} "
                             "layers of weights")
        params["weights"][layer] = weights
        params["biases"][layer] = biases
        params["unit_params"][layer] = {**params["unit_params"][layer], **unit_params}
        self.network.set_parameters(**params)
        self.trainer.resume_at(step)
        self.history.restart(self.trainer)

    def set_view(self, **changes: Any) -> None:
        """Change what frames carry; raises ValueError naming a unit that does not exist."""
        view = ViewState(**{**self.view.__dict__, **changes})
        old, self.view = self.view, view
        try:
            self._check_view()
        except ValueError:
            self.view = old
            raise

    def _check_view(self) -> None:
        if self.view.unit is None:
            return
        layer, j = self.view.unit
        hidden = self.config.hidden
        if not (0 <= layer < len(hidden) and 0 <= j < hidden[layer]):
            raise FieldError("unit", f"unit {[layer, j]} does not exist; hidden layers are {hidden}")

    @property
    def state(self) -> str:
        if self.trainer.diverged:
            return "diverged"
        return "playing" if self.playing else "paused"

    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    # --- training -------------------------------------------------------------------------------------
    def train(self, n: int, budget_s: float | None = None) -> int:
        """Train up to ``n`` mini-batches, stopping early once ``budget_s`` seconds are spent (fair share).

        Returns the number of steps done; stops playing when the network diverges.
        """
        # The budget is checked after every step, and within a big batch's step after every chunk of it
        # (Trainer.train_for), so a slice holds the pool at most one piece past its budget.
        # Pieces end on the history's grid of steps, so that no checkpoint is skipped.
        budget = math.inf if budget_s is None else budget_s
        start, done = time.perf_counter(), 0
        while done < n:
            piece = min(n - done, self.history.steps_to_next(self.trainer.step_count))
            k = self.trainer.train_for(piece, budget - (time.perf_counter() - start))
            done += k
            self.history.record(self.trainer)
            if k < piece or self.trainer.diverged:
                break
        if self.trainer.diverged:
            self.playing = False
        return done

    # --- inspection and export ------------------------------------------------------------------------
    def inspect(self, x: tuple[float, float], y: float | None = None) -> dict[str, Any]:
        """Every unit's pre-activation, activation and (given a label) delta for one input point."""
        raw = np.asarray([x], dtype=float)
        X = feature_map(raw, self.config.features)
        net = self.network
        loss = None
        deltas = None
        if y is not None:
            if not self.data.regression and (y != int(y) or not 0 <= y < self.data.classes):
                # the engine takes any finite target for a tanh or linear output (regression); on a
                # classification set, a label is a class index
                raise FieldError("y", f"y: a label of this data set is a class index in "
                                 f"0..{self.data.classes - 1}, got {y:g}")
            T = net.encode_targets(np.asarray([y]))
            grads = net.loss_and_gradients(X, T, train=False)
            fwd, deltas, loss = grads.forward, grads.deltas, float(grads.loss)
        else:
            fwd = net.forward(X)
        layers = []
        for layer in range(len(fwd.z)):
            layers.append({"z": fwd.z[layer][0].tolist(), "a": fwd.a[layer + 1][0].tolist(),
                           "delta": deltas[layer][0].tolist() if deltas is not None else None})
        return {"x": list(x), "input": X[0].tolist(), "layers": layers, "output": fwd.output[0].tolist(),
                "loss": loss}

    def export(self, fmt: str) -> tuple[str, str]:
        """``(filename, content)``: config and parameters as JSON, or the data as CSV."""
        return finish(self.export_steps(fmt))

    def export_steps(self, fmt: str) -> Generator[None, None, tuple[str, str]]:
        """``export`` in pieces: the JSON a weight matrix at a time (see ``_parameters_json``)."""
        if fmt == "json":
            head = json.dumps({"config": self.config.model_dump(), "step": self.step_count}, indent=1)
            body = yield from _parameters_json(self.network)
            return "mlp-playground.json", f'{head[:-2]},\n "parameters": {body}\n}}'
        if fmt == "csv":
            buf = io.StringIO()
            buf.write("x1,x2,label,set\n")
            d = self.data
            for raw, y, name in ((d.train_raw, d.train_y, "train"), (d.test_raw, d.test_y, "test")):
                for (x1, x2), label in zip(_plane(raw, y), y, strict=True):
                    buf.write(f"{x1:.6g},{x2:.6g},{label:.6g},{name}\n")
            return f"{d.name}.csv", buf.getvalue()
        raise ValueError(f"unknown export format {fmt!r}; expected json or csv")

    def dataset_points(self) -> dict[str, Any]:
        """The points for the data column: ``[x1, x2, label]`` rounded for the wire."""
        d = self.data

        def rows(raw, y):
            return np.round(np.column_stack([_plane(raw, y), y]), 4).tolist()

        return {"train": rows(d.train_raw, d.train_y), "test": rows(d.test_raw, d.test_y),
                "box": list(d.box), "classes": d.classes, "regression": d.regression}

    # --- frames ---------------------------------------------------------------------------------------
    def _evaluator(self) -> GridEvaluator:
        if self._grid is None:
            cfg = self.config
            self._grid = GridEvaluator(self.data.box, cfg.grid, cfg.features, dtype=np.float32)
        return self._grid

    def _output_range(self) -> tuple[float, float]:
        out = self.config.output
        if out in ("sigmoid", "softmax"):
            return 0.0, 1.0
        if out == "tanh":
            return -1.0, 1.0
        t = self.data.train_t
        lo, hi = float(np.min(t)), float(np.max(t))
        return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)

    def snapshot(self) -> Snapshot:
        """The current state as a Snapshot (one batched grid pass for the output and every hidden unit)."""
        return finish(self.snapshot_steps())

    def snapshot_steps(self) -> Generator[None, None, Snapshot]:
        """``snapshot`` in pieces: a generator that yields between pieces of bounded work (one layer of
        the grid pass, the metrics, the regions) and returns the Snapshot, so that a server can run a big
        network's frame in slices. Nothing else may use the session until it is done."""
        if self.trainer.diverged:  # inf and NaN weights are expected here; the header says "diverged"
            return (yield from _quietly(self._snapshot()))
        return (yield from self._snapshot())

    def _snapshot(self) -> Generator[None, None, Snapshot]:
        net, d, cfg = self.network, self.data, self.config
        g = cfg.grid
        result = yield from self._evaluator().evaluate_steps(net)
        yield
        line = len(result.shape) == 1  # no feature reads x2: every row of the map is the same line
        out = result.output
        snap = Snapshot(header={}, output=None, output_range=self._output_range())
        if cfg.output == "softmax" and out.shape[1] >= 3:
            snap.classes = _as_map(np.argmax(out, axis=1).astype(np.uint8), g, line)
            snap.confidence = _as_map(np.max(out, axis=1), g, line)
        else:
            col = 1 if cfg.output == "softmax" else 0
            snap.output = _as_map(out[:, col], g, line)
        if self.view.thumbnails and cfg.hidden:
            thumbs = yield from _thumbnail_steps(result, min(cfg.thumbnail, g))
            snap.thumbnails = np.broadcast_to(thumbs[:, None, :], (*thumbs.shape[:1], thumbs.shape[1],
                                                                   thumbs.shape[1])) if line else thumbs
        if self.view.unit is not None:
            layer, j = self.view.unit
            snap.unit = _as_map(result.maps[sum(cfg.hidden[:layer]) + j], g, line)
        regions = None
        self._regions_drawn = None
        self.polygons_held = False  # set when this frame draws the grid map only because the net is playing
        if self.view.regions:
            yield
            regions, snap.region_map, snap.region_polygons = yield from self._region_view()
        yield
        metrics = yield from self._metrics_steps()  # a forward pass over every point, in chunks of points
        yield
        snap.header = {
            "step": self.step_count,
            "epoch": self.trainer.epochs_done(),
            "state": self.state,
            **metrics,
            **_plain_params(net),
            "regions": regions,
            "regions_drawn": self._regions_drawn,
            "grid": g,
            "box": list(d.box),
            "sizes": list(net.sizes),
            "unit": list(self.view.unit) if self.view.unit is not None else None,
        }
        return snap

    def _metrics_steps(self) -> Generator[None, None, dict[str, Any]]:
        """Loss and accuracy on the whole training and test sets (None where they do not apply), from ONE
        forward pass over both sets (one pass costs about what each set's own would). The pass goes a chunk
        of ``fastpath.chunk_rows`` points at a time (one chunk for a small network), yielding in between."""
        d, net = self.data, self.network
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
        train_loss, train_acc, train_tie = self._set_metrics(z[:n], out[:n], d.train_y, d.train_t)
        if d.test_t is None:
            test_loss = test_acc = test_tie = None
        else:
            test_loss, test_acc, test_tie = self._set_metrics(z[n:], out[n:], d.test_y, d.test_t)
        return {"train_loss": train_loss, "test_loss": test_loss, "train_accuracy": train_acc,
                "test_accuracy": test_acc, "train_undecided": train_tie, "test_undecided": test_tie}

    def _set_metrics(self, z: np.ndarray, out: np.ndarray, y: np.ndarray,
                     T: np.ndarray) -> tuple[float | None, float | None, int | None]:
        """Data loss, accuracy and the number of undecided points (a tie at the threshold: neither right
        nor wrong, and not counted as correct) of one set from its rows of the forward pass (``z``, ``out``:
        (n, K))."""
        net = self.network
        loss, _ = outputs.loss_and_delta(net.output, net.loss_name, z, out, T)
        if self.data.regression:
            return _num(loss), None, None
        predicted = outputs.predicted_class(net.output, out)
        hits = predicted == y.astype(int)
        return _num(loss), float(np.mean(hits)), int(np.sum(predicted == outputs.UNDECIDED))

    def _region_view(self) -> Generator[None, None, tuple[dict[str, Any] | None, np.ndarray | None, Any]]:
        """The region count (``{count, bound, upper, exact, note}``) and either the exact polygons with a
        stable region id per cell or, where there are none, the region map with the same ids; sets
        ``_regions_drawn`` to which of the two, and why not the polygons. In pieces (a generator)."""
        from app.engine.regions import RegionTracker, region_count  # only if asked for

        net, cfg = self.network, self.config
        key = (self.step_count, hash(net.flat.tobytes()))
        now = time.monotonic()
        job = self._region_job
        if job is not None and job[1].done():  # a count from the worker process has arrived
            self._region_job = None
            try:
                regions, cost = job[1].result()
                self._region_info = (job[0], now, regions, cost)
            except BrokenProcessPool:  # the worker died: past its memory bound; not counted here either
                log.warning("the region-count worker died counting a %s network", net.sizes)
                self._region_info = (job[0], now, regioncount.TOO_MANY, REGION_COUNT_EVERY)
            except Exception:  # the worker failed: count here, as for a small network
                log.exception("region count in the worker process failed")
                self._region_info = None
        if (self._region_info is None or key != self._region_info[0]) and self._region_job is None:
            # while playing, an exact count (which may take longer than a frame) is refreshed only every
            # REGION_COUNT_EVERY seconds, or four times its own cost, whichever is longer. A count that was
            # slow last time, or the first count of a big network, goes to the worker process
            # (app/regioncount.py): the frames show the last count (or "counting") until it arrives.
            last = self._region_info
            if last is None or not self.playing or now - last[1] >= max(REGION_COUNT_EVERY, 4 * last[3]):
                slow = last[3] >= regioncount.SLOW_S if last is not None else not regioncount.small(net)
                if slow and net.piecewise_linear:
                    try:
                        self._region_job = (key, regioncount.submit(net, self.data.box, cfg.features))
                    except RuntimeError:
                        log.warning("region count worker unavailable; counting on the training thread")
                if self._region_job is None:
                    info = region_count(net, self.data.box, cfg.features, budget=regioncount.BUDGET)
                    self._region_info = (key, now, info.to_dict(), time.monotonic() - now)
        regions = self._region_info[2] if self._region_info is not None else regioncount.COUNTING
        self._regions_drawn = None
        if not net.piecewise_linear:
            return regions, None, None
        if self._regions is None:
            self._regions = RegionTracker()
        polygons, why = self._exact_polygons(key)
        if polygons is not None:
            self._regions_drawn = "polygons"
            return regions, None, (polygons, self._regions.ids(polygons.patterns))
        yield
        grid = yield from _region_map_steps(net, self._evaluator(), self._regions)
        if grid.ndim == 1:
            grid = np.broadcast_to(grid.reshape(1, -1), (cfg.grid, cfg.grid))
        self._regions_drawn = f"grid map: {why}"
        return regions, grid, None

    def _exact_polygons(self, key: tuple) -> tuple[Any, str | None]:
        """The network's exact region polygons, or None and why not (the frame then carries the grid map).

        Small networks get them on this thread every frame. One whose polygons took longer than
        ``POLYGONS_SLOW_S`` last time (or a big one, at first) gets them from the worker process, and
        only while paused: polygons of a network that has trained on since would be drawn over a newer map.
        """
        from app.engine.regions import PolygonsUnavailable, region_polygons

        last = self._polygons
        if last is not None and last[0] == key:  # the same network as the last frame (paused)
            return last[1], last[2]
        job = self._polygon_job
        if job is not None and job[1].done():
            self._polygon_job = None
            try:
                self._polygons = (job[0], *job[1].result())
            except Exception:  # the worker failed: try again there, on the next paused frame
                log.exception("region polygons in the worker process failed")
                self._polygons = (job[0], None, "the polygons could not be made", math.inf)
            last = self._polygons
            if last[0] == key:
                return last[1], last[2]
        net, cfg = self.network, self.config
        slow = last[3] >= POLYGONS_SLOW_S if last is not None else not regioncount.small(net)
        if not slow:
            start = time.monotonic()  # not ``now``: a region count may have been made since
            try:
                polygons, why = region_polygons(net, self.data.box, cfg.features), None
            except PolygonsUnavailable as exc:
                polygons, why = None, str(exc)
            self._polygons = (key, polygons, why, time.monotonic() - start)
            return polygons, why
        if self.playing:
            self.polygons_held = True
            return None, "the exact polygons of a network this big are drawn when it is paused"
        if self._polygon_job is None:
            try:
                self._polygon_job = (key, regioncount.submit(net, self.data.box, cfg.features, polygons=True))
            except RuntimeError:
                return None, "the region worker is unavailable"
        return None, "making the exact polygons\u2026"

    def region_count_pending(self) -> Future | None:
        """The region count, else the region polygons, being made in the worker process for a coming frame,
        if any (the hub sends a paused session a frame when it arrives)."""
        job = self._region_job or self._polygon_job
        return job[1] if job is not None else None


REGION_MAP_ROWS = 1000  # grid points per piece of a region map: ~10 ms behind 8 layers of 64 units


def _region_map_steps(net: Network, grid: GridEvaluator, tracker: Any) -> Generator[None, None, np.ndarray]:
    """``region_map(net, grid, tracker)`` in pieces: the activation patterns (a float64 pass of the whole
    network, ~0.3 s on a 200 x 200 grid behind 8 x 64 units) a chunk of points at a time."""
    from app.engine.regions import activation_patterns

    X = grid.inputs
    parts = []
    for start in range(0, X.shape[0], REGION_MAP_ROWS):
        parts.append(activation_patterns(net, X[start:start + REGION_MAP_ROWS]))
        yield
    return tracker.ids(np.concatenate(parts)).reshape(grid.shape)


def _thumbnail_steps(result: GridResult, size: int) -> Generator[None, None, np.ndarray]:
    """``thumbnails(result, size)`` a hidden layer at a time (512 thumbnails of 64 px sampled from a
    200 x 200 grid are ~40 ms in one go)."""
    parts = []
    for start, stop in itertools.pairwise(result.offsets):
        parts.append(thumbnails(dataclasses.replace(result, maps=result.maps[start:stop]), size))
        yield
    return np.concatenate(parts)


def _parameters_json(net: Network) -> Generator[None, None, str]:
    """``net.get_parameters()`` as indented JSON with one weight row per line, a layer per piece.

    ``json.dumps(..., indent=1)`` runs its pure-Python encoder and puts every number on its own line
    (~50 ms and 30,000 lines for 8 layers of 64 units); each row here goes through the C encoder."""
    def matrix(rows: list) -> str:
        return "[\n" + ",\n".join("    " + json.dumps(row) for row in rows) + "\n   ]"

    weights = []
    for w in net.weights:
        weights.append(matrix(w.tolist()))
        yield
    biases = ",\n".join("   " + json.dumps(b.tolist()) for b in net.biases)
    units = ",\n".join("   " + json.dumps({k: v.tolist() for k, v in p.items()}) for p in net.unit_params)
    return ('{\n  "weights": [\n   ' + ",\n   ".join(weights) + '\n  ],\n  "biases": [\n' + biases
            + '\n  ],\n  "unit_params": [\n' + units + "\n  ]\n }")


def finish(steps: Generator[Any, None, Any]) -> Any:
    """Run a generator of work pieces (``snapshot_steps``, app.lecture's panels) to its end at once and
    return what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def _quietly(steps: Generator[Any, None, Any]) -> Generator[Any, None, Any]:
    """``steps`` with NumPy's floating-point warnings off inside each piece (not across the pauses, when
    other work runs on the thread)."""
    while True:
        with np.errstate(all="ignore"):
            try:
                item = next(steps)
            except StopIteration as done:
                return done.value
        yield item


# the config field behind each argument of make_dataset a FieldError names (anything else: the dataset)
_ENGINE_FIELDS = {"n": "points", "noise": "noise", "classes": "classes", "points": "custom_points",
                  "dataset": "dataset", "train_ratio": "train_ratio"}


def _as_map(values: np.ndarray, g: int, line: bool) -> np.ndarray:
    """A ``(G, G)`` map from ``G * G`` grid values, or from ``G`` values along x1 repeated on every row."""
    return np.broadcast_to(values.reshape(1, g), (g, g)) if line else values.reshape(g, g)


def _plane(raw: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points as ``(n, 2)``: a 1-D set's point (x, f(x)) is drawn at height f(x), so it traces its curve."""
    return raw if raw.shape[1] == 2 else np.column_stack([raw[:, 0], y])


def _reg(config: SessionConfig) -> str | None:
    return None if config.regularization == "none" else config.regularization


def _optimizer_options(config: SessionConfig) -> dict[str, Any]:
    if config.optimizer == "momentum":
        return {"beta": config.momentum, "nesterov": config.nesterov}
    if config.optimizer == "adam":
        return {"beta1": config.beta1, "beta2": config.beta2}
    return {}


def _box(box: Any) -> tuple[float, float]:
    """The engine's view box as ``(lo, hi)`` (the same on both axes)."""
    arr = np.asarray(box, dtype=float).ravel()
    return float(arr.min()), float(arr.max())


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _plain_params(net: Network) -> dict[str, Any]:
    """Parameters for the frame header, rounded to 4 decimals: enough to draw and label the links."""
    return {"weights": [np.round(w, 4).tolist() for w in net.weights],
            "biases": [np.round(b, 4).tolist() for b in net.biases],
            "unit_params": [{k: np.round(v, 4).tolist() for k, v in p.items()} for p in net.unit_params]}
