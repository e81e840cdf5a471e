"""Loss landscape and space folding: how long the on-demand views take, for the networks sessions build.

For the default session (circle, 2-4-2-1 tanh, 250 training points) and the spiral-deep scene's 4 x 16 ReLU
net, each after 200 training steps: a 41 x 41 slice along two filter-normalised random directions, a 41 x 41
slice along the principal directions of 21 kept parameter vectors, and the folding of every hidden layer
(13 + 13 grid lines of 121 samples and the training data). Target (issue 12): the default net's 41 x 41
slice in well under a second. For scale, each line also gives how many full-batch training steps
(forward + backward on the same data, the work a slice point most resembles) the same time buys.

Run: ``python3 bench/landscape.py`` (about 20 s; ``--repeat N``). Times are medians, on one thread.
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
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from app.engine.folding import fold  # noqa: E402
from app.engine.landscape import landscape  # noqa: E402
from app.session import Session  # noqa: E402


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(label: str, session: Session, repeat: int) -> None:
    net, data = session.network, session.data
    kept = []
    for _ in range(20):
        kept.append(net.flat.copy())
        session.train(10)
    kept.append(net.flat.copy())
    trajectory = np.array(kept)
    X, T = data.train_x, data.train_y
    step_s = _median_s(lambda: net.loss_and_gradients(X, T), max(repeat, 20))
    cases = {
        "41x41 random": lambda: landscape(net, X, T, rng=np.random.default_rng(0)),
        "41x41 pca": lambda: landscape(net, X, T, kind="pca", trajectory=trajectory),
        "fold every layer": lambda: [fold(net, data.train_raw, layer, session.config.features, data.box)
                                     for layer in range(1, net.depth)],
    }
    print(f"\n{label}: sizes {net.sizes}, {len(T)} training points, one full-batch step "
          f"{step_s * 1e3:.3f} ms")
    for name, fn in cases.items():
        s = _median_s(fn, repeat)
        print(f"  {name:<18} {s * 1e3:8.1f} ms  ({s / step_s:7.0f} full-batch steps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, python {platform.python_version()}, {platform.machine()}")
    default = Session()
    default.train(200)
    measure("default session", default, args.repeat)
    deep = Session(scene="spiral-deep")
    deep.train(200)
    measure("spiral-deep scene", deep, args.repeat)


if __name__ == "__main__":
    main()
