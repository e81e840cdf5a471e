"""The per-frame breakdown of bench/load.py: the server's CPU per delivered frame by phase (from each server
process's GET /debug/costs, app/costs.py) against the engine's own work for a frame of the same config
(train steps + grid pass), measured in this process in the same run.
"""

from __future__ import annotations

import os
import time

from appserver import ROOT

PARTS = ("train", "grid", "maps", "metrics", "params", "encode", "send", "event loop", "other")
ENGINE = ("train", "grid")  # the engine's own work; the rest is the server around it


def engine_work(scene: str = "playground", frames: int = 400) -> dict[str, float]:
    """CPU seconds per frame of the engine alone on ``scene``'s config, in this process: ``train`` (the
    frame's steps_per_frame mini-batches) and ``grid`` (the batched pass of output and hidden units over
    the map's points, the session's own evaluator), each timed alone over ``frames`` frames."""
    return _frames_in_turn(scene, sessions=1, rounds=frames, warm_up=20)


def engine_in_turn(scene: str = "playground", sessions: int = 96, rounds: int = 4) -> dict[str, float]:
    """``engine_work`` with ``sessions`` sessions of ``scene`` each making one frame in turn, as the server's
    fair pool takes them: every session's buffers have been evicted by the others' by its next turn (on
    the 2-vCPU Xeon: training 10-20% and the grid pass 40-50% slower than one session in a loop)."""
    return _frames_in_turn(scene, sessions, rounds, warm_up=1)


def _frames_in_turn(scene: str, sessions: int, rounds: int, warm_up: int) -> dict[str, float]:
    """``rounds`` rounds of one frame (train steps, then the grid pass) per session, in turn, after
    ``warm_up`` untimed rounds (buffers allocated, the grid path chosen): CPU seconds per frame."""
    import sys

    sys.path.insert(0, str(ROOT))
    # function-local: the bench's clients need none of the app; imported only for this measurement
    from app.session import Session

    ss = [Session(scene=scene) for _ in range(sessions)]
    grids = [s.frames.evaluator(s.data, s.config) for s in ss]
    steps = ss[0].config.steps_per_frame
    train = evaluate = 0.0
    for r in range(warm_up + rounds):
        for s, grid in zip(ss, grids, strict=True):
            t0 = time.process_time()
            s.train(steps)
            t1 = time.process_time()
            grid.evaluate(s.network)
            t2 = time.process_time()
            if r >= warm_up:
                train, evaluate = train + t1 - t0, evaluate + t2 - t1
    return {"train": train / (rounds * sessions), "grid": evaluate / (rounds * sessions)}


def phase_seconds(before: dict[int, dict], after: dict[int, dict]) -> dict[str, float] | None:
    """CPU seconds per part between two readings of every process (``Server.costs``); None unless the same
    processes answered both."""
    if not before or set(before) != set(after):
        return None
    total = dict.fromkeys(PARTS, 0.0)
    for pid, end in after.items():
        for part in PARTS:
            total[part] += end["phases_s"][part] - before[pid]["phases_s"][part]
    return total


def print_breakdown(n: int, parts: dict[str, float], frames: int, server_cpu: float,
                    engine: dict[str, float], in_turn: dict[str, float] | None = None) -> None:
    """The table at saturation: ms of server CPU per delivered frame by part, its share, and the overhead
    ratio (server CPU per delivered frame / the engine's train + grid for a frame, both this run);
    ``in_turn``: ``engine_in_turn``'s figures, a column of their own."""
    counted = sum(parts.values())
    load = os.getloadavg()
    print(f"per-frame breakdown at saturation ({n} sessions, {frames} frames delivered; load average "
          f"{load[0]:.1f} {load[1]:.1f}):")
    print(f"  {'part':<12} {'ms/frame':>9} {'share':>6}   engine alone, in-process (ms/frame)"
          + ("; 96 sessions in turn" if in_turn else ""))
    for part in PARTS:
        alone = f"{1000 * engine[part]:.3f}" if part in engine else ""
        turn = f"{1000 * in_turn[part]:>10.3f}" if in_turn and part in in_turn else ""
        print(f"  {part:<12} {1000 * parts[part] / frames:>9.3f} {100 * parts[part] / counted:>5.1f}%   "
              f"{alone}{turn}")
    per_frame = server_cpu / frames
    work = sum(engine[p] for p in ENGINE)
    print(f"  {'counted':<12} {1000 * counted / frames:>9.3f}   (the server processes' own clocks); "
          f"/proc: {1000 * per_frame:.3f} ms/frame")
    in_server = (parts["train"] + parts["grid"]) / frames
    print(f"overhead ratio: server CPU per delivered frame {1000 * per_frame:.3f} ms / engine work "
          f"(train + grid, in-process, this run) {1000 * work:.3f} ms = {per_frame / work:.2f}x "
          f"(target <= 1.5x)", flush=True)
    # the same ratio against the engine's phases as the server ran them, in the same window: the machine's
    # other load (and the cache misses of many sessions taking turns) weigh on both sides alike
    print(f"  against the engine's own phases in the server ({1000 * in_server:.3f} ms a frame): "
          f"{per_frame / in_server:.2f}x", flush=True)
