"""Linear regions of piecewise-linear networks: the count in the view box, with the bounds beside it.

A *linear region* here is an activation region: a maximal set of inputs on which every hidden unit stays
on the same linear piece (see ``patterns``). When the network sees the raw input plane each such set is
convex (every pre-activation is affine once the earlier pieces are fixed), so counting regions in the view
box and counting distinct activation patterns are the same thing, and a grid of sample points can only
miss regions, never invent them. With other input features (x1^2, sin x1, ...) a pattern's set in the
plane may fall apart into several pieces; patterns are still what is counted, so the count is a lower bound.

``region_count`` is this module's own: exact through regioncam (``partition``) when it is installed and
the network sees the raw input plane, otherwise the number of distinct patterns on a fine grid. The rest
of the region API is re-exported here from the modules that own it: ``patterns`` (activation patterns,
``RegionTracker``, ``region_map``), ``partition`` (regioncam's exact polygons) and ``bounds``
(``theoretical_bound``, ``upper_bound``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import activations as act
from . import partition
from .bounds import theoretical_bound, upper_bound
from .errors import FieldError
from .features import feature_map, is_identity, validate_features
from .grid import check_box, check_size, grid_points, is_one_d
from .network import Network
from .partition import POLYGON_LIMIT, PolygonsUnavailable, RegionPolygons, region_polygons
from .patterns import (
    MAX_ID,
    SINGLE_KINK,
    RegionTracker,
    activation_patterns,
    count_patterns,
    maxout_pieces,
    region_map,
)

__all__ = ["MAX_ID", "POLYGON_LIMIT", "PolygonsUnavailable", "RegionInfo", "RegionPolygons", "RegionTracker",
           "activation_patterns", "count_patterns", "region_count", "region_map", "region_polygons",
           "theoretical_bound", "upper_bound"]


@dataclass(frozen=True)
class RegionInfo:
    """``count``: regions in the view box (None when undefined); ``bound``: ``theoretical_bound`` for the
    architecture, what the best network of this shape is known to reach (None when it does not apply);
    ``upper``: ``upper_bound``, what no network of this shape can exceed (None when it does not apply);
    ``exact``: count is exact (else a lower bound)."""

    count: int | None
    bound: int | None
    exact: bool
    note: str
    upper: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "bound": self.bound, "upper": self.upper, "exact": self.exact,
                "note": self.note}


def region_count(net: Network, box: tuple[float, float] = (-6.0, 6.0),
                 features: Sequence[str] = ("x1", "x2"), method: str = "auto",
                 resolution: int = 400, budget: int | None = None) -> RegionInfo:
    """Number of linear regions of ``net`` in the view box ``[lo, hi]^2`` (a segment for 1-D data).

    ``method``: "auto" (exact through regioncam when possible, else the grid), "exact" (raise
    RuntimeError when impossible) or "grid" (distinct activation patterns on ``resolution`` x
    ``resolution`` cell centres, a lower bound). Smooth units give ``count=None``. With non-identity
    input features, patterns are counted on the grid in the input plane (the network is piecewise linear
    in its features, not in ``(x1, x2)``; one pattern may show as several pieces) and no bound is given.
    ``budget``: the exact count stops once there are more regions than this (it bounds the memory) and
    reports ``count=budget``, not exact, with a note saying "more than".
    """
    box = check_box(box)
    features = validate_features(features)
    resolution = check_size(resolution, "resolution")
    if method not in ("auto", "exact", "grid"):
        raise FieldError("method", f"method: expected 'auto', 'exact' or 'grid', got {method!r}")
    if net.sizes[0] != len(features):
        raise FieldError("features",
                         f"network has {net.sizes[0]} inputs but {len(features)} features {list(features)}")
    if not net.piecewise_linear:
        smooth = sorted({n for n in net.activations if not act.ACTIVATIONS[n].piecewise_linear})
        if method == "exact":
            raise RuntimeError(f"no exact region count: {', '.join(smooth)} units are not piecewise linear")
        return RegionInfo(None, None, False, f"not piecewise linear ({', '.join(smooth)} units)")
    if not np.all(np.isfinite(net.flat)):
        if method == "exact":
            raise RuntimeError("no exact region count: the network's parameters are not finite")
        return RegionInfo(None, None, False, "no count: the network's parameters are not finite (diverged)")
    identity = is_identity(features)
    one_d = is_one_d(features)
    upper = upper_bound(net.sizes, net.activations, maxout_pieces(net)) if identity else None
    bound, bound_note = None, "bound: Montufar et al. (2014)"
    if not identity:
        bound_note = "no bound: the features are not the identity"
    elif not set(net.activations) <= SINGLE_KINK:
        bound_note = "no bound: it is stated for rectifier units (relu, leaky, prelu, rrelu, abs)"
    else:
        bound = theoretical_bound(net.sizes)
    reason = None
    if method != "grid":
        # A reason that holds on every machine comes before the one that depends on the installation.
        if not identity:
            reason = "the features are not the identity"
        elif not partition.available():
            reason = "regioncam is not installed"
        if reason is None:
            try:
                count = partition.exact_count(net, box, one_d, budget)
                return RegionInfo(count, bound, True, f"exact (regioncam); {bound_note}", upper)
            except partition.OverBudget:
                note = f"more than {budget} regions: the exact count stops there to bound its memory"
                return RegionInfo(budget, bound, False, f"{note}; {bound_note}", upper)
            except Exception as exc:  # a failure of the optional exact path must not lose the count
                if method == "exact":
                    raise RuntimeError(f"no exact region count: regioncam failed: {exc}") from exc
                reason = f"regioncam failed ({exc})"
        if method == "exact":
            raise RuntimeError(f"no exact region count: {reason}")
    X = feature_map(grid_points(box, resolution, one_d), features)
    count = count_patterns(net, X)
    where = f"{resolution} points" if one_d else f"a {resolution}x{resolution} grid"
    plane = "" if identity else " in the input plane (features are not the identity)"
    why = f" ({reason})" if method == "auto" and identity and reason else ""
    note = f"lower bound: distinct activation patterns on {where}{plane}{why}; {bound_note}"
    return RegionInfo(count, bound, False, note, upper)

