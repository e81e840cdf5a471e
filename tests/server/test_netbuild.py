"""netbuild: a config built into network + trainer with its checks named by field, and live fields applied
to a running trainer without losing its state."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import ConfigError, SessionConfig
from app.engine.features import feature_map
from app.netbuild import apply_live, build, optimizer_options, regularization
from app.sessiondata import Data


def _data(n=20, classes=2, regression=False):
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(n, 2))
    y = raw[:, 0] if regression else (np.arange(n) % classes).astype(float)
    return Data(train_raw=raw, train_y=y, test_raw=raw[:4], test_y=y[:4],
                train_x=feature_map(raw, ["x1", "x2"]), test_x=feature_map(raw[:4], ["x1", "x2"]),
                box=(-6.0, 6.0), regression=regression,
                classes=1 if regression else classes, name="test")


def test_build_makes_the_configs_network_and_trainer_and_sets_the_targets():
    cfg = SessionConfig.model_validate({"hidden": [3], "optimizer": "momentum", "momentum": 0.5,
                                        "regularization": "l2", "reg_rate": 0.01, "batch_size": 4})
    data = _data()
    net, trainer = build(cfg, data, np.random.default_rng(1))
    assert net.sizes == [2, 3, 1] and trainer.batch_size == 4
    assert trainer.optimizer.beta == 0.5 and trainer.l2 == 0.01 and trainer.l1 == 0.0
    assert data.train_t is not None and data.train_t.shape == (20, 1) and data.test_t.shape == (4, 1)


@pytest.mark.parametrize(("config", "data", "field", "words"), [
    ({"batch_size": 21}, {}, "batch_size", "at most the training-set size 20"),
    ({"output": "sigmoid"}, {"classes": 3}, "output", "3 classes need the softmax output"),
    ({"output": "sigmoid"}, {"regression": True}, "output", "linear or tanh output"),
])
def test_build_refuses_a_config_this_data_cannot_take_naming_the_field(config, data, field, words):
    with pytest.raises(ConfigError) as info:
        build(SessionConfig.model_validate(config), _data(**data), np.random.default_rng(1))
    assert info.value.field == field and words in info.value.message


def test_apply_live_changes_rate_coefficients_and_penalty_keeping_the_optimizer_state():
    cfg = SessionConfig.model_validate({"optimizer": "adam"})
    _, trainer = build(cfg, _data(), np.random.default_rng(1))
    trainer.step(3)
    moments = trainer.optimizer.state()
    apply_live(trainer, cfg.merged({"learning_rate": 0.2, "beta1": 0.5, "regularization": "l1",
                                    "reg_rate": 0.1}))
    assert (trainer.optimizer.lr, trainer.optimizer.beta1, trainer.l1) == (0.2, 0.5, 0.1)
    after = trainer.optimizer.state()
    assert all(np.array_equal(moments[k], after[k]) for k in moments if isinstance(moments[k], np.ndarray))


def test_config_names_translate_to_the_engines():
    assert regularization(SessionConfig()) is None
    assert regularization(SessionConfig.model_validate({"regularization": "l2"})) == "l2"
    assert optimizer_options(SessionConfig()) == {}
    assert optimizer_options(SessionConfig.model_validate({"optimizer": "momentum", "nesterov": True})) == {
        "beta": 0.9, "nesterov": True}
