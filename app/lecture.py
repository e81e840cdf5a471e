"""The numbers behind the lecture scenes' panels, computed from a live session.

Each ``what`` of the ``lecture`` message maps to one function here; all take the session (read only,
except for the cached companion network of the depth comparison) and return JSON-ready dicts. Naming
follows the lecture: for a unit t, ``a`` is its pre-activation and ``z = h(a)`` its output (the engine
calls them ``z`` and ``a``; the translation happens only here).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from app import insight, regioncount
from app.engine import Network, Trainer, make_optimizer, outputs
from app.engine.activations import ACTIVATIONS, GROUPS, evaluate
from app.engine.errors import FieldError
from app.engine.features import feature_map
from app.engine.grid import GridEvaluator
from app.engine.regions import (
    POLYGON_LIMIT,
    PolygonsUnavailable,
    RegionTracker,
    region_count,
    region_map,
    region_polygons,
)
from app.pieces import finish
from app.scenes import PANELS

if TYPE_CHECKING:  # the hub hands a Session in; this module builds none (seeds: ``type(session)``)
    from app.session import Session

GALLERY_Z = np.linspace(-4.0, 4.0, 161)
SATURATION_STEPS = 300
SATURATION_EVERY = 10
DEPTH_MAP = 64  # side of the region maps sent in a depth answer
FD_EPS = 1e-6
# the check costs two forward passes per parameter: larger nets check a spread subset of this size
FD_MAX_PARAMETERS = 2000
FD_CHUNK = 100  # parameters checked per piece of work (200 forward passes of one point)
SEEDS_MAX_UNITS = 16  # the seeds panel trains a dozen copies: only for the lecture's small networks
SEEDS_MAX_POINTS = 400
SEEDS_PIECE = 50


Steps = Generator[Any, None, dict[str, Any]]


def compute(session: Session, what: str, **args: Any) -> dict[str, Any]:
    """Dispatch one ``lecture`` request; ValueError names a ``what`` that does not exist."""
    return finish(compute_steps(session, what, **args))


def compute_steps(session: Session, what: str, **args: Any) -> Steps:
    """``compute`` as pieces of bounded work: a generator that yields between pieces (a training step, a
    chunk of finite differences) and returns the panel's numbers. A piece may yield a concurrent Future
    (a region count in the worker process, app/regioncount.py) to be waited for before the next one.

    The first piece copies what the panel reads from the session (network, data, config), so the
    session may train between the later pieces without mixing two networks in one panel.
    """
    panels: dict[str, Callable[..., Any]] = {
        "walkthrough": walkthrough, "gallery": lambda s: gallery(), "saturation": saturation_steps,
        "depth": depth_steps, "backprop": backprop_steps, "universality": universality, "seeds": seeds_steps,
        "landscape": insight.landscape_steps, "folding": insight.folding}
    fn = panels.get(what)
    if fn is None:
        raise ValueError(f"what: unknown lecture panel {what!r}; expected one of: {', '.join(PANELS)}")
    result = fn(session, **args) if args else fn(session)
    if isinstance(result, Generator):
        result = yield from result
    return result


def _round(a: np.ndarray, digits: int = 4) -> list:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


# --- xor by hand ------------------------------------------------------------------------------------
def walkthrough(session: Session) -> dict[str, Any]:
    """The slides' matrices for the training points of a one-hidden-layer net: X ``(n, 2)``, XW, XW + c,
    H = h(XW + c) ``(n, units)`` and the output ``(n, K)``; plus the output unit's line in hidden space
    (w^T h + b = threshold) for the hidden-space plot."""
    net = session.network
    if net.depth != 2 or net.kinds[0] != "affine":
        raise ValueError("what: the walk-through needs exactly one hidden layer of element-wise units "
                         "(not maxout or rbf)")
    X = session.data.train_x
    XW = X @ net.weights[0]
    pre = XW + net.biases[0]
    fwd = net.forward(X)
    H = fwd.a[1]
    threshold = 0.5 if net.output in ("linear", "sigmoid", "softmax") else 0.0
    return {"X": _round(X), "W": _round(net.weights[0]), "c": _round(net.biases[0]), "XW": _round(XW),
            "XWc": _round(pre), "H": _round(H), "w": _round(net.weights[1]), "b": _round(net.biases[1]),
            "output": _round(fwd.output), "labels": _round(session.data.train_y),
            "activation": net.activations[0], "threshold": threshold}


# --- activation gallery -----------------------------------------------------------------------------
def gallery() -> dict[str, Any]:
    """g(z) and g'(z) of every hidden unit on [-4, 4], grouped as in the lecture, with its verdict."""
    units = []
    for name, spec in ACTIVATIONS.items():
        g, dg = evaluate(name, GALLERY_Z[None, :])
        units.append({"name": name, "label": spec.label, "group": spec.group, "verdict": spec.verdict,
                      "piecewise_linear": spec.piecewise_linear, "g": _round(g[0]), "dg": _round(dg[0])})
    return {"z": _round(GALLERY_Z), "groups": list(GROUPS), "units": units}


# --- saturation -------------------------------------------------------------------------------------
def _output_gradient(net: Network, X: np.ndarray, T: np.ndarray) -> float:
    """Mean over the training points of |dl_i/da|, the output unit's gradient for point i: how hard the
    loss pushes the output (the engine's deltas are of the mean loss, hence the factor n)."""
    grads = net.loss_and_gradients(X, T, train=False)
    return float(np.mean(np.abs(grads.deltas[-1])) * X.shape[0])


def saturation(session: Session, steps: int = SATURATION_STEPS,
               every: int = SATURATION_EVERY) -> dict[str, Any]:
    """Train two copies of the session's current network (same start, same batches) with sigmoid +
    squared error and sigmoid + cross-entropy; record loss, accuracy and output gradient every ``every``
    steps. Both losses are reported as cross-entropy too, so the curves share a scale."""
    return finish(saturation_steps(session, steps, every))


def saturation_steps(session: Session, steps: int = SATURATION_STEPS,
                     every: int = SATURATION_EVERY) -> Steps:
    """``saturation`` in pieces of one training step (or one recording) each."""
    if session.network.output != "sigmoid":
        raise ValueError("what: the saturation comparison needs a sigmoid output")
    d, cfg = session.data, session.config
    start = session.network.copy()
    yield
    runs: dict[str, Any] = {}
    for loss in ("squared_error", "cross_entropy"):
        net = start.copy()
        net.loss_name = loss
        rng = np.random.default_rng(cfg.seed)
        trainer = Trainer(net, make_optimizer("sgd", lr=cfg.learning_rate), d.train_x, d.train_y,
                          batch_size=cfg.batch_size, rng=rng, shuffle=cfg.shuffle)
        T = net.encode_targets(d.train_y)
        record: dict[str, list] = {"step": [], "loss": [], "cross_entropy": [], "accuracy": [],
                                   "output_gradient": []}
        for step in range(0, steps + 1, every):
            for _ in range(every if step else 0):
                trainer.step(1)
                yield
            fwd = net.forward(d.train_x)
            record["step"].append(step)
            record["loss"].append(float(outputs.loss_and_delta("sigmoid", loss, fwd.z[-1], fwd.output, T)[0]))
            record["cross_entropy"].append(
                float(outputs.loss_and_delta("sigmoid", "cross_entropy", fwd.z[-1], fwd.output, T)[0]))
            record["accuracy"].append(net.accuracy(d.train_x, d.train_y))
            record["output_gradient"].append(_output_gradient(net, d.train_x, T))
            yield
        runs[loss] = record
    return {"runs": runs, "steps": steps, "every": every}


# --- depth ------------------------------------------------------------------------------------------
def companion_hidden(hidden: list[int]) -> list[int]:
    """The other side of the comparison, with the same number of hidden units: a deep-narrow net's
    companion is one wide layer; a one-layer net's companion is layers of 4 (the remainder last)."""
    total = sum(hidden)
    if len(hidden) > 1:
        return [total]
    if total < 2:
        raise FieldError("what", "the depth panel compares one layer with a deeper net of the same "
                                 "hidden units, and one hidden unit cannot be split: add units")
    if total < 8:
        return [total // 2, total - total // 2]
    return [4] * (total // 4) + ([total % 4] if total % 4 else [])


def _region_panel(net: Network, session: Session, label: str) -> Steps:
    """One side of the depth comparison. The exact count of a big network is made in the region-count
    worker process (seconds and hundreds of MB for 8 x 64 units: never on a training thread)."""
    cfg, data = session.config, session.data
    if regioncount.small(net) or not net.piecewise_linear:
        info = region_count(net, data.box, cfg.features, budget=regioncount.BUDGET).to_dict()
    else:
        counting = regioncount.submit(net, data.box, cfg.features)
        yield counting
        info = counting.result()[0]
    yield
    grid = GridEvaluator(data.box, DEPTH_MAP, cfg.features, dtype=np.float64)
    tracker = RegionTracker()  # one numbering for the map and the polygons
    ids = region_map(net, grid, tracker)
    if ids.ndim == 1:
        ids = np.broadcast_to(ids.reshape(1, -1), (DEPTH_MAP, DEPTH_MAP))
    polygons = None  # the exact regions, drawn as vector paths; the map stays for when there are none
    if info.get("count") is not None and info["count"] <= POLYGON_LIMIT:  # more regions: more cells
        yield
        try:
            exact = region_polygons(net, data.box, cfg.features)
            polygons = exact.to_lists(tracker.ids(exact.patterns))
        except PolygonsUnavailable:
            pass
    return {"label": label, "hidden": list(net.sizes[1:-1]), "regions": info, "map": ids.tolist(),
            "polygons": polygons, "box": list(data.box),
            "train_loss": float(net.loss(data.train_x, data.targets))}


def depth(session: Session) -> dict[str, Any]:
    """The session's net beside a companion with the same hidden units in another shape, trained by
    the same optimizer settings to the same step count (caught up here; cached on the session)."""
    return finish(depth_steps(session))


def depth_steps(session: Session) -> Steps:
    """``depth`` in pieces: one catch-up step of the companion each, then each side's regions."""
    net, cfg = session.network.copy(), session.config
    if not net.piecewise_linear:
        raise ValueError("what: the depth comparison needs piecewise-linear units (e.g. relu)")
    step_count = session.step_count
    cache = session.lecture_cache
    if "depth" not in cache:
        rng = np.random.default_rng(cfg.seed + 1)
        sizes = [net.sizes[0], *companion_hidden(list(cfg.hidden)), net.sizes[-1]]
        other = Network(sizes, activation=cfg.activations()[0], output=cfg.output, loss=cfg.loss,
                        init=cfg.init, rng=rng)
        trainer = Trainer(other, make_optimizer(cfg.optimizer, lr=cfg.learning_rate), session.data.train_x,
                          session.data.train_y, batch_size=cfg.batch_size, rng=rng, shuffle=cfg.shuffle)
        cache["depth"] = trainer
    trainer = cache["depth"]
    yield
    while trainer.step_count < step_count:
        with np.errstate(over="ignore", invalid="ignore"):
            trainer.step(1)
        yield
    deep_first = len(cfg.hidden) > 1
    mine = yield from _region_panel(net, session, "deep-narrow" if deep_first else "shallow-wide")
    theirs = yield from _region_panel(trainer.net.copy(), session,
                                      "shallow-wide" if deep_first else "deep-narrow")
    panels = [theirs, mine] if deep_first else [mine, theirs]
    return {"step": step_count, "panels": panels}


# --- backprop step-through --------------------------------------------------------------------------
def backprop(session: Session, x: list[float] | None = None, y: float | None = None) -> dict[str, Any]:
    """Forward (a_t, z_t per unit), deltas, dL/dw = delta_t z_j per link and the SGD update for one point
    ``x`` with label ``y`` (without ``y``: the training point nearest ``x``, with its label; without ``x``
    either: ``default_point``), and the largest difference
    between those gradients and central finite differences of the loss."""
    return finish(backprop_steps(session, x, y))


def backprop_steps(session: Session, x: list[float] | None = None, y: float | None = None) -> Steps:
    """``backprop`` in pieces: the finite differences a chunk of parameters at a time."""
    net, d = session.network.copy(), session.data
    if x is None:
        x = [float(v) for v in d.train_raw[default_point(session)]]
    raw = np.asarray([x], dtype=float)[:, :d.train_raw.shape[1]]
    if y is None:
        nearest = int(np.argmin(np.sum((d.train_raw - raw) ** 2, axis=1)))
        y = float(d.train_y[nearest])
        # a click without a label means "this data point": the numbers are for the point itself, which the
        # page rings; only a caller naming a label too gets a point of its own
        raw = d.train_raw[nearest:nearest + 1].astype(float)
    X = feature_map(raw, session.config.features)
    T = net.encode_targets(np.asarray([y]))
    grads = net.loss_and_gradients(X, T, train=False)
    fwd = grads.forward
    lr = session.config.learning_rate
    layers = []
    for l in range(net.depth):
        layers.append({"a": _round(fwd.z[l][0], 6), "z": _round(fwd.a[l + 1][0], 6),
                       "delta": _round(grads.deltas[l][0], 6), "dW": _round(grads.weights[l], 6),
                       "db": _round(grads.biases[l], 6), "W": _round(net.weights[l], 6),
                       "b": _round(net.biases[l], 6),
                       "W_next": _round(net.weights[l] - lr * grads.weights[l], 6),
                       "b_next": _round(net.biases[l] - lr * grads.biases[l], 6)})
    size = net.flat.size
    checked = np.unique(np.linspace(0, size - 1, min(size, FD_MAX_PARAMETERS)).astype(int))
    fd = np.empty(checked.size)
    for at in range(0, checked.size, FD_CHUNK):
        yield
        fd[at:at + FD_CHUNK] = finite_differences(net, X, T, checked[at:at + FD_CHUNK])
    return {"x": [float(v) for v in raw[0]], "y": float(y), "input": _round(X[0], 6),
            "loss": float(grads.loss), "output": _round(fwd.output[0], 6), "layers": layers,
            "learning_rate": lr,
            "check": {"max_error": float(np.max(np.abs(fd - grads.flat[checked]))) if fd.size else 0.0,
                      "parameters": int(fd.size), "of": int(size), "eps": FD_EPS}}


def default_point(session: Session) -> int:
    """The training point the backprop panel opens with: the one the network gets most wrong (largest
    |output - target|, the output delta of the matched output/loss pairs) among those with no zero input
    coordinate, whose every link then carries a non-zero gradient (at (0, 0) the first layer's dL/dw =
    delta_t x_j are all 0, and with zero biases so is everything after it). Ties go to the first."""
    net, d = session.network, session.data
    fwd = net.forward(d.train_x)
    wrong = np.sum(np.abs(fwd.output - d.targets), axis=1)
    candidates = np.flatnonzero(np.all(np.abs(d.train_raw) > 1e-12, axis=1))
    if candidates.size == 0:
        candidates = np.arange(d.train_raw.shape[0])
    return int(candidates[np.argmax(wrong[candidates])])


def finite_differences(net: Network, X: np.ndarray, T: np.ndarray, indices=None,
                       eps: float = FD_EPS) -> np.ndarray:
    """Central differences of the data loss for the parameters at ``indices`` of the network's flat order
    (all by default); shape ``(len(indices),)``."""
    flat = net.flat
    indices = np.arange(flat.size) if indices is None else np.asarray(indices)
    out = np.empty(indices.size)
    for k, i in enumerate(indices):
        old = flat[i]
        flat[i] = old + eps
        up = net.loss(X, T)
        flat[i] = old - eps
        down = net.loss(X, T)
        flat[i] = old
        out[k] = (up - down) / (2 * eps)
    return out


# --- universality -----------------------------------------------------------------------------------
def universality(session: Session, points: int = 121) -> dict[str, Any]:
    """For 1-D data and one hidden layer with a linear output: the fitted curve on the x axis and each
    hidden unit's weighted contribution w_j h_j(x) (curve = b + sum_j contribution_j)."""
    net, d = session.network, session.data
    if d.train_raw.shape[1] != 1 or net.depth != 2 or net.output != "linear":
        raise ValueError("what: the universality view needs 1-D data, one hidden layer and a linear output")
    xs = np.linspace(d.box[0], d.box[1], points)[:, None]
    fwd = net.forward(feature_map(xs, session.config.features))
    contributions = fwd.a[1] * net.weights[1][:, 0]  # (points, units)
    return {"x": _round(xs[:, 0]), "curve": _round(fwd.output[:, 0]), "bias": float(net.biases[1][0]),
            "contributions": _round(contributions.T), "train": _round(np.column_stack([d.train_raw[:, 0],
                                                                                      d.train_y]))}


# --- xor learned: many starts -----------------------------------------------------------------------
def seeds(session: Session, count: int = 12, steps: int = 600) -> dict[str, Any]:
    """Train the session's config with seeds 0..count-1 (each exactly as the page's seed field would build
    it) and report per seed whether it solved the task and which hidden units are dead (inactive on every
    training point)."""
    return finish(seeds_steps(session, count, steps))


def seeds_steps(session: Session, count: int = 12, steps: int = 600) -> Steps:
    """``seeds`` in pieces of at most ``SEEDS_PIECE`` training steps."""
    if sum(session.config.hidden) > SEEDS_MAX_UNITS or session.data.train_x.shape[0] > SEEDS_MAX_POINTS:
        raise ValueError(f"what: the seeds panel trains {count} copies, so it is only for networks of at "
                         f"most {SEEDS_MAX_UNITS} hidden units and {SEEDS_MAX_POINTS} training points")
    out = []
    for seed in range(count):
        yield
        # the session's own class builds each seed's copy: importing app.session here would close a cycle
        other = type(session)(session.config.merged({"seed": seed}))
        for at in range(0, steps, SEEDS_PIECE):
            yield
            other.train(min(SEEDS_PIECE, steps - at))
        net, d = other.network, other.data
        out.append({"seed": seed, "loss": float(net.loss(d.train_x, d.targets)),
                    "solved": bool(np.all(np.abs(net.predict(d.train_x)[:, 0] - d.train_y) < 0.25)),
                    "dead": dead_units(net, d.train_x)})
    return {"steps": steps, "runs": out}


def dead_units(net: Network, X: np.ndarray) -> list[list[int]]:
    """``[layer, j]`` of every hidden unit whose output is 0 on all of ``X`` (a dead ReLU)."""
    fwd = net.forward(X)
    return [[l, int(j)] for l in range(net.depth - 1)
            for j in np.flatnonzero(np.all(fwd.a[l + 1] == 0, axis=0))]
