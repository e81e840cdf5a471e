"""The session configuration: one pydantic model holding every user choice and its bound.

The bounds live here and nowhere else: the JSON Schema at ``/api/schema``, the ``limits`` of the
``welcome`` message and the validation of every ``configure`` all come from this module, so a value
outside a bound is refused with the field's name before anything is allocated.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.engine.activations import ACTIVATIONS
from app.engine.datasets import DATASETS, MAX_CLASSES, MAX_NOISE
from app.engine.features import FEATURES
from app.engine.network import INITS
from app.engine.optimizers import OPTIMIZERS
from app.engine.outputs import DEFAULT_LOSS, PAIRS
from app.engine.training import REGULARIZATIONS

MAX_HIDDEN_LAYERS = 8
MAX_UNITS = 64
MAX_POINTS = 5000
MAX_GRID = 200
MIN_GRID = 10
MAX_THUMBNAIL = 64
MIN_THUMBNAIL = 4
MAX_STEPS_PER_FRAME = 1000
MAX_FPS = 60.0
MAX_LEARNING_RATE = 10.0
MAX_REG_RATE = 10.0
MAX_SEED = 2**31 - 1

# The choices a config may name are the engine's registries (the class count and the noise bound are the
# engine's too: app/engine/datasets.py); the config only spells "no regularization" as "none" for JSON.
ACTIVATION_NAMES = tuple(ACTIVATIONS)
OUTPUT_NAMES = tuple(DEFAULT_LOSS)
LOSS_NAMES = tuple(sorted({loss for _, loss in PAIRS}))
INIT_NAMES = tuple(INITS)
OPTIMIZER_NAMES = tuple(OPTIMIZERS)
REGULARIZATION_NAMES = tuple("none" if kind is None else kind for kind in REGULARIZATIONS)
FEATURE_NAMES = tuple(FEATURES)

# Changing one of these keeps the network and its training state; any other field rebuilds.
# Applied to the running session without rebuilding the network (no step back to 0).
LIVE_FIELDS = frozenset({"learning_rate", "reg_rate", "steps_per_frame", "max_fps", "grid", "thumbnail",
                         "momentum", "nesterov", "beta1", "beta2"})

Point = tuple[float, float, float]

# What network B of a compare may change; the rest (data, split, batches, seed, speed) it shares with A.
COMPARE_FIELDS = ("features", "hidden", "activation", "leaky_slope", "maxout_k", "output", "loss", "init",
                  "optimizer", "learning_rate", "momentum", "nesterov", "beta1", "beta2", "regularization",
                  "reg_rate")


def _dataset_names() -> tuple[str, ...]:
    """The engine's 2-D data sets: the server streams maps over the plane, so the 1-D function-fitting
    sets (which need a curve view) are not offered."""
    return tuple(name for name, spec in DATASETS.items() if spec.dims == 2)


class SessionConfig(BaseModel):
    """Everything one training session is built from. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, frozen=True)

    # --- data -------------------------------------------------------------------------------------
    dataset: str = Field("circle", description="Name of a dataset generator (see /api/schema enum).")
    points: int | None = Field(None, ge=4, le=MAX_POINTS,
                               description="Number of generated points; null = the dataset's default.")
    noise: float = Field(0.0, ge=0.0, le=MAX_NOISE, allow_inf_nan=False,
                         description="Noise level as a fraction: TensorFlow Playground's 0..50 is 0..0.5.")
    train_ratio: float = Field(0.5, ge=0.1, le=1.0, allow_inf_nan=False,
                               description="Share of the points used for training; the rest is the test set "
                                           "(1 = train on everything, no test set).")
    classes: int = Field(2, ge=2, le=MAX_CLASSES, description="Number of classes for K-class datasets.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the one random generator of the session.")
    custom_points: Annotated[list[Point], Field(max_length=MAX_POINTS)] | None = Field(
        None, description="Points [x1, x2, label] placed by the user, for the 'user' dataset.")
    # --- network ----------------------------------------------------------------------------------
    features: list[Literal[FEATURE_NAMES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["x1", "x2"], min_length=1, max_length=len(FEATURE_NAMES),
        description="Input features computed from (x1, x2).")
    hidden: list[Annotated[int, Field(ge=1, le=MAX_UNITS)]] = Field(
        default_factory=lambda: [4, 2], max_length=MAX_HIDDEN_LAYERS,
        description="Units per hidden layer; [] is logistic / linear regression.")
    activation: Literal[ACTIVATION_NAMES] | list[Literal[ACTIVATION_NAMES]] = Field(  # type: ignore[valid-type]
        "tanh", description="One hidden unit for all layers, or one per hidden layer.")
    leaky_slope: float = Field(0.01, gt=0.0, le=1.0, allow_inf_nan=False, description="Leaky ReLU slope.")
    maxout_k: int = Field(2, ge=2, le=5, description="Pieces per maxout unit.")
    output: Literal[OUTPUT_NAMES] = Field("sigmoid", description="Output unit.")  # type: ignore[valid-type]
    loss: Literal[LOSS_NAMES] | None = Field(  # type: ignore[valid-type]
        None, description="Loss; null = the output's natural loss.")
    init: Literal[INIT_NAMES] = Field("playground", description="Weight initialisation.")  # type: ignore[valid-type]
    # --- training ---------------------------------------------------------------------------------
    optimizer: Literal[OPTIMIZER_NAMES] = Field("sgd", description="Optimizer.")  # type: ignore[valid-type]
    learning_rate: float = Field(0.03, gt=0.0, le=MAX_LEARNING_RATE, allow_inf_nan=False,
                                 description="Learning rate, in (0, 10]. Applies live.")
    momentum: float = Field(0.9, ge=0.0, lt=1.0, allow_inf_nan=False, description="Momentum coefficient.")
    nesterov: bool = Field(False, description="Nesterov momentum.")
    beta1: float = Field(0.9, ge=0.0, lt=1.0, allow_inf_nan=False, description="Adam beta1.")
    beta2: float = Field(0.999, ge=0.0, lt=1.0, allow_inf_nan=False, description="Adam beta2.")
    regularization: Literal[REGULARIZATION_NAMES] = Field(  # type: ignore[valid-type]
        "none", description="Penalty on the weights (never the biases).")
    reg_rate: float = Field(0.0, ge=0.0, le=MAX_REG_RATE, allow_inf_nan=False,
                            description="Regularization rate. Applies live.")
    batch_size: int = Field(10, ge=1, le=MAX_POINTS,
                            description="Mini-batch size, between 1 and the training-set size.")
    shuffle: bool = Field(True, description="Reshuffle the mini-batches every epoch.")
    # --- display and speed --------------------------------------------------------------------------
    grid: int = Field(100, ge=MIN_GRID, le=MAX_GRID, description="Side of the output map, in cells.")
    thumbnail: int = Field(24, ge=MIN_THUMBNAIL, le=MAX_THUMBNAIL, description="Side of a unit thumbnail.")
    steps_per_frame: int = Field(10, ge=1, le=MAX_STEPS_PER_FRAME,
                                 description="Mini-batches trained between two frames (the speed control).")
    max_fps: float = Field(MAX_FPS, ge=1.0, le=MAX_FPS, allow_inf_nan=False, description="Frame-rate cap.")
    # --- compare: a second network B trained in lockstep with this one (app/compare.py) -------------
    compare: dict[str, Any] | None = Field(
        None, description="Network B, trained in lockstep beside this one: the fields in which B differs "
                          f"({', '.join(COMPARE_FIELDS)}); {{}} is B = A, null is no B.")

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        # the 1-D function sets are accepted (the universality scene loads them) but not advertised in
        # the schema: only that scene's panel draws them as a curve
        names = tuple(DATASETS)
        if value not in names:
            raise ValueError(f"unknown dataset {value!r}; expected one of: {', '.join(names)}")
        return value

    @field_validator("features")
    @classmethod
    def _distinct_features(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("features must not repeat")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SessionConfig:
        if isinstance(self.activation, list) and len(self.activation) != len(self.hidden):
            raise _field_error("activation", f"gives {len(self.activation)} activations for "
                                             f"{len(self.hidden)} hidden layers")
        loss = self.loss or DEFAULT_LOSS[self.output]
        if (self.output, loss) not in PAIRS:
            allowed = ", ".join(f"{o} + {l}" for o, l in PAIRS)
            raise _field_error("loss", f"{loss!r} cannot follow output {self.output!r}; allowed: {allowed}")
        if self.dataset == "user" and not self.custom_points:
            raise _field_error("custom_points", "the 'user' dataset needs at least 2 points")
        self.compare_config()  # B's fields are refused here, named compare.<field>
        return self

    def compare_config(self) -> SessionConfig | None:
        """Network B's whole config: this one with ``compare`` on top (None without compare). Raises the
        field error of a key B may not change (it shares A's data and batches) or of B's merged config,
        named ``compare.<field>``. A changed ``output`` without a ``loss`` takes the output's own loss."""
        if self.compare is None:
            return None
        for key in self.compare:
            if key not in COMPARE_FIELDS:
                known = key in type(self).model_fields
                what = "cannot differ: B shares A's data and batches" if known else "is not a setting"
                raise _field_error(f"compare.{key}", f"{key!r} {what}; B may differ in "
                                                     f"{', '.join(COMPARE_FIELDS)}")
        base = self.model_dump(exclude={"compare"})
        if "output" in self.compare and "loss" not in self.compare:
            base["loss"] = None
        try:
            return SessionConfig.model_validate({**base, **self.compare})
        except ValidationError as exc:
            field, message = describe_validation_error(exc)
            raise _field_error(f"compare.{field or 'compare'}", message.split(": ", 1)[-1]) from None

    # --- helpers ----------------------------------------------------------------------------------
    def activations(self) -> list[str]:
        """One activation name per hidden layer."""
        if isinstance(self.activation, str):
            return [self.activation] * len(self.hidden)
        return list(self.activation)

    def merged(self, partial: dict[str, Any]) -> SessionConfig:
        """A new config with ``partial`` applied on top of this one (validated as a whole)."""
        if not isinstance(partial, dict):
            raise TypeError("config must be an object")
        return SessionConfig.model_validate({**self.model_dump(), **partial})

    def changed_fields(self, other: SessionConfig) -> set[str]:
        """Names of the fields whose values differ between the two configs."""
        mine, theirs = self.model_dump(), other.model_dump()
        return {k for k in mine if mine[k] != theirs[k]}


class ConfigError(ValueError):
    """A config that passed the field bounds but cannot be built (e.g. batch larger than the data)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _field_error(field: str, message: str) -> _FieldError:
    return _FieldError(field, message)


def describe_validation_error(exc: ValidationError) -> tuple[str | None, str]:
    """The first problem of a ValidationError as ``(field, message)``, the field named with dots."""
    err = exc.errors(include_url=False)[0]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _FieldError):
        return ctx_error.field, f"{ctx_error.field}: {ctx_error}"
    loc = [str(p) for p in err.get("loc", ()) if not _is_union_tag(p)]
    field = ".".join(loc) or None
    msg = err.get("msg", "invalid value")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    return field, f"{field}: {msg}" if field else msg


def _is_union_tag(part: Any) -> bool:
    # pydantic names union branches in the location (e.g. "list[literal[...]]"); they are noise to a user
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "none"}
                                      or part.startswith("constrained-"))


def limits() -> dict[str, Any]:
    """The bounds a client needs to build its controls (sent in ``welcome``)."""
    return {
        "max_hidden_layers": MAX_HIDDEN_LAYERS,
        "max_units": MAX_UNITS,
        "max_points": MAX_POINTS,
        "grid": [MIN_GRID, MAX_GRID],
        "thumbnail": [MIN_THUMBNAIL, MAX_THUMBNAIL],
        "steps_per_frame": [1, MAX_STEPS_PER_FRAME],
        "max_fps": [1, MAX_FPS],
        "learning_rate": [0, MAX_LEARNING_RATE],
        "reg_rate": [0, MAX_REG_RATE],
        "classes": [2, MAX_CLASSES],
        "datasets": list(_dataset_names()),
        "dataset_info": _dataset_info(),
        "features": list(FEATURE_NAMES),
        "activations": list(ACTIVATION_NAMES),
        "outputs": list(OUTPUT_NAMES),
        "pairs": [[o, l] for o, l in PAIRS],
        "inits": list(INIT_NAMES),
        "optimizers": list(OPTIMIZER_NAMES),
        "regularizations": list(REGULARIZATION_NAMES),
        "live_fields": sorted(LIVE_FIELDS),
    }


def _dataset_info() -> dict[str, dict[str, Any]]:
    """Per dataset: description, whether it is regression, default size, and the class range if K varies."""
    return {name: {"description": spec.description, "regression": spec.kind != "classification",
                   "default_points": spec.default_n, "classes": spec.classes,
                   "class_range": list(spec.class_range) if spec.class_range else None}
            for name, spec in DATASETS.items() if name in _dataset_names()}


def json_schema() -> dict[str, Any]:
    """JSON Schema of the config, with the dataset names filled in as an enum: every name a config may
    carry, the 1-D function sets included (a link to the universality scene with the step function must
    parse); the data column offers only the 2-D ones (``limits()["datasets"]``)."""
    schema = SessionConfig.model_json_schema()
    schema["properties"]["dataset"]["enum"] = list(DATASETS)
    return schema
