"""The longest piece of work per kind for the hostile client's session (bench/load.py HOSTILE_CONFIG): what
one pool call can hold a thread for, whatever the slice. Thread CPU time per piece, in ms.

    python bench/pieces.py [--repeat 3] [--lectures]

Kinds: a training piece (``Trainer.train_for`` with a zero budget does exactly one piece), each piece of
a frame (grid pass, thumbnails, region map, metrics, encode), a lecture panel's pieces, and the unsliced
calls a client can make (regenerate, reset, export, inspect).
"""

from __future__ import annotations

import os
import sys

# One BLAS thread, as the server runs (app/cli.py), set before NumPy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import time  # noqa: E402

from load import HOSTILE_CONFIG  # noqa: E402

from app import lecture  # noqa: E402
from app.config import SessionConfig  # noqa: E402
from app.session import Session  # noqa: E402
from app.slicing import frame_steps  # noqa: E402


def pieces(work) -> list[float]:
    """Thread CPU ms of each piece of the generator ``work``, run to its end."""
    out = []
    while True:
        t = time.thread_time()
        try:
            item = next(work)
        except StopIteration:
            out.append(1000 * (time.thread_time() - t))
            return out
        out.append(1000 * (time.thread_time() - t))
        if item is not None:  # work in another process (the region count): waited for off the pool
            item.result()


def once(fn, *args) -> float:
    t = time.thread_time()
    fn(*args)
    return 1000 * (time.thread_time() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lectures", action="store_true",
                        help="also the lecture panels' pieces (minutes: the depth panel counts regions)")
    args = parser.parse_args()
    s = Session(SessionConfig(**HOSTILE_CONFIG))
    s.set_view(regions=True)
    longest: dict[str, list[float]] = {}

    def note(kind: str, values: list[float]) -> None:
        longest.setdefault(kind, []).extend(values)

    for _ in range(args.repeat):
        train = []
        while len(train) < 12:
            t = time.thread_time()
            s.trainer.train_for(1, 0.0)
            train.append(1000 * (time.thread_time() - t))
        note("training piece", train)
        note("frame piece (paused: polygons)", pieces(frame_steps(s)))
        s.playing = True
        note("frame piece (playing: region map)", pieces(frame_steps(s)))
        s.playing = False
        for what in ("depth", "backprop", "saturation") if args.lectures else ():
            try:
                note(f"lecture {what} piece", pieces(lecture.compute_steps(s, what)))
            except Exception as exc:  # the region count's process can die when the machine runs out of memory
                print(f"lecture {what} failed: {exc!r}", flush=True)
        note("export json piece", pieces(s.export_steps("json")))
        note("inspect", [once(s.inspect, (0.5, 0.5), 1)])
        note("regenerate", [once(s.regenerate)])
        note("reset", [once(s.reset)])
    print(f"longest piece per kind, thread CPU ms over {args.repeat} rounds (HOSTILE_CONFIG; slice_ms 20):")
    for kind, values in longest.items():
        values.sort()
        print(f"  {kind:36s} max {values[-1]:7.1f}  p50 {values[len(values) // 2]:6.1f}  "
              f"pieces {len(values)}")


if __name__ == "__main__":
    main()
