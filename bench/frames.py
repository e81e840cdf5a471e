"""A frame's parameters as JSON lists (every client before hello.params) against one float32 array
(``hello.params: "binary"``, what the page asks for): the server's cost to write them and the frame's size,
for the default net (4, 2), 3 x 8 and 8 x 64 ReLU networks after a few steps; and the bytes of a paused
session's hover frame, whole and without the arrays the client has already (``hello.same``).

    python bench/frames.py [--repeat 30]

Per network and form: ``params + encode`` (thread CPU ms, best of ``--repeat``: the frame's copy of the
parameters plus ``encode_snapshot``, everything that differs between the forms; the maps' quantizing is in
both), frame and header sizes, and ``client parse``: Python's ``json.loads`` of the header plus taking the
parameters out of it (a stand-in for what the page's ``JSON.parse`` and decoder do with them).
"""

from __future__ import annotations

import os
import sys

# One BLAS thread, as the server runs (app/cli.py), set before NumPy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from app import protocol as p  # noqa: E402
from app.config import SessionConfig  # noqa: E402
from app.frames import FlatParams, Snapshot  # noqa: E402
from app.session import Session  # noqa: E402

NETS = {"4,2": [4, 2], "3x8": [8] * 3, "8x64": [64] * 8}
LEARNING_RATE = 0.003  # the default 0.03 makes the 8 x 64 net diverge within 10 steps (null weights)


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    """The least thread CPU time of ``repeat`` calls, in ms."""
    best = float("inf")
    for _ in range(repeat):
        t = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t)
    return 1000 * best


def client_parse(frame: bytes) -> None:
    """What a client does with the parameters: parse the header, take the lists or the array's layers."""
    (n,) = struct.unpack_from("<I", frame, 0)
    header = json.loads(frame[4:4 + n])
    if "param_layout" in header:
        entry = next(e for e in header["arrays"] if e["name"] == "params")
        values = np.frombuffer(frame, np.float32, entry["shape"][0], entry["offset"])
        p.unpack_params(header["param_layout"], values)


def measure(hidden: list[int], repeat: int) -> dict[str, dict[str, float]]:
    s = Session(SessionConfig(hidden=hidden, activation="relu", learning_rate=LEARNING_RATE))
    s.train(10)
    assert s.state != "diverged", hidden  # NaN weights would make the JSON form look short
    snap = s.snapshot()
    out = {}
    for form in ("json", "binary"):
        form_snap = dataclasses.replace(snap, params_form=form)

        def write(form_snap: Snapshot = form_snap) -> bytes:
            return p.encode_snapshot(dataclasses.replace(form_snap, params=FlatParams.of(s.network)))

        frame = write()
        (n,) = struct.unpack_from("<I", frame, 0)
        out[form] = {"encode_ms": best_ms(write, repeat), "frame_kb": len(frame) / 1e3,
                     "header_kb": n / 1e3, "parse_ms": best_ms(lambda f=frame: client_parse(f), repeat),
                     "params": s.network.flat.size}
    return out


def hover_bytes(hidden: list[int]) -> tuple[int, int]:
    """A paused session's frame of a hovered unit after the frame before it: its bytes whole, and sent to
    a client whose hello said ``same`` (the arrays of the frame before left out)."""
    s = Session(SessionConfig(hidden=hidden, activation="relu", learning_rate=LEARNING_RATE))
    s.set_view(params="binary")
    s.train(10)
    before = p.encode_snapshot(s.snapshot())
    s.set_view(unit=(0, 1))
    hover = p.encode_snapshot(s.snapshot())
    return len(hover), len(p.without_repeats(hover, before))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    print(f"{'net':>5} {'params':>7}  {'form':<6} {'params+encode':>14} {'frame':>10} {'header':>10} "
          f"{'client parse':>13}")
    for name, hidden in NETS.items():
        got = measure(hidden, args.repeat)
        for form, m in got.items():
            print(f"{name:>5} {m['params']:>7}  {form:<6} {m['encode_ms']:>11.3f} ms "
                  f"{m['frame_kb']:>7.1f} KB {m['header_kb']:>7.1f} KB {m['parse_ms']:>10.3f} ms")
        j, b = got["json"], got["binary"]
        print(f"{'':>15}binary / json: encode {b['encode_ms'] / j['encode_ms']:.2f}x, "
              f"frame {b['frame_kb'] / j['frame_kb']:.2f}x, parse {b['parse_ms'] / j['parse_ms']:.2f}x")
        whole, sent = hover_bytes(hidden)
        print(f"{'':>15}paused hover frame: {whole / 1e3:.1f} KB whole, {sent / 1e3:.1f} KB with hello.same "
              f"({sent / whole:.3f}x)")


if __name__ == "__main__":
    main()
