"""Compare: network B of a session, trained in lockstep with the session's own network A.

B is the session's config with ``config.compare`` on top (``SessionConfig.compare_config``). It trains on
A's data, A's mini-batches in A's order (``engine.Lockstep``: A's run is bit for bit its solo run), starts
from a copy of A's generator taken before A's initial weights (so both start alike when the architecture
and init agree) and draws its randomized-ReLU slopes from that copy. Its checkpoints ride along with A's
(``History(companion=...)``), so a rewind puts both at the same step. This module also names B's
difference in words a lecturer would say ("B: ReLU instead of tanh") and makes B's part of a frame.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from app import netbuild
from app.config import COMPARE_FIELDS, ConfigError, SessionConfig
from app.engine import ACTIVATIONS, FollowOrder, Lockstep, Trainer, TrainerState
from app.engine.features import feature_map
from app.engine.grid import is_one_d
from app.engine.outputs import DEFAULT_LOSS
from app.frames import CompareSnapshot, FrameMaker
from app.sessiondata import Data

SAME = "B: the same network as A"


class CompareRun:
    """Network B beside the session's A (``leader``: A's trainer, already built on ``data``). ``rng``: a
    copy of A's generator as it was just before A's initial weights. ConfigError names ``compare.<field>``
    for a B that cannot be built on this data. ``frames``: the FrameMaker of the B this one replaces (its
    grid evaluator is kept when the grid is the same)."""

    def __init__(self, config: SessionConfig, data: Data, rng: np.random.Generator, leader: Trainer,
                 frames: FrameMaker | None = None):
        cfg = config.compare_config()
        if cfg is None:
            raise ValueError("a compare needs config.compare")
        if data.train_raw.shape[1] != 2 and not is_one_d(cfg.features):
            raise ConfigError("compare.features", f"{data.name!r} is a 1-D function set: B may use only "
                                                  f"features of x1, got {cfg.features}")
        own = dataclasses.replace(data, train_x=feature_map(data.train_raw, cfg.features),
                                  test_x=feature_map(data.test_raw, cfg.features), train_t=None, test_t=None)
        try:
            self.network, self.trainer = netbuild.build(cfg, own, rng, order_rng=FollowOrder(leader))
        except ConfigError as exc:
            raise ConfigError(f"compare.{exc.field}", exc.message) from None
        self.config, self.data = cfg, own
        self.lockstep = Lockstep(leader, self.trainer)
        self.label, self.differences = describe(config, cfg)
        self.frames = frames if frames is not None else FrameMaker()
        self.frames.network_changed(own, cfg)

    @property
    def checkpoint(self) -> Callable[[], TrainerState]:
        """B's checkpoint, for ``History(companion=...)``."""
        return self.trainer.checkpoint

    def configure_live(self, config: SessionConfig, grid_changed: bool) -> None:
        """A's config (with ``compare``) changed in live fields only: B's learning rate, optimizer
        coefficients and penalty follow, training state kept; the label follows the new values."""
        cfg = config.compare_config()
        assert cfg is not None  # a live change keeps compare on (configure checks it with live_change)
        netbuild.apply_live(self.trainer, cfg)
        if grid_changed:
            self.frames.grid_changed()
        self.config = cfg
        self.label, self.differences = describe(config, cfg)

    def restore(self, state: TrainerState | None) -> None:
        """B back to its checkpoint kept beside A's (``History.companion_at``)."""
        if state is not None:
            self.trainer.restore(state)

    def state(self, a_state: str) -> str:
        """B's state for the frame: "diverged" once B diverged (it stops, A trains on), else A's."""
        return "diverged" if self.trainer.diverged else a_state

    def snapshot_steps(self, a_state: str) -> Generator[None, None, CompareSnapshot]:
        """B's part of the frame in pieces (``FrameMaker.compare_steps``)."""
        return self.frames.compare_steps(self.network, self.trainer, self.data, self.config,
                                         self.state(a_state), self.label, self.differences)


def live_change(old: SessionConfig, new: SessionConfig, live: frozenset[str]) -> bool:
    """Whether going from ``old`` to ``new`` changes B (if any) in ``live`` fields only: ``compare`` on in
    both, and B's merged configs differing in nothing else. The caller checks A's own fields."""
    if old.compare == new.compare:
        return True
    b_old, b_new = old.compare_config(), new.compare_config()
    return b_old is not None and b_new is not None and b_old.changed_fields(b_new) <= live


# --- the difference in words ------------------------------------------------------------------------------
_INITS = {"playground": "Playground init", "glorot": "Glorot init", "he": "He init", "zeros": "zero init"}
_OPTIMIZERS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}
_LOSSES = {"cross_entropy": "cross-entropy", "squared_error": "squared error"}
_PENALTIES = {"none": "no regularization", "l1": "L1 regularization", "l2": "L2 regularization"}
_NUMBERS = {"learning_rate": "learning rate", "reg_rate": "regularization rate", "leaky_slope": "leaky slope",
            "maxout_k": "maxout pieces", "momentum": "momentum", "beta1": "Adam beta1", "beta2": "Adam beta2"}


def describe(a: SessionConfig, b: SessionConfig) -> tuple[str, list[dict[str, Any]]]:
    """``(label, differences)``: B's differences from A in words, joined by "; " after "B: " (or
    ``SAME``), and as ``{"field", "a", "b"}`` with the raw values (the effective loss, never null). A
    coefficient that neither network uses (momentum under SGD and Adam, ...) is no difference."""
    phrases, differences = [], []
    for field in COMPARE_FIELDS:
        va, vb = _value(a, field), _value(b, field)
        if va == vb or not _matters(a, b, field):
            continue
        differences.append({"field": field, "a": va, "b": vb})
        phrases.append(_phrase(field, va, vb, a, b))
    return ("B: " + "; ".join(phrases) if phrases else SAME), differences


def _value(cfg: SessionConfig, field: str) -> Any:
    if field == "loss":
        return cfg.loss or DEFAULT_LOSS[cfg.output]
    if field == "activation":  # one name for all layers is the same choice as a list of it
        units = cfg.activations()
        if not units:
            return cfg.activation
        return units[0] if len(set(units)) == 1 else units
    return getattr(cfg, field)


def _matters(a: SessionConfig, b: SessionConfig, field: str) -> bool:
    units = set(a.activations()) | set(b.activations())
    optimizers = {a.optimizer, b.optimizer}
    return {"activation": bool(a.hidden and b.hidden),
            "leaky_slope": "leaky_relu" in units, "maxout_k": "maxout" in units,
            "momentum": "momentum" in optimizers, "nesterov": "momentum" in optimizers,
            "beta1": "adam" in optimizers, "beta2": "adam" in optimizers,
            "reg_rate": a.regularization != "none" or b.regularization != "none"}.get(field, True)


def _phrase(field: str, va: Any, vb: Any, a: SessionConfig, b: SessionConfig) -> str:
    """One difference as a lecturer says it: "ReLU instead of tanh", "learning rate 0.3 instead of 0.03"."""
    if field == "activation":
        return f"{_units(vb)} instead of {_units(va)}"
    if field == "hidden":
        return f"{_layers(vb)}{' hidden' if vb else ''} instead of {_layers(va)}"
    if field == "output":
        return f"{vb} output instead of {va}"
    if field == "features":
        return f"inputs {', '.join(vb)} instead of {', '.join(va)}"
    if field == "nesterov":
        return "Nesterov momentum instead of plain momentum" if vb else "plain momentum instead of Nesterov"
    names = {"loss": _LOSSES, "init": _INITS, "optimizer": _OPTIMIZERS, "regularization": _PENALTIES}
    if field in names:
        return f"{names[field][vb]} instead of {names[field][va]}"
    return f"{_NUMBERS[field]} {vb:g} instead of {va:g}"


def _units(value: str | list[str]) -> str:
    names = [value] if isinstance(value, str) else value
    return ", ".join(_unit(name) for name in names)


def _unit(name: str) -> str:
    """The unit's label as said in a sentence: "tanh", "leaky ReLU", but "ReLU" and "GELU" as written."""
    label = ACTIVATIONS[name].label
    first = label.split()[0]
    return label if sum(c.isupper() for c in first) > 1 else label[0].lower() + label[1:]


def _layers(hidden: list[int]) -> str:
    """ "3 x 8" for equal widths, "4, 2" otherwise, "no hidden layer" for none."""
    if not hidden:
        return "no hidden layer"
    if len(hidden) > 1 and len(set(hidden)) == 1:
        return f"{len(hidden)} x {hidden[0]}"
    return ", ".join(str(h) for h in hidden)
