"""The "look inside" panels computed from a live session: the loss landscape and space folding.

Like app/lecture.py's panels, each is a generator of bounded pieces of work that returns a JSON-ready
dict; the first piece copies what it reads (network, data, kept trajectory), so training may go on
between pieces without mixing two networks in one answer. Engine work is in app/engine/landscape.py and
app/engine/folding.py; this module only chooses the data, the directions and the rounding.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from app.engine.errors import FieldError
from app.engine.folding import fold
from app.engine.landscape import (
    loss_rows,
    project,
    random_directions,
    span_around,
    trajectory_directions,
)

if TYPE_CHECKING:
    from app.session import Session

LANDSCAPE_RESOLUTION = 41
LANDSCAPE_RADIUS = 1.0  # in units of the filter-normalised direction: the network's own weight scale
FOLD_LINES = 13  # grid lines per axis, as many as the output plot's ticks
FOLD_SAMPLES = 61  # per line: enough for a ReLU fold to show as a sharp bend at this size
MAX_FOLD_POINTS = 500  # the data drawn in the hidden plane: a spread subset of bigger training sets
# the random directions' generator: the session's seed and a fixed salt, so a refresh keeps the directions
_DIRECTION_SALT = 0x1A2D

Steps = Generator[Any, None, dict[str, Any]]


class InsightError(FieldError):
    """A panel that cannot be computed for this session; ``field`` names the request field at fault."""


def landscape_steps(session: Session, directions: Literal["random", "pca"] = "random",
                    resolution: int = LANDSCAPE_RESOLUTION) -> Steps:
    """A ``resolution``-square slice of the training loss around the current weights, a row a piece.

    ``directions``: "random" (two filter-normalised directions, the same on every refresh of the same
    network) or "pca" (the top two principal directions of the kept trajectory, app/engine/history.py).
    The kept trajectory is projected onto the slice's plane either way (``path``).
    """
    net = session.network.copy()
    data = session.data
    trainer = session.trainer
    l1, l2 = trainer.l1, trainer.l2
    X, T = data.train_x.copy(), data.targets
    # the path up to the step shown: after a rewind the kept future is not part of it
    now = int(session.step_count)  # read with the network: the session may train between the pieces
    steps = [s for s in session.history.steps if s < now]  # the current point is added once, below
    kept = session.history.trajectory()[:len(steps)]
    center = net.flat.copy()
    explained = None
    try:
        if directions == "pca":
            trajectory = kept if len(kept) else np.empty((0, center.size))
            d1, d2, explained = trajectory_directions(trajectory, center)
        else:
            d1, d2 = random_directions(net, np.random.default_rng([session.config.seed, _DIRECTION_SALT]))
    except ValueError as exc:
        raise InsightError("directions", str(exc)) from None
    path = project(np.vstack([kept, center[None, :]]), center, d1, d2) if len(kept) else None
    if directions == "pca" and path is not None:
        a_lo, a_hi, b_lo, b_hi = span_around(path)
    else:
        a_lo, a_hi, b_lo, b_hi = (-LANDSCAPE_RADIUS, LANDSCAPE_RADIUS) * 2
    alphas, betas = np.linspace(a_lo, a_hi, resolution), np.linspace(b_lo, b_hi, resolution)
    yield
    loss = []
    for row in loss_rows(net, X, T, d1, d2, alphas, betas, l1, l2):
        loss.append(row)
        yield
    grid = np.array(loss)
    finite = grid[np.isfinite(grid)]
    return {
        "directions": directions,
        "step": now,
        "alphas": _round(alphas), "betas": _round(betas),
        "loss": [[None if not np.isfinite(v) else round(float(v), 5) for v in row] for row in grid],
        "min": round(float(finite.min()), 5) if finite.size else None,
        "max": round(float(finite.max()), 5) if finite.size else None,
        "center_loss": _loss_at_center(net, X, T, l1, l2),
        "path": _round(path) if path is not None else None,
        "path_steps": [*map(int, steps), now] if path is not None else None,
        "explained": [round(e, 4) for e in explained] if explained is not None else None,
        "regularized": bool(l1 or l2),
    }


def folding(session: Session, layer: int | None = None) -> dict[str, Any]:
    """The input plane's grid lines and the training points as hidden layer ``layer`` sees them
    (default: the first hidden layer; 0 is the input plane)."""
    net, data, cfg = session.network, session.data, session.config
    hidden = net.depth - 1
    if data.train_raw.ndim != 2 or data.train_raw.shape[1] != 2:
        raise InsightError("layer", "space folding needs 2-D input data; this data set is 1-D")
    chosen = (1 if hidden else 0) if layer is None else layer
    if not 0 <= chosen <= hidden:
        raise InsightError("layer", f"layer must be from 0 (the input plane) to {hidden} (the last hidden "
                                    f"layer), got {chosen}")
    raw, y = data.train_raw, data.train_y
    if raw.shape[0] > MAX_FOLD_POINTS:  # a spread subset: every k-th point of the (shuffled) training set
        keep = np.linspace(0, raw.shape[0] - 1, MAX_FOLD_POINTS).astype(int)
        raw, y = raw[keep], y[keep]
    f = fold(net, raw, chosen, cfg.features, data.box, FOLD_LINES, FOLD_SAMPLES)
    return {
        "layer": chosen, "layers": hidden, "units": f.units, "projected": f.projected,
        "explained": [round(e, 4) for e in f.explained] if f.explained is not None else None,
        "lines": _round(f.lines, 4), "points": _round(f.points, 4),
        "labels": _round(y, 4) if data.regression else [int(v) for v in y],
        "regression": data.regression, "classes": data.classes, "box": list(data.box),
        "step": int(session.step_count),
        "boundary": _boundary(net, chosen, f.projected),
    }


def _boundary(net: Any, layer: int, projected: bool) -> dict[str, Any] | None:
    """The output unit's decision line in the last hidden layer's own plane, ``w . h + b = level``: there
    the classes are split by a straight line (the point of the XOR picture). None where it is not a line
    of this plot: another layer, a projected or 1-unit layer, several outputs."""
    if projected or layer != net.depth - 1 or layer == 0 or net.sizes[layer] != 2 or net.sizes[-1] != 1:
        return None
    # the output that splits the classes: p = 1/2 for sigmoid (logit 0), 0 for tanh, 1/2 for a linear
    # output trained on 0/1 targets
    level = {"sigmoid": 0.0, "tanh": 0.0, "linear": 0.5}.get(net.output)
    if level is None:
        return None
    w = net.weights[-1][:, 0]
    return {"w": _round(w, 6), "b": round(float(net.biases[-1][0]), 6), "level": level}


def _loss_at_center(net: Any, X: np.ndarray, T: np.ndarray, l1: float, l2: float) -> float | None:
    with np.errstate(all="ignore"):
        return _finite_or_none(net.loss(X, T, l1=l1, l2=l2))


def _finite_or_none(value: Any) -> float | None:
    v = float(value)
    return round(v, 6) if np.isfinite(v) else None


def _round(a: Any, digits: int = 4) -> Any:
    return np.round(np.asarray(a, dtype=float), digits).tolist()
