"""What a file import costs the server: each pool call of the largest imports, against the training slice.

The largest files the server takes: a CSV of 5,000 points (the row limit) and the JSON export of an 8 x 64
network trained on 5,000 custom points. An import runs as two pool calls (app/uploads.py): reading and
checking the file (beside the session's training) and applying it (on the session's turn, holding it); an
export runs in pieces. Each is timed alone, the median of the repeats, and set against ``slice_ms`` (20 ms
by default), the longest a training slice holds the pool, as a ratio. The check of a JSON export and the
export itself run in pieces, a slice at a time: their longest piece is what counts.

Run: ``python3 bench/imports.py`` (about 10 s; ``--repeats N``).
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Generator  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from app import importing  # noqa: E402
from app.config import SessionConfig  # noqa: E402
from app.session import Session  # noqa: E402
from app.settings import Settings  # noqa: E402

POINTS = 5000


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def pieces_ms(steps: Generator[Any, None, Any]) -> list[float]:
    """Each piece of the work ``steps``, in ms."""
    times = []
    while True:
        start = time.perf_counter()
        try:
            next(steps)
        except StopIteration:
            return times
        times.append((time.perf_counter() - start) * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    slice_ms = Settings().slice_ms
    rng = np.random.default_rng(0)
    xy, labels = rng.normal(size=(POINTS, 2)) * 3, rng.integers(0, 3, POINTS)
    csv = "x1,x2,label\n" + "".join(f"{a!r},{b!r},{c}\n" for (a, b), c in zip(xy.tolist(), labels.tolist(),
                                                                                strict=True))
    points = [[a, b, c] for (a, b), c in zip(xy.tolist(), labels.tolist(), strict=True)]
    big = Session(SessionConfig(dataset="user", custom_points=points, classes=3, output="softmax",
                                hidden=[64] * 8, custom_box=[-12, 12]))
    big.train(20)
    _, exported = big.export("json")
    target = Session()
    data = importing.read_csv(csv)
    checked = importing.check_json(Session, exported)
    rows = [
        (f"CSV, {POINTS:,} rows ({len(csv) / 1e3:.0f} kB): read (beside training)",
         median_ms(lambda: importing.read_csv(csv), repeats)),
        ("CSV: apply (holds the session)", median_ms(lambda: importing.apply_csv(target, data), repeats)),
        (f"JSON, 8 x 64 net + {POINTS:,} points ({len(exported) / 1e6:.2f} MB): check, its longest piece",
         statistics.median(max(pieces_ms(importing.check_json_steps(Session, exported)))
                           for _ in range(repeats))),
        ("JSON: apply (holds the session)",
         median_ms(lambda: importing.apply_json(target, checked), repeats)),
        ("JSON export: its longest piece",
         statistics.median(max(pieces_ms(big.export_steps("json"))) for _ in range(repeats))),
    ]
    print(f"slice_ms = {slice_ms:g} (the longest a training slice holds the pool)")
    for name, ms in rows:
        print(f"  {name:<72} {ms:7.1f} ms  {ms / slice_ms:5.2f} x slice")


if __name__ == "__main__":
    main()
