"""Streaming benchmark: a real server process, a real WebSocket client on loopback, the default scene playing.

Prints delivered frames per second, bytes per frame, the server's CPU share (of one core, from
/proc/<pid>/stat over the measured window) and the p50 / p99 gap between frames, against the targets of
issue 3 (>= 60 frames/s, <= 16 KB a frame, < 25 % of one core).

    python bench/serve.py [--seconds 10] [--scene playground] [--clients 1] [--params binary]

``--params``: the form of the frames' parameters the clients ask for in their hello (``binary``, as the
page does, or ``json``, the lists every client got before; docs/protocol.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

from appserver import ROOT, Server
from websockets.asyncio.client import connect

sys.path.insert(0, str(ROOT))

from app.protocol import decode_frame, encode_snapshot
from app.session import Session

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def play(url: str, scene: str, seconds: float, warmup: float, params: str = "binary") -> dict:
    """One client: hello, play, then record every frame's arrival time and size for ``seconds``."""
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "scene": scene, "params": params}))
        await ws.send(json.dumps({"type": "play"}))
        arrivals: list[float] = []
        sizes: list[int] = []
        steps: list[int] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() - start < warmup + seconds:
            message = await ws.recv()
            now = loop.time()
            if isinstance(message, bytes) and now - start >= warmup:
                arrivals.append(now)
                sizes.append(len(message))
                steps.append(decode_frame(message)[0]["step"])
        await ws.send(json.dumps({"type": "pause"}))
        return {"arrivals": arrivals, "sizes": sizes, "steps": steps}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def measure(url: str, pid: int, args: argparse.Namespace) -> tuple[list[dict], float, float]:
    tasks = [asyncio.create_task(play(url, args.scene, args.seconds, args.warmup, args.params))
             for _ in range(args.clients)]
    await asyncio.sleep(args.warmup)
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    results = await asyncio.gather(*tasks)
    return results, cpu_seconds(pid) - cpu0, time.monotonic() - wall0


def in_process_cost(scene: str, params: str, frames: int = 300) -> float:
    """The reference, measured in this run: CPU seconds per frame of the same work without the web layer
    (train steps_per_frame mini-batches, snapshot, encode with the clients' ``params`` form), in this
    process."""
    session = Session(scene=scene)
    session.set_view(params=params)
    steps = session.config.steps_per_frame
    encode_snapshot(session.snapshot())  # warm-up
    cpu0 = time.process_time()
    for _ in range(frames):
        session.train(steps)
        encode_snapshot(session.snapshot())
    return (time.process_time() - cpu0) / frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per client")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds ignored at the start")
    parser.add_argument("--scene", default="playground")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--params", choices=("binary", "json"), default="binary",
                        help="how the frames carry the parameters (hello.params)")
    args = parser.parse_args()
    server = Server()
    try:
        results, cpu, wall = asyncio.run(measure(server.url, server.proc.pid, args))
    finally:
        server.stop()
    print(f"scene {args.scene!r}, {args.clients} client(s), params {args.params}, {args.seconds:g} s "
          f"measured, {os.cpu_count()} CPUs on this machine")
    print(f"{'client':>6} {'frames/s':>9} {'bytes/frame':>12} {'gap p50 ms':>11} {'gap p99 ms':>11} "
          f"{'steps/s':>8}")
    for i, r in enumerate(results):
        arr = r["arrivals"]
        gaps = [1000 * (b - a) for a, b in itertools.pairwise(arr)]
        span = arr[-1] - arr[0] if len(arr) > 1 else float("nan")
        fps = (len(arr) - 1) / span
        steps = (r["steps"][-1] - r["steps"][0]) / span
        print(f"{i:>6} {fps:>9.1f} {statistics.mean(r['sizes']):>12.0f} {percentile(gaps, 50):>11.1f} "
              f"{percentile(gaps, 99):>11.1f} {steps:>8.0f}")
    share = cpu / wall
    print(f"server CPU: {100 * share:.1f} % of one core ({100 * share / args.clients:.1f} % per client)")
    delivered = sum(len(r["arrivals"]) for r in results) / wall
    reference = in_process_cost(args.scene, args.params)
    per_frame = cpu / wall / delivered
    print(f"server CPU per delivered frame: {1000 * per_frame:.2f} ms; the same frame's work in-process "
          f"(reference, this run): {1000 * reference:.2f} ms; "
          f"web-layer overhead x{per_frame / reference:.2f}")
    fps_all = [(len(r["arrivals"]) - 1) / (r["arrivals"][-1] - r["arrivals"][0]) for r in results]
    size_all = max(statistics.mean(r["sizes"]) for r in results)
    print(f"targets: >= 60 frames/s delivered: {'met' if min(fps_all) >= 59.5 else 'MISSED'} "
          f"({min(fps_all):.1f}); <= 16 KB a frame: {'met' if size_all <= 16 * 1024 else 'MISSED'} "
          f"({size_all / 1024:.1f} KB); server < 25 % of one core per client: "
          f"{'met' if share / args.clients < 0.25 else 'MISSED'} ({100 * share / args.clients:.1f} %)")


if __name__ == "__main__":
    main()
