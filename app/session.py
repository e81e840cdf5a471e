"""One user's training session: config, data, network, trainer and the one random generator.

No asyncio and no sockets here: the hub calls these methods from a worker thread, one call at a time per
session. Everything stochastic draws from one ``numpy.random.Generator`` seeded by ``config.seed``, in a
fixed order (data, split, initial weights, then shuffling), so ``reset()`` gives back the same data and the
same initial weights, and the same config trains to the same numbers step for step.
"""

from __future__ import annotations

import copy
import io
import math
import time
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

import numpy as np

from app import importing, netbuild, scenes
from app.compare import CompareRun, live_change
from app.config import LIVE_FIELDS, MAX_SEED, ConfigError, SessionConfig
from app.engine.datasets import make_dataset, split
from app.engine.errors import FieldError
from app.engine.features import feature_map
from app.engine.grid import is_one_d
from app.engine.history import History
from app.frames import FrameMaker, Snapshot, ViewState
from app.pieces import finish
from app.sessiondata import Data


class Session:
    """A training session. Raises ``ConfigError`` (field, message) for configs it cannot build."""

    def __init__(self, config: SessionConfig | None = None, scene: str | None = None,
                 overrides: dict[str, Any] | None = None):
        self.view = ViewState()
        self.playing = False
        self.scene: scenes.Scene | None = None
        self._hand_params: dict | None = None
        self.frames = FrameMaker()  # the grid evaluator and region state behind this session's frames
        self.compare: CompareRun | None = None  # network B of a compare (app/compare.py), in lockstep
        if scene is not None:
            self.load_scene(scene, overrides=overrides)
        else:
            self._build(config or SessionConfig())

    # --- building -----------------------------------------------------------------------------------
    def _build(self, config: SessionConfig) -> None:
        """Build data, network and trainer for ``config``; on error the session keeps its old state."""
        rng = np.random.default_rng(config.seed)
        data = self._make_data(config, rng)
        b_rng = copy.deepcopy(rng) if config.compare is not None else None  # B's initial weights start here
        net, trainer = netbuild.build(config, data, rng)
        frames_b = self.compare.frames if self.compare is not None else None
        b = CompareRun(config, data, b_rng, trainer, frames_b) if b_rng is not None else None
        self.config, self.rng, self.data, self.network, self.trainer = config, rng, data, net, trainer
        self.compare = b
        # rewind and the landscape's path: checkpoints of this run, one a frame to begin with (the pieces
        # Session.train cuts then coincide with frames: no extra splitting of the training); B's beside A's
        self.history = History(every=config.steps_per_frame, companion=b.checkpoint if b else None)
        self.history.record(trainer)
        self.frames.network_changed(data, config)  # keeps the grid evaluator of a 'regenerate', a reset
        self.lecture_cache: dict[str, Any] = {}  # app.lecture's companion nets, built for this network
        self.playing = False
        try:
            self._check_view()
        except ValueError:  # the unit on view is gone with the old architecture
            self.view.unit = None

    def _make_data(self, config: SessionConfig, rng: np.random.Generator) -> Data:
        try:
            ds = make_dataset(config.dataset, rng, n=config.points, noise=config.noise,
                              classes=config.classes, points=config.custom_points,
                              regression=config.custom_regression, box=config.custom_box)
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
        return Data(
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
        if changed - {"compare"} <= LIVE_FIELDS and live_change(self.config, new, LIVE_FIELDS):
            netbuild.apply_live(self.trainer, new)
            if "grid" in changed:
                self.frames.grid_changed()
            if self.compare is not None:
                self.compare.configure_live(new, "grid" in changed)
            self.config = new
            return False
        playing = self.playing
        self._build(new)
        self._hand_params = None  # a rebuilt network no longer has the scene's hand-set weights
        self.playing = playing
        return True

    def rebuild(self, config: SessionConfig, parameters: dict[str, Any] | None = None, step: int = 0,
                compare_parameters: dict[str, Any] | None = None) -> None:
        """Start over on ``config`` (an imported file), playing on if it played, without a scene; then set
        ``parameters`` (``Network.set_parameters`` keywords, checked by the caller: app/importing.py), a
        compare's B's, and the step counter of both. ``reset`` goes back to the config's initial weights."""
        playing = self.playing
        self._build(config)
        self.scene, self._hand_params, self.playing = None, None, playing
        if parameters is not None:
            self.network.set_parameters(**parameters)
            self.trainer.resume_at(step)
            if self.compare is not None:  # after A: B takes A's epoch order at that step
                if compare_parameters is not None:
                    self.compare.network.set_parameters(**compare_parameters)
                self.compare.trainer.resume_at(step)
            self.history.restart(self.trainer)

    def import_csv(self, text: str | bytes) -> importing.Imported:
        """Train on a CSV's points (``x1,x2,label`` or ``x1,x2,y``) from step 0 (app/importing.py)."""
        return importing.import_csv(self, text)

    def import_json(self, text: str | bytes) -> importing.Imported:
        """Restore an ``export("json")`` file: config, every parameter, the step (app/importing.py)."""
        return importing.import_json(self, text)

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
        self.view = ViewState(**scene.view, params=self.view.params)  # the client's form stays
        self._check_view()
        self.playing = scene.autoplay

    def start_from(self, parameters: dict[str, Any]) -> None:
        """Set every parameter (``Network.set_parameters`` keywords) and make them the starting point that
        ``reset`` returns to, as a scene's hand-set weights are (a fork of a presenter's network)."""
        self.network.set_parameters(**parameters)
        self._hand_params = parameters
        self.history.amend(self.trainer)

    def set_param(self, kind: str, layer: int, index, value: float) -> None:
        """Set one weight, bias or unit parameter (ValueError / IndexError name what was wrong)."""
        idx = tuple(index) if isinstance(index, list | tuple) else index
        self.network.set_param(kind, layer, idx, float(value))
        self.history.amend(self.trainer)

    def restore(self, layer: int, weights: list, biases: list, unit_params: dict[str, list],
                step: int, network: str = "a") -> None:
        """Put back layer ``layer``'s parameters and the step counter as a page last saw them (its session
        was lost with a server restart). ``reset`` still returns to the initial or the scene's weights.
        ValueError names a layer or shape that does not fit this network; nothing changes then.
        ``network`` "b": a layer of a compare's B, once A's layers are back (at A's step)."""
        net = self.network
        if network == "b":
            if self.compare is None:
                raise FieldError("network", "network 'b': this session compares no second network")
            if step != self.trainer.step_count:
                raise FieldError("step", f"B's layers go back at A's step {self.trainer.step_count}, "
                                         f"got {step}")
            net = self.compare.network
        params = net.get_parameters()
        if not 0 <= layer < len(params["weights"]):
            raise FieldError("layer",
                             f"layer {layer} does not exist: the network has {len(params['weights'])} "
                             "layers of weights")
        params["weights"][layer] = weights
        params["biases"][layer] = biases
        params["unit_params"][layer] = {**params["unit_params"][layer], **unit_params}
        net.set_parameters(**params)
        if network == "a":
            self.trainer.resume_at(step)
        if self.compare is not None:  # after A: B takes A's new epoch order
            self.compare.trainer.resume_at(step)
        self.history.restart(self.trainer)

    def rewind(self, step: int) -> int:
        """Go to the kept checkpoint at ``step`` or the latest one before it, paused; returns its step. The
        newer checkpoints stay (the scrubber can go forward again) until training goes on from here.
        ValueError names the kept range when ``step`` is before it."""
        if not self.history.steps or self.history.steps[-1] < self.trainer.step_count:
            self.history.amend(self.trainer)  # the step it is at now is kept too: the way back to it
        state = self.history.at(step)
        self.playing = False
        self.trainer.restore(state)
        if self.compare is not None:
            self.compare.restore(self.history.companion_at(step))
        return state.step_count

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
        # Training on from a rewound step starts a new branch: the old future goes (the same run would make
        # it again, step for step, but a changed setting would not)
        self.history.truncate_after(self.trainer.step_count)
        # Pieces end on the history's grid of steps, so that no checkpoint is skipped.
        budget = math.inf if budget_s is None else budget_s
        start, done = time.perf_counter(), 0
        while done < n:
            piece = min(n - done, self.history.steps_to_next(self.trainer.step_count))
            k = (self.compare.lockstep if self.compare else self.trainer).train_for(
                piece, budget - (time.perf_counter() - start))
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
        """``export`` in pieces: the JSON a weight matrix at a time (app/importing.py writes it)."""
        if fmt == "json":
            return (yield from importing.export_json(self))
        if fmt == "csv":  # reads back with import_csv (its 'set' column is read past)
            buf = io.StringIO()
            d = self.data
            buf.write(f"x1,x2,{'y' if d.regression else 'label'},set\n")
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
    def snapshot(self) -> Snapshot:
        """The current state as a Snapshot (one batched grid pass for the output and every hidden unit)."""
        return finish(self.snapshot_steps())

    def snapshot_steps(self) -> Generator[None, None, Snapshot]:
        """``snapshot`` in pieces (see ``FrameMaker.snapshot_steps``), so that a server can run a big
        network's frame in slices. Nothing else may use the session until it is done."""
        snap = yield from self.frames.snapshot_steps(self)
        if self.compare is not None:  # B's maps and numbers beside A's, in the same frame
            snap.compare = yield from self.compare.snapshot_steps(snap.state)
        return snap

    @property
    def polygons_held(self) -> bool:
        """Whether the last frame drew the grid map only because the (big) network was playing."""
        return self.frames.polygons_held

    def region_count_pending(self) -> Future | None:
        """The region count, else the region polygons, being made in the worker process for a coming frame,
        if any (the hub sends a paused session a frame when it arrives)."""
        return self.frames.pending()


# the config field behind each argument of make_dataset a FieldError names (anything else: the dataset)
_ENGINE_FIELDS = {"n": "points", "noise": "noise", "classes": "classes", "points": "custom_points",
                  "dataset": "dataset", "train_ratio": "train_ratio", "box": "custom_box"}


def _plane(raw: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points as ``(n, 2)``: a 1-D set's point (x, f(x)) is drawn at height f(x), so it traces its curve."""
    return raw if raw.shape[1] == 2 else np.column_stack([raw[:, 0], y])


def _box(box: Any) -> tuple[float, float]:
    """The engine's view box as ``(lo, hi)`` (the same on both axes)."""
    arr = np.asarray(box, dtype=float).ravel()
    return float(arr.min()), float(arr.max())
