"""Lecture scenes: named presets of a config, optional hand-set weights, a caption and what to look at.

A scene's ``config`` is a partial SessionConfig applied on top of the defaults. Add a scene with
``register(Scene(...))``; ``/api/scenes`` lists them in registration order and ``load_scene`` loads one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from app.config import SessionConfig
from app.engine.csvdata import parse_csv

# The lecture panels a scene can open: app/lecture.py computes each, the ``lecture`` message names one.
Panel = Literal["walkthrough", "gallery", "saturation", "depth", "backprop", "universality", "seeds",
                "landscape", "folding"]
PANELS: tuple[str, ...] = get_args(Panel)

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
    panel: str | None = None  # the lecture panel the page opens (one of PANELS), if any
    topic: str = ""  # the lecture topic it serves (docs/lecture.md)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (``/api/scenes`` and the ``scene`` field of ``welcome``)."""
        return {"name": self.name, "title": self.title, "caption": self.caption, "config": self.config,
                "parameters": self.parameters, "view": self.view, "autoplay": self.autoplay,
                "panel": self.panel, "topic": self.topic}


SCENES: dict[str, Scene] = {}


def register(scene: Scene) -> Scene:
    """Add a scene; its config is validated now so a broken preset fails at import, not in a lecture."""
    if scene.name in SCENES:
        raise ValueError(f"scene {scene.name!r} is already registered")
    if scene.panel is not None and scene.panel not in PANELS:
        raise ValueError(f"scene {scene.name!r}: unknown panel {scene.panel!r}; expected one of {PANELS}")
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
    panel="walkthrough",
    topic="XOR: a hidden layer makes the points linearly separable",
))

register(Scene(
    name="xor-linear",
    title="XOR is not linear",
    caption="A linear model with squared error on the four XOR points: training converges to w = 0, "
            "b = 1/2, predicting 1/2 everywhere. No line separates XOR.",
    config={"dataset": XOR_POINTS_DATASET, "train_ratio": 1.0, "features": ["x1", "x2"], "hidden": [],
            "output": "linear", "loss": "squared_error", "init": "zeros", "batch_size": 4,
            "learning_rate": 0.1, "steps_per_frame": 5},
    topic="Linear models and their limits: XOR",
))

register(Scene(
    name="logistic",
    title="Logistic regression",
    caption="No hidden layer: y = sigma(theta^T x), a sigmoid of a linear function of (x1, x2), trained "
            "with cross-entropy. Its gradient is -(y - sigma(theta^T x)) x: each point pulls theta by its "
            "error. The decision boundary theta^T x = 0 is a straight line, enough for two Gaussian clouds.",
    config={"dataset": "gauss", "noise": 0.1, "features": ["x1", "x2"], "hidden": [], "output": "sigmoid",
            "loss": "cross_entropy", "init": "zeros", "learning_rate": 0.03, "batch_size": 10},
    topic="Logistic regression and its gradient",
))


register(Scene(
    name="xor-learned",
    title="XOR learned",
    caption="The same 2-2-1 ReLU network as 'XOR by hand', learned by gradient descent from a random start. "
            "The panel trains twelve seeds: 'Load' one, or press 'Regenerate' for a new start. Some reach "
            "0, 1, 1, 0; others get stuck with a dead ReLU, a hidden unit whose pre-activation is negative "
            "on all four points, so its gradient is 0 and it never recovers.",
    config={"dataset": XOR_POINTS_DATASET, "train_ratio": 1.0, "features": ["x1", "x2"], "hidden": [2],
            "activation": "relu", "output": "linear", "loss": "squared_error", "init": "glorot",
            "batch_size": 4, "learning_rate": 0.05, "steps_per_frame": 5},
    panel="seeds",
    topic="Training XOR by gradient descent; dead ReLUs",
))

register(Scene(
    name="xor-fold",
    title="XOR's hidden space",
    caption="What the hidden layer of 'XOR by hand' does to the plane: h = max{0, W^T x + c} folds it along "
            "x1 + x2 = 0 and x1 + x2 = 1. The points (0,1) and (1,0) land on the same place h = (1, 0), "
            "(0,0) on (0, 0) and (1,1) on (2, 1): in h-space the line h1 - 2 h2 = 1/2 separates the classes, "
            "which no line in the input plane can do. Slide to layer 0 to see the plane before the fold.",
    config={"dataset": XOR_POINTS_DATASET, "train_ratio": 1.0, "features": ["x1", "x2"], "hidden": [2],
            "activation": "relu", "output": "linear", "loss": "squared_error", "batch_size": 4,
            "learning_rate": 0.01, "steps_per_frame": 1},
    parameters={"weights": [[[1.0, 1.0], [1.0, 1.0]], [[1.0], [-2.0]]], "biases": [[0.0, -1.0], [0.0]]},
    panel="folding",
    topic="XOR: a hidden layer makes the points linearly separable",
))

register(Scene(
    name="activations",
    title="Activation gallery",
    caption="Every hidden unit of the lecture: g(z) and its derivative g'(z), grouped into rectifiers, "
            "saturating units and others, each with its one-line verdict. Choose one to train the circle "
            "with it and compare how fast and how well each learns.",
    config={"dataset": "circle", "train_ratio": 0.5, "features": ["x1", "x2"], "hidden": [6, 4],
            "activation": "relu", "output": "sigmoid", "loss": "cross_entropy", "init": "he",
            "learning_rate": 0.03, "batch_size": 10},
    panel="gallery",
    topic="Hidden units: rectifiers, saturating units, others",
))

register(Scene(
    name="saturation",
    title="Saturation: squared error vs cross-entropy",
    caption="One sigmoid output, one confidently wrong start (every point on the wrong side), trained twice: "
            "with squared error the output gradient (y - t) y (1 - y) is tiny because y is near 0 or 1, "
            "and the loss stalls; with cross-entropy the gradient is y - t, large exactly when wrong.",
    config={"dataset": "gauss", "noise": 0.1, "features": ["x1", "x2"], "hidden": [], "output": "sigmoid",
            "loss": "squared_error", "learning_rate": 0.1, "batch_size": 10, "steps_per_frame": 2},
    parameters={"weights": [[[-3.0], [-3.0]]], "biases": [[0.0]]},
    panel="saturation",
    topic="Output units and losses: why cross-entropy with sigmoid",
))

register(Scene(
    name="softmax",
    title="Softmax: K classes",
    caption="Three spiral arms, one class each. The output layer has one unit per class and a softmax; the "
            "map is coloured by the most probable class and faded where the network is unsure.",
    config={"dataset": "spirals", "classes": 3, "noise": 0.0, "features": ["x1", "x2"], "hidden": [16, 16],
            "activation": "relu", "output": "softmax", "loss": "cross_entropy", "init": "he",
            "optimizer": "adam", "learning_rate": 0.01, "batch_size": 10, "steps_per_frame": 10},
    autoplay=True,
    topic="Softmax output and cross-entropy for K classes",
))

register(Scene(
    name="depth",
    title="Depth and linear regions",
    caption="A ReLU net cuts the plane into linear regions. Side by side: a shallow-wide net (one layer of "
            "12) and a deep-narrow one (three layers of 4), the same 12 hidden units, trained on the same "
            "data. Compare their exact region counts with the theoretical bounds: depth can fold the plane "
            "into more regions than width.",
    config={"dataset": "spiral", "noise": 0.0, "features": ["x1", "x2"], "hidden": [4, 4, 4],
            "activation": "relu", "output": "sigmoid", "loss": "cross_entropy", "init": "he",
            "optimizer": "adam", "learning_rate": 0.01, "batch_size": 10, "steps_per_frame": 10},
    view={"regions": True},
    panel="depth",
    topic="Depth: linear regions of rectifier networks",
))

register(Scene(
    name="backprop",
    title="Backpropagation step by step",
    caption="Click a data point of the plot (the nearest is taken, ringed): forward, every unit's a_t and "
            "z_t = h(a_t); backward, the output delta, then delta_t = h'(a_t) sum_s w_ts delta_s layer by "
            "layer; dL/dw_tj = delta_t z_j on every link; then the update. 'Check' compares every gradient "
            "with finite differences.",
    config={"dataset": XOR_POINTS_DATASET, "train_ratio": 1.0, "features": ["x1", "x2"], "hidden": [3],
            "activation": "tanh", "output": "sigmoid", "loss": "cross_entropy", "init": "glorot",
            "batch_size": 4, "learning_rate": 0.5, "steps_per_frame": 1},
    panel="backprop",
    topic="Backpropagation: the chain rule, layer by layer",
))

register(Scene(
    name="universality",
    title="Universal approximation in 1-D",
    caption="One wide hidden layer fitting y = sin(x). Beneath the fitted curve, each hidden unit's "
            "weighted contribution w_j h(a_j(x)): the curve is their sum plus the bias. More units, finer "
            "pieces; switch the function to step, abs or bump.",
    config={"dataset": "sine", "points": 200, "noise": 0.0, "train_ratio": 1.0, "features": ["x1"],
            "hidden": [12], "activation": "relu", "output": "linear", "loss": "squared_error", "init": "he",
            "optimizer": "adam", "learning_rate": 0.02, "batch_size": 20, "steps_per_frame": 10},
    autoplay=True,
    panel="universality",
    topic="Universal approximation with one hidden layer",
))

register(Scene(
    name="spiral-deep",
    title="Two spirals, deep",
    caption="Two interleaved spirals, the hardest of TF Playground's sets, solved by a deep ReLU network. "
            "The region view shows the many linear pieces the deep net stitches into a curved boundary.",
    config={"dataset": "spiral", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
            "hidden": [16, 16, 16, 16], "activation": "relu", "output": "sigmoid", "loss": "cross_entropy",
            "init": "he", "optimizer": "adam", "learning_rate": 0.01, "batch_size": 10,
            "steps_per_frame": 20},
    view={"regions": True},
    autoplay=True,
    topic="Depth in practice: a deep ReLU net on two spirals",
))

register(Scene(
    name="landscape",
    title="The loss landscape",
    caption="The training loss on a 2-D slice through the weights, centred on the current ones (the star): "
            "along two random directions scaled to each unit's weights (filter-normalised, Li et al. "
            "2018), or along the two directions the path of training moved in most. Play a few hundred "
            "steps, then pick 'Directions of the path' to see the route gradient descent took downhill.",
    config={"dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
            "hidden": [4, 2], "activation": "tanh", "output": "sigmoid", "loss": "cross_entropy",
            "init": "glorot", "optimizer": "adam", "learning_rate": 0.01, "batch_size": 10,
            "steps_per_frame": 10},
    panel="landscape",
    topic="Training: gradient descent on the loss surface",
))

# ---- compare scenes: network B trained in lockstep beside A (the config's `compare`, issue 12) -------------
register(Scene(
    name="sigmoid-vs-relu",
    title="Sigmoid vs ReLU in a deep net",
    caption="Five hidden layers of 6 units, trained side by side on the same batches: A with sigmoid "
            "units, B with ReLU. A's loss sits at log 2 = 0.693 (a coin toss) while B's falls: a sigmoid's "
            "slope is at most 1/4, so the gradient shrinks at every layer on its way back, and A's first "
            "layers barely move. Watch the two curves and B's map close the circle.",
    config={"dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
            "hidden": [6, 6, 6, 6, 6], "activation": "sigmoid", "output": "sigmoid", "loss": "cross_entropy",
            "init": "glorot", "optimizer": "sgd", "learning_rate": 0.03, "batch_size": 10,
            "steps_per_frame": 5, "compare": {"activation": "relu"}},
    topic="Hidden units: vanishing gradients of saturating units in a deep net",
))

register(Scene(
    name="squared-error-vs-cross-entropy",
    title="Squared error vs cross-entropy",
    caption="The same sigmoid output trained twice on XOR, on the same batches: A with squared error, B with "
            "cross-entropy. The two losses have different scales, so watch the accuracy and the maps: B is "
            "near 99% by step 300 while A is still below 80%. Squared error multiplies the output gradient "
            "by y (1 - y), which is small where the sigmoid is sure, right or wrong.",
    config={"dataset": "xor", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"], "hidden": [4],
            "activation": "tanh", "output": "sigmoid", "loss": "squared_error", "init": "glorot",
            "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 10, "steps_per_frame": 2,
            "compare": {"loss": "cross_entropy"}},
    topic="Output units and losses: why cross-entropy with sigmoid",
))

register(Scene(
    name="sgd-vs-adam",
    title="SGD vs Adam",
    caption="Two spirals, a ReLU net of three layers of 8, the same start and the same batches: A takes "
            "plain SGD steps, B takes Adam's, each weight scaled by its own running gradient size. At the "
            "same learning rate B has untangled the spirals by step 2,000 (96% right); A is at 60%.",
    config={"dataset": "spiral", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
            "hidden": [8, 8, 8], "activation": "relu", "output": "sigmoid", "loss": "cross_entropy",
            "init": "he", "optimizer": "sgd", "learning_rate": 0.01, "batch_size": 10, "steps_per_frame": 20,
            "compare": {"optimizer": "adam"}},
    topic="Training: optimizers, SGD and Adam",
))

# A teacher's own measurements, as a CSV file would bring them (the 'Load data' button, or a drop): the
# temperature y at 60 places (x1, x2) of a plate, in cm and degrees C, warmest near (6, 4.5). The scene reads
# the text with the same parser an upload goes through, so it shows what a file of this shape becomes.
PLATE_CSV = ("x1,x2,y\n"
    "2.8,7.1,18.5\n2.2,1.8,18.1\n3.6,2.1,19.0\n6.5,1.3,20.0\n8.6,6.5,21.5\n0.5,4.3,17.1\n"
    "1.5,2.3,18.5\n4.3,3.7,23.0\n4.7,7.0,20.7\n2.8,1.8,18.2\n6.5,7.1,21.4\n8.8,6.7,20.5\n"
    "1.1,7.1,18.0\n6.3,6.6,23.8\n4.2,2.0,19.8\n7.6,5.1,25.7\n7.5,1.9,21.8\n1.7,5.8,18.0\n"
    "0.7,7.1,17.3\n1.7,4.7,17.7\n4.3,2.8,21.8\n2.0,6.0,18.1\n8.7,5.6,22.0\n5.9,5.5,28.0\n"
    "5.3,4.4,27.2\n8.7,2.5,20.7\n2.5,7.1,17.9\n9.0,3.8,22.0\n7.7,5.7,24.4\n9.0,1.1,19.8\n"
    "8.6,4.0,23.7\n4.5,5.3,24.6\n6.0,3.6,28.0\n3.1,6.9,19.0\n7.9,1.2,20.3\n4.1,5.8,21.6\n"
    "8.4,7.2,20.4\n2.7,6.7,18.8\n6.8,1.0,19.6\n2.4,1.8,17.9\n1.2,5.3,17.3\n3.3,5.3,19.8\n"
    "1.2,6.6,17.0\n6.8,6.0,26.0\n6.0,3.7,28.4\n2.2,7.1,17.9\n1.8,4.1,17.3\n1.6,1.3,17.3\n"
    "6.8,6.7,23.4\n4.7,6.1,23.4\n8.2,4.2,24.8\n7.5,2.6,23.6\n1.9,1.8,18.0\n0.6,1.0,17.5\n"
    "7.3,6.8,22.2\n1.0,5.5,17.4\n7.5,5.3,26.1\n5.0,3.9,25.4\n6.8,2.2,22.4\n7.3,1.8,22.5\n")
_PLATE = parse_csv(PLATE_CSV)
_PLATE_POINTS = [tuple(row) for row in np.column_stack([_PLATE.X, _PLATE.y]).tolist()]  # the config: tuples

register(Scene(
    name="your-data",
    title="Your own measurements",
    caption="60 temperatures measured on a plate, loaded from a CSV file (x1, x2 in cm, y in degrees C). "
            "A regression: the linear output unit with squared error predicts the mean of y at each point, "
            "and the map's colour is that prediction on the file's own scale. Press play and the warm spot "
            "near (6, 4.5) appears. Drop your own CSV on the page to train on it the same way.",
    config={"dataset": "user", "custom_points": _PLATE_POINTS,
            "custom_regression": True, "custom_box": [round(v, 3) for v in _PLATE.box], "train_ratio": 0.8,
            "features": ["x1", "x2"], "hidden": [8], "activation": "relu", "output": "linear",
            "loss": "squared_error", "init": "he", "optimizer": "adam", "learning_rate": 0.05,
            "batch_size": 10, "steps_per_frame": 20},
    topic="Output units: a linear output for regression, on your own data",
))

# The lecture's order, the one list of it: the page's lecture mode walks it, /api/scenes sends it as "tour"
# and docs/lecture.md's table of scenes follows it (tests/e2e/test_tour.py checks both). It is the order of
# the lecture's topics: logistic regression, XOR, costs, output units, hidden units, universality, depth,
# backprop. The default scene is the free playground, not a stop of the lecture.
TOUR: tuple[str, ...] = ("logistic", "xor-linear", "xor-by-hand", "xor-fold", "xor-learned", "saturation",
                         "squared-error-vs-cross-entropy", "softmax", "your-data", "activations",
                         "sigmoid-vs-relu", "universality", "depth", "spiral-deep", "backprop", "landscape",
                         "sgd-vs-adam")


def _check_tour() -> None:
    """A misspelt or repeated stop fails at import, not in front of the class."""
    unknown = [name for name in TOUR if name not in SCENES]
    if unknown:
        raise ValueError(f"TOUR names unknown scenes {unknown}; known scenes: {', '.join(SCENES)}")
    if len(set(TOUR)) != len(TOUR):
        raise ValueError(f"TOUR repeats a scene: {TOUR}")


_check_tour()
