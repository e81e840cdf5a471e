"""Lecture scenes: named presets of a config, optional hand-set weights, a caption and what to look at.

A scene's ``config`` is a partial SessionConfig applied on top of the defaults. Add a scene with
``register(Scene(...))``; ``/api/scenes`` lists them in registration order and ``load_scene`` loads one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_SCENE = "playground"
# the lecture's four points (0,0) (0,1) (1,0) (1,1) with XOR labels
XOR_POINTS_DATASET = "xor4"


@dataclass(frozen=True)
class Scene:
    """One preset. ``parameters`` (weights/biases/unit_params as for ``Network.set_parameters``) pins
    hand-set weights; ``view`` is a partial ``ViewState`` (unit, regions, thumbnails)."""

    name: str
    title: str
    caption: str
    config: dict[str, Any]
    parameters: dict[str, Any] | None = None
    view: dict[str, Any] = field(default_factory=dict)
    autoplay: bool = False

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (``/api/scenes`` and the ``scene`` field of ``welcome``)."""
        return {"name": self.name, "title": self.title, "caption": self.caption, "config": self.config,
                "parameters": self.parameters, "view": self.view, "autoplay": self.autoplay}


SCENES: dict[str, Scene] = {}


def register(scene: Scene) -> Scene:
    """Add a scene; its config is validated now so a broken preset fails at import, not in a lecture."""
    from app.config import SessionConfig

    if scene.name in SCENES:
        raise ValueError(f"scene {scene.name!r} is already registered")
    SessionConfig.model_validate(scene.config)
    SCENES[scene.name] = scene
    return scene


def get_scene(name: str) -> Scene:
    """The scene called ``name``; KeyError names the known ones."""
    try:
        return SCENES[name]
    except KeyError:
        raise KeyError(f"unknown scene {name!r}; known scenes: {', '.join(SCENES)}") from None


def list_scenes() -> list[dict[str, Any]]:
    return [s.describe() for s in SCENES.values()]


register(Scene(
    name="playground",
    title="Playground",
    caption="TensorFlow Playground's start: a circle inside a ring, two inputs, hidden layers of 4 and 2 "
            "tanh units. Press play and watch every unit's map turn into a piece of the boundary.",
    config={"dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
            "hidden": [4, 2], "activation": "tanh", "output": "tanh", "loss": "squared_error",
            "init": "playground", "optimizer": "sgd", "learning_rate": 0.03, "batch_size": 10,
            "steps_per_frame": 10},
))

register(Scene(
    name="xor-by-hand",
    title="XOR by hand",
    caption="The lecture's network: h = max{0, W^T x + c} with W = [[1, 1], [1, 1]], c = [0, -1], then "
            "y = w^T h + b with w = [1, -2], b = 0. It maps the four points to 0, 1, 1, 0 exactly.",
    config={"dataset": XOR_POINTS_DATASET, "train_ratio": 1.0, "features": ["x1", "x2"], "hidden": [2],
            "activation": "relu", "output": "linear", "loss": "squared_error", "batch_size": 4,
            "learning_rate": 0.01, "steps_per_frame": 1},
    parameters={"weights": [[[1.0, 1.0], [1.0, 1.0]], [[1.0], [-2.0]]], "biases": [[0.0, -1.0], [0.0]]},
    view={"regions": True},
))

register(Scene(
    name="xor-linear",
    title="XOR is not linear",
    caption="A linear model with squared error on the four XOR points: training converges to w = 0, "
            "b = 1/2, predicting 1/2 everywhere. No line separates XOR.",
    config={"dataset": XOR_POINTS_DATASET, "train_ratio": 1.0, "features": ["x1", "x2"], "hidden": [],
            "output": "linear", "loss": "squared_error", "init": "zeros", "batch_size": 4,
            "learning_rate": 0.1, "steps_per_frame": 5},
))

register(Scene(
    name="logistic",
    title="Logistic regression",
    caption="No hidden layer: a sigmoid of a linear function of (x1, x2), trained with cross-entropy. "
            "Its decision boundary is a straight line, enough for two Gaussian clouds.",
    config={"dataset": "gauss", "noise": 0.1, "features": ["x1", "x2"], "hidden": [], "output": "sigmoid",
            "loss": "cross_entropy", "init": "zeros", "learning_rate": 0.03, "batch_size": 10},
))
