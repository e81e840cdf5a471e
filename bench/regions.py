"""Server cost of drawing linear regions: the exact polygons against the grid map, measured in one run.

For each default network, per frame: milliseconds of the server's work (polygons: regioncam's partition,
each cell's activation pattern, the boundaries, the stable ids and the five frame arrays; grid map: the
activation pattern of every cell of the 100 x 100 grid, the stable ids and the array) and the bytes each
adds to a frame. Networks: the playground scene's shape (2-4-2-1) with ReLU units (the scene itself uses
tanh, which has no linear regions), xor-by-hand, the depth scene's 2-4-4-4-1 (fresh and trained), its
shallow-wide companion 2-12-1, spiral-deep's 2-16-16-16-16-1 (fresh and trained) and the universality
scene's 1-D net (strips), all as a session builds them.

Run: ``python3 bench/regions.py`` (about 30 s; ``--quick`` for fewer repeats). Times are the median of the
repeats, on one thread.
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from app.config import SessionConfig  # noqa: E402
from app.engine import partition, regions  # noqa: E402
from app.engine.grid import GridEvaluator  # noqa: E402
from app.protocol.binary import FrameArray, _polygon_arrays  # noqa: E402
from app.session import Session  # noqa: E402

# (label, scene, config overrides, training steps)
NETS = [
    ("playground 2-4-2-1 relu", "playground", {"activation": "relu"}, 0),
    ("xor-by-hand 2-2-1", "xor-by-hand", {}, 0),
    ("depth 2-4-4-4-1", "depth", {}, 0),
    ("depth 2-4-4-4-1, 2000 steps", "depth", {}, 2000),
    ("depth companion 2-12-1, 2000 steps", "depth", {"hidden": [12]}, 2000),
    ("spiral-deep 4x16", "spiral-deep", {}, 0),
    ("spiral-deep 4x16, 1000 steps", "spiral-deep", {}, 1000),
    ("universality 1-12-1 (x1 only), 1000 steps", "universality", {}, 1000),
]


def median_ms(fn, repeats: int) -> float:
    fn()  # warm up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def session_for(scene: str, overrides: dict, steps: int) -> Session:
    s = Session(scene=scene)
    if overrides:
        cfg = s.config.model_dump()
        cfg.update(overrides)
        s = Session(config=SessionConfig(**cfg))
    s.train(steps)
    return s


def measure(s: Session, repeats: int) -> dict:
    net, box, cfg = s.network, s.data.box, s.config
    grid = GridEvaluator(box, cfg.grid, cfg.features, dtype=np.float32)  # as the session's own

    def polygons():
        p = regions.region_polygons(net, box, cfg.features)
        ids = tracker.ids(p.patterns)
        return p, sum(a.data.nbytes for a in _polygon_arrays(p, ids))

    def grid_map():
        ids = regions.region_map(net, grid, tracker)
        if ids.ndim == 1:  # 1-D data: the session sends the line of ids as a (G, G) map, as every map
            ids = np.broadcast_to(ids.reshape(1, -1), (cfg.grid, cfg.grid))
        return FrameArray("region_map", np.ascontiguousarray(ids)).data.nbytes

    tracker = regions.RegionTracker()
    try:
        p, poly_bytes = polygons()
        poly_ms = median_ms(polygons, repeats)
    except regions.PolygonsUnavailable as exc:
        p, poly_bytes, poly_ms = None, None, f"({exc})"
    tracker = regions.RegionTracker()
    return {"regions": p.count if p else None, "cells": p.cells if p else None,
            "poly_ms": poly_ms, "poly_bytes": poly_bytes,
            "grid_ms": median_ms(grid_map, repeats), "grid_bytes": grid_map()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repeats instead of 25")
    args = parser.parse_args()
    repeats = 5 if args.quick else 25
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, regioncam "
          f"{getattr(partition.regioncam, '__version__', 'not installed')}, {platform.machine()}; "
          f"polygon limit {regions.POLYGON_LIMIT} cells; median of {repeats}\n")
    head = f"{'network':44} {'regions':>7} {'cells':>6} | {'polygons ms':>11} {'bytes':>7} | " \
           f"{'grid ms':>7} {'bytes':>6} | {'ms ratio':>8}"
    print(head)
    print("-" * len(head))
    for label, scene, overrides, steps in NETS:
        m = measure(session_for(scene, overrides, steps), repeats)
        if isinstance(m["poly_ms"], str):
            print(f"{label:44} {'-':>7} {'-':>6} | {m['poly_ms']:>19} | "
                  f"{m['grid_ms']:7.2f} {m['grid_bytes']:6d} |")
            continue
        print(f"{label:44} {m['regions']:7d} {m['cells']:6d} | {m['poly_ms']:11.2f} {m['poly_bytes']:7d} | "
              f"{m['grid_ms']:7.2f} {m['grid_bytes']:6d} | {m['poly_ms'] / m['grid_ms']:8.2f}")
    print("\nms ratio: polygons' server time over the grid map's for the same network in this run. Polygons "
          "taking over 50 ms (regionview.POLYGONS_SLOW_S) are made in the region worker process when paused.")


if __name__ == "__main__":
    main()
