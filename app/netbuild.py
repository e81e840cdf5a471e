"""A network, its optimizer and its trainer built from a config and the data it trains on; a config's live
fields applied to a running trainer.

Its own module because a session builds its network (A) from it and a compare (app/compare.py) its second
network (B) from B's config, with the same checks and the same translation of config names to the engine's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.config import ConfigError, SessionConfig
from app.engine import Network, Trainer, make_optimizer
from app.engine.trainstate import OrderSource
from app.sessiondata import Data


def build(config: SessionConfig, data: Data, rng: np.random.Generator,
          order_rng: OrderSource | None = None) -> tuple[Network, Trainer]:
    """The network (initial weights drawn from ``rng``) and its trainer on ``data``'s training set; sets
    ``data.train_t`` and ``data.test_t`` in the network's target convention. ``order_rng``: where the
    epoch orders come from (default ``rng``). ConfigError names the field of a config that cannot be built."""
    if config.batch_size > data.train_x.shape[0]:
        raise ConfigError("batch_size", f"must be at most the training-set size {data.train_x.shape[0]}, "
                                        f"got {config.batch_size}")
    if data.classes > 2 and config.output != "softmax":
        raise ConfigError("output", f"{data.classes} classes need the softmax output, got {config.output!r}")
    if data.regression and config.output not in ("linear", "tanh"):
        raise ConfigError("output", f"a regression dataset needs a linear or tanh output, "
                                    f"got {config.output!r}")
    out_units = data.classes if config.output == "softmax" else 1
    sizes = [len(config.features), *config.hidden, out_units]
    try:
        net = Network(sizes, activation=config.activations(), output=config.output, loss=config.loss,
                      init=config.init, rng=rng,
                      activation_options={"leaky_slope": config.leaky_slope, "maxout_k": config.maxout_k})
        optimizer = make_optimizer(config.optimizer, lr=config.learning_rate, **optimizer_options(config))
        trainer = Trainer(net, optimizer, data.train_x, data.train_y, batch_size=config.batch_size,
                          regularization=regularization(config), reg_rate=config.reg_rate, rng=rng,
                          shuffle=config.shuffle, order_rng=order_rng)
    except ValueError as exc:  # the engine names what was wrong; the config bounds make this rare
        raise ConfigError("config", str(exc)) from None
    data.train_t = net.encode_targets(data.train_y)
    data.test_t = net.encode_targets(data.test_y) if len(data.test_y) else None
    return net, trainer


def apply_live(trainer: Trainer, config: SessionConfig) -> None:
    """The live fields of ``config`` applied to a running trainer: the learning rate, the chosen
    optimizer's coefficients (changed in place; its state, velocity or moments, is kept) and the penalty."""
    trainer.optimizer.lr = config.learning_rate
    for name, value in optimizer_options(config).items():
        setattr(trainer.optimizer, name, value)
    trainer.set_regularization(regularization(config), config.reg_rate)


def regularization(config: SessionConfig) -> str | None:
    """The engine's name of the config's penalty (None for "none")."""
    return None if config.regularization == "none" else config.regularization


def optimizer_options(config: SessionConfig) -> dict[str, Any]:
    """The chosen optimizer's coefficients from the config, as ``make_optimizer`` keywords."""
    if config.optimizer == "momentum":
        return {"beta": config.momentum, "nesterov": config.nesterov}
    if config.optimizer == "adam":
        return {"beta1": config.beta1, "beta2": config.beta2}
    return {}
