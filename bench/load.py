"""Load benchmark: a real server process and real WebSocket clients on loopback. Prints, asserts nothing.

1. Capacity: N independent sessions of the default scene, all playing, on a server with one process per CPU
   (``--workers``); per-session delivered frames/s (p5, p50, min), the event-loop lag p99 (from /healthz),
   /healthz latency p99 under that load and the server's RSS. A quick search (doubling, then bisection,
   capped by --budget seconds) finds the largest N at which every session still gets >= 8 frames/s.
2. Past capacity: one process capped at its share of that N (the cap counts per process); extra clients
   must get "server full" (1013) while the admitted ones keep their rate.
3. Broadcast: one presenter and N viewers of its room (skipped if the server has no rooms).
4. Heavy neighbour: N/2 default sessions alone, then with one heavy session (8 hidden layers of 64 ReLU
   units, 50 steps a frame) beside them; the drop in their median frame rate (target: at most 20%).
5. Hostile: N/2 default sessions alone, then beside one client doing the worst the schema allows (8 x 64
   ReLU units on 5,000 spiral points in one full batch, 1,000 steps a frame on a 200 x 200 grid with 64 px
   thumbnails and the region map, 'step n=1000', the lecture panels, a flood of 'regenerate' just under
   the rate limit); their frame rates (target: each keeps >= 80% of its rate alone) and how long a new
   client waits for its welcome, alone and beside it (target: < 1 s).

    python bench/load.py [--budget 240] [--measure 4] [--max-n 1024] [--capacity N] [--viewers N]
    python bench/load.py --only heavy [--capacity N]         # phase 4 alone
    python bench/load.py --only broadcast [--viewers 300]    # phase 3 alone
    python bench/load.py --only hostile [--capacity N]       # phase 5 alone
    python bench/load.py --only breakdown [--capacity 16]    # the breakdown of N sessions alone
    python bench/load.py --only capacity [--budget 120]      # phase 1 and its breakdown alone
    python bench/load.py --only compare --server-root DIR [--capacity 32]  # DIR's server beside this one's

Each capacity trial reads every server process's CPU by phase (GET /debug/costs, app/costs.py): the trial
at capacity gives the per-frame breakdown (training, grid, maps, metrics, params, encoding, send, event
loop, other: ms of server CPU per delivered frame and shares) and the overhead ratio, server CPU per
delivered frame (/proc) over the engine's own work for a frame of the same config (train steps + grid
pass), measured in this process in the same run (target <= 1.5x); beside it, the same engine work with 96
sessions taking turns in this process (their buffers evicted by each other's, as in the server's pool).
Each client counts the frames whose header says their maps are reduced (overload, app/overload.py).

The clients run in this one process on the same machine, so they compete with the server for its cores:
the figures are a lower bound of what separate client machines would see.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

from appserver import ROOT, Server
from breakdown import engine_in_turn, engine_work, phase_seconds, print_breakdown
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

TARGET_FPS = 8.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class Client:
    """One socket counting the binary frames it receives; ``outcome`` says how its greeting went."""

    def __init__(self, url: str, hello: dict, play: bool = True, after: list[dict] | None = None):
        self.url, self.hello, self.play, self.after = url, hello, play, after or []
        self.frames = 0
        self.reduced = 0  # frames whose header says their maps are reduced (overload, app/overload.py)
        self.outcome = "connecting"
        self.close_code: int | None = None
        self.close_reason = ""
        self.messages: list[dict] = []
        self.ready = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            async with connect(self.url, max_size=None, open_timeout=60, close_timeout=2) as ws:
                self.ws = ws
                await ws.send(json.dumps(self.hello))
                if self.play:
                    await ws.send(json.dumps({"type": "play"}))
                for m in self.after:
                    await ws.send(json.dumps(m))
                async for message in ws:
                    if isinstance(message, bytes):
                        self.frames += 1
                        if b'"reduced"' in message[4:4 + int.from_bytes(message[:4], "little")]:
                            self.reduced += 1
                        if self.outcome == "connecting":
                            self.outcome = "streaming"
                            self.ready.set()
                    else:
                        msg = json.loads(message)
                        self.messages.append(msg)
                        if msg["type"] == "error" and msg["code"] == "server_full":
                            self.outcome = "full"
        except ConnectionClosed as exc:
            self.close_code = exc.rcvd.code if exc.rcvd else None
            self.close_reason = exc.rcvd.reason if exc.rcvd else ""
        except (TimeoutError, OSError) as exc:
            self.outcome = f"failed: {exc}"
        finally:
            self.ready.set()

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


class HealthProbe:
    """/healthz every 100 ms from a thread (its own connection each time): latency and the last answer."""

    def __init__(self, server: Server):
        self.server = server
        self.latencies: list[float] = []
        self.last: dict = {}
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            with contextlib.suppress(OSError):
                self.last = self.server.health()
                self.latencies.append(time.perf_counter() - t0)
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=15)


async def open_clients(url: str, n: int, **kwargs) -> list[Client]:
    clients = []
    for i in range(n):  # a few at a time: the server builds each session off the loop
        clients.append(Client(url, {"type": "hello"}, **kwargs))
        if i % 16 == 15:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), timeout=120)
    return clients


async def rates(clients: list[Client], seconds: float) -> list[float]:
    start = [c.frames for c in clients]
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    dt = time.perf_counter() - t0
    return [(c.frames - s) / dt for c, s in zip(clients, start, strict=True)]


async def trial(server: Server, n: int, settle: float, measure: float) -> dict:
    clients = await open_clients(server.url, n)
    try:
        await asyncio.sleep(settle)  # let every runner's frame rate settle
        probe = HealthProbe(server)
        costs0, cpu0 = server.costs(), server.cpu_seconds()
        start = [c.frames for c in clients]
        reduced0 = sum(c.reduced for c in clients)
        fps = await rates(clients, measure)
        costs1, cpu1 = server.costs(), server.cpu_seconds()
        delivered = sum(c.frames - s for c, s in zip(clients, start, strict=True))
        reduced = sum(c.reduced for c in clients) - reduced0
        probe.stop()
        health = probe.last or server.health()
        return {"n": n, "fps": fps, "streaming": sum(c.outcome == "streaming" for c in clients),
                "lag_p99": health.get("loop_lag_ms", {}).get("p99", float("nan")),
                "healthz_p99": 1000 * pct(probe.latencies, 99), "rss": server.rss_mb(),
                "delivered": delivered, "server_cpu": cpu1 - cpu0, "reduced": reduced / max(1, delivered),
                "parts": phase_seconds(costs0, costs1),
                "event_loop": next(iter(costs1.values()), {}).get("event_loop")}
    finally:
        await asyncio.gather(*(c.stop() for c in clients))
        await asyncio.sleep(2.0)  # past the 0.5 s grace period: the next trial starts from an empty server


def report_header() -> None:
    print(f"{'N':>5} {'streaming':>9} {'min fps':>8} {'p5 fps':>7} {'p50 fps':>7} {'loop lag p99':>12} "
          f"{'healthz p99 ms':>14} {'RSS MB':>8} {'reduced':>8}")


def report(r: dict) -> None:
    fps = r["fps"]
    print(f"{r['n']:>5} {r['streaming']:>9} {min(fps):>8.1f} {pct(fps, 5):>7.1f} "
          f"{statistics.median(fps):>7.1f} {r['lag_p99']:>12.1f} {r['healthz_p99']:>14.1f} {r['rss']:>8.0f} "
          f"{100 * r['reduced']:>7.0f}%",
          flush=True)


async def capacity(server: Server, args: argparse.Namespace, deadline: float) -> tuple[int, dict | None]:
    """The largest N at which every session keeps >= TARGET_FPS, and that trial (the saturation point)."""
    report_header()
    good, bad = 0, None
    saturated = None
    n = args.start_n
    while n <= args.max_n and time.monotonic() < deadline:  # doubling until a trial fails
        r = await trial(server, n, args.settle, args.measure)
        report(r)
        if min(r["fps"]) >= TARGET_FPS and r["streaming"] == n:
            good, n, saturated = n, n * 2, r
        else:
            bad = n
            break
    while bad is not None and bad - good > max(4, good // 8) and time.monotonic() < deadline:
        n = (good + bad) // 2
        r = await trial(server, n, args.settle, args.measure)
        report(r)
        if min(r["fps"]) >= TARGET_FPS and r["streaming"] == n:
            good, saturated = n, r
        else:
            bad = n
    if bad is None:
        print(f"every trial up to N = {good} kept >= {TARGET_FPS:g} frames/s (search capped)")
    return good, saturated


def breakdown(r: dict | None, engine: dict[str, float], in_turn: dict[str, float] | None = None) -> None:
    """The per-frame breakdown of trial ``r`` (the saturation point) against the engine alone."""
    if r is None or not r["delivered"]:
        print("per-frame breakdown: no trial at saturation")
        return
    if r["parts"] is None:
        per_frame, work = r["server_cpu"] / r["delivered"], engine["train"] + engine["grid"]
        print(f"per-frame breakdown: the server has no /debug/costs; overhead ratio: server CPU per "
              f"delivered frame {1000 * per_frame:.3f} ms / engine work {1000 * work:.3f} ms = "
              f"{per_frame / work:.2f}x (load average {os.getloadavg()[0]:.1f})")
        return
    print(f"server event loop: {r['event_loop']}")
    print_breakdown(r["n"], r["parts"], r["delivered"], r["server_cpu"], engine, in_turn)


async def past_capacity(cap: int, args: argparse.Namespace) -> None:
    """One process capped at ``cap`` sessions (the cap is per process): extra clients and the admitted."""
    server = Server(max_sessions=cap, rate_limit=1000, rate_burst=1000)
    try:
        admitted = await open_clients(server.url, cap)
        await asyncio.sleep(args.settle)
        before = await rates(admitted, args.measure)
        extra = [Client(server.url, {"type": "hello"}) for _ in range(10)]
        await asyncio.gather(*(asyncio.wait_for(c.task, 60) for c in extra), return_exceptions=True)
        after = await rates(admitted, args.measure)
        full = [c for c in extra if c.outcome == "full" and c.close_code == 1013]
        message = next((m["message"] for c in extra for m in c.messages if m["type"] == "error"), "")
        print(f"past capacity ({cap} admitted): {len(full)}/10 extra clients got 1013 "
              f"(message: {message!r}); admitted p50 frames/s {statistics.median(before):.1f} before, "
              f"{statistics.median(after):.1f} after; min {min(before):.1f} -> {min(after):.1f}")
        await asyncio.gather(*(c.stop() for c in admitted))
    finally:
        server.stop()


async def broadcast(n: int, args: argparse.Namespace) -> None:
    server = Server(max_sessions=max(64, n + 8))
    try:
        presenter = Client(server.url, {"type": "hello"}, after=[{"type": "present"}])
        await asyncio.wait_for(presenter.ready.wait(), 60)
        for _ in range(200):
            room = next((m for m in presenter.messages if m["type"] == "room"), None)
            if room:
                break
            await asyncio.sleep(0.05)
        else:
            print("broadcast: skipped (the server answered no room to 'present')")
            await presenter.stop()
            return
        viewers = []
        for i in range(n):
            viewers.append(Client(server.url, {"type": "hello", "watch": room["code"]}, play=False))
            if i % 16 == 15:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*(v.ready.wait() for v in viewers)), timeout=120)
        await asyncio.sleep(args.settle)
        probe = HealthProbe(server)
        fps = await rates(viewers, args.measure)
        (presenter_fps,) = await rates([presenter], 1.0)
        probe.stop()
        health = probe.last or server.health()
        print(f"broadcast: 1 presenter ({presenter_fps:.1f} frames/s), {n} viewers: min {min(fps):.1f}, "
              f"p5 {pct(fps, 5):.1f}, p50 {statistics.median(fps):.1f} frames/s; loop lag p99 "
              f"{health.get('loop_lag_ms', {}).get('p99', float('nan')):.1f} ms; /healthz p99 "
              f"{1000 * pct(probe.latencies, 99):.1f} ms; RSS {server.rss_mb():.0f} MB")
        await asyncio.gather(*(c.stop() for c in [presenter, *viewers]))
    finally:
        server.stop()


HEAVY_CONFIG = {"hidden": [64] * 8, "activation": "relu", "output": "sigmoid", "loss": "cross_entropy",
                "init": "he", "learning_rate": 0.01, "steps_per_frame": 50}


async def heavy_neighbour(n: int, args: argparse.Namespace) -> None:
    """n default sessions, measured alone and then beside one heavy session, in one server."""
    server = Server(max_sessions=max(64, n + 8), rate_limit=1000, rate_burst=1000)
    try:
        light = await open_clients(server.url, n)
        await asyncio.sleep(args.settle)
        alone = await rates(light, args.measure)
        heavy = Client(server.url, {"type": "hello", "config": HEAVY_CONFIG})
        await asyncio.wait_for(heavy.ready.wait(), 60)
        errors = [m for m in heavy.messages if m["type"] == "error"]
        await asyncio.sleep(args.settle)
        beside = await rates([*light, heavy], args.measure)
        drop = 1 - statistics.median(beside[:-1]) / statistics.median(alone)
        print(f"heavy neighbour: {n} default sessions p50 {statistics.median(alone):.1f} frames/s alone, "
              f"{statistics.median(beside[:-1]):.1f} beside one 8x64 ReLU session "
              f"({beside[-1]:.1f} frames/s itself{'; config refused: ' + str(errors) if errors else ''}): "
              f"drop {100 * drop:.0f}% (target <= 20%)", flush=True)
        await asyncio.gather(*(c.stop() for c in [*light, heavy]))
    finally:
        server.stop()


HOSTILE_CONFIG = {"dataset": "spiral", "hidden": [64] * 8, "points": 5000, "train_ratio": 1,
                  "batch_size": 5000, "activation": "relu", "grid": 200, "thumbnail": 64,
                  "steps_per_frame": 1000}
WELCOME_TARGET_S = 1.0
HOSTILE_KEEP = 0.8


async def welcome_wait(url: str) -> float:
    """Seconds from opening a socket to the welcome of a new session (inf if none came in 30 s)."""
    t0 = time.perf_counter()
    try:
        async with connect(url, max_size=None, open_timeout=30, close_timeout=1) as ws:
            await ws.send(json.dumps({"type": "hello"}))
            async with asyncio.timeout(30):
                async for message in ws:
                    if isinstance(message, str) and json.loads(message)["type"] == "welcome":
                        return time.perf_counter() - t0
    except (TimeoutError, OSError, ConnectionClosed):
        pass
    return float("inf")


async def welcome_waits(url: str, samples: int) -> list[float]:
    waits = []
    for _ in range(samples):
        waits.append(await welcome_wait(url))
        await asyncio.sleep(0.3)
    return waits


async def hostile_client(url: str, sent: dict) -> None:
    """The worst the schema allows, kept up until cancelled; ``sent`` counts what it sent."""
    async with connect(url, max_size=None, open_timeout=60, close_timeout=1) as ws:
        async def drain() -> None:
            async for message in ws:
                if isinstance(message, bytes):
                    sent["frames received"] = sent.get("frames received", 0) + 1
                else:
                    msg = json.loads(message)
                    if msg["type"] == "error":
                        sent["errors"] = sent.get("errors", 0) + 1
                        sent["last_error"] = msg["message"]
                    elif msg["type"] in ("export", "lecture"):
                        key = f"{msg['type']} answers"
                        sent[key] = sent.get(key, 0) + 1

        reader = asyncio.create_task(drain())
        try:
            await ws.send(json.dumps({"type": "hello", "config": HOSTILE_CONFIG}))
            await ws.send(json.dumps({"type": "view", "regions": True}))
            await ws.send(json.dumps({"type": "play"}))
            heavy = [{"type": "step", "n": 1000}, {"type": "lecture", "what": "depth"},
                     {"type": "lecture", "what": "backprop"}, {"type": "lecture", "what": "saturation"},
                     {"type": "export", "format": "json"}]
            tick = 0
            while True:
                # cycles of 2 s: the heavy requests, a second of training, then a second of 'regenerate'
                # at 40 a second (the rate limit is 60) and 'play' again
                phase = tick % 80
                burst = heavy if phase == 0 else [{"type": "regenerate"}] if phase >= 40 else []
                if phase == 79:
                    burst = [{"type": "play"}]
                for m in burst:
                    await ws.send(json.dumps(m))
                    sent[m["type"]] = sent.get(m["type"], 0) + 1
                tick += 1
                await asyncio.sleep(0.025)
        finally:
            reader.cancel()


def start_hostile_client(url: str) -> subprocess.Popen:
    """The hostile client in its own process: receiving its 2.4 MB frames here would slow this process's
    clients and probes (a real attacker's CPU is not the server's)."""
    return subprocess.Popen([sys.executable, __file__, "--hostile-client", url], stdout=subprocess.PIPE,
                            text=True)


def stop_hostile_client(attacker: subprocess.Popen) -> tuple[dict, bool]:
    """Stop it; what it sent, and whether it was still connected."""
    alive = attacker.poll() is None
    attacker.send_signal(signal.SIGINT)
    try:
        return json.loads(attacker.communicate(timeout=30)[0] or "{}"), alive
    except (subprocess.TimeoutExpired, ValueError):
        attacker.kill()
        attacker.wait()
        return {}, alive


async def hostile(n: int, args: argparse.Namespace, rounds: int = 2) -> bool:
    """n default sessions and new clients' welcomes, alone and beside one hostile client, in one server.

    Windows alone and beside a (new) hostile client alternate, ``rounds`` of each, so that the machine's
    other load, which comes and goes, falls on both alike; its session's work stops within a slice once
    its client has gone."""
    server = Server(max_sessions=max(64, n + 16))
    try:
        light = await open_clients(server.url, n)
        await asyncio.sleep(args.settle)
        alone, beside = [0.0] * n, [0.0] * n
        welcome_alone, welcome_beside, latencies, sent, alive = [], [], [], {}, True
        for _ in range(rounds):
            for i, r in enumerate(await rates(light, args.measure)):
                alone[i] += r / rounds
            welcome_alone += await welcome_waits(server.url, 3)
            attacker = start_hostile_client(server.url)
            await asyncio.sleep(args.settle)
            probe = HealthProbe(server)
            for i, r in enumerate(await rates(light, args.measure)):
                beside[i] += r / rounds
            welcome_beside += await welcome_waits(server.url, 5)
            probe.stop()
            latencies += probe.latencies
            round_sent, round_alive = stop_hostile_client(attacker)
            alive = alive and round_alive
            for k, v in round_sent.items():
                if isinstance(v, int):
                    sent[k] = sent.get(k, 0) + v
                else:
                    sent[k] = v
            await asyncio.sleep(args.settle)  # its session stops within a slice once its client is gone
        keep = [b / a if a > 0 else float("nan") for a, b in zip(alone, beside, strict=True)]
        worst_wait = max(welcome_beside)
        # honest only if the hostile client really loaded the server: its frames and heavy answers came
        worked = sent.get("frames received", 0) >= rounds and sent.get("export answers", 0) >= rounds
        ok = min(keep) >= HOSTILE_KEEP and worst_wait < WELCOME_TARGET_S and alive and worked
        print(f"hostile: {n} default sessions p50 {statistics.median(alone):.1f} frames/s alone (min "
              f"{min(alone):.1f}), beside the hostile client p50 {statistics.median(beside):.1f} (min "
              f"{min(beside):.1f}), {rounds} interleaved windows of {args.measure:g} s each; each keeps min "
              f"{100 * min(keep):.0f}% / p50 {100 * statistics.median(keep):.0f}% of its rate (target >= "
              f"{100 * HOSTILE_KEEP:.0f}%)", flush=True)
        print(f"hostile: welcome of a new client alone max {1000 * max(welcome_alone):.0f} ms, beside the "
              f"hostile client p50 {1000 * statistics.median(welcome_beside):.0f} ms, max "
              f"{1000 * worst_wait:.0f} ms over {len(welcome_beside)} (target < "
              f"{1000 * WELCOME_TARGET_S:.0f} ms); /healthz p99 beside it {1000 * pct(latencies, 99):.1f} ms",
              flush=True)
        counts = ", ".join(f"{k} {v}" for k, v in sent.items() if k not in ("errors", "last_error"))
        print(f"hostile: the hostile clients sent/got {counts}, got {sent.get('errors', 0)} errors"
              f"{' (last: ' + sent['last_error'] + ')' if 'last_error' in sent else ''}"
              f"{'' if alive else ' and were disconnected'}"
              f"{'' if worked else ' and got no frame or export answer: their load is not shown'}: "
              f"{'PASS' if ok else 'FAIL'}", flush=True)
        await asyncio.gather(*(c.stop() for c in light))
        return ok
    finally:
        server.stop()


async def compare(n: int, args: argparse.Namespace, rounds: int = 3) -> None:
    """``n`` default sessions on a server of ``--server-root`` (an older checkout) and ``n`` on one of this
    checkout, side by side at the same time (one process each), so that the machine's other load falls on
    both alike: each one's server CPU per delivered frame and frame rates, and their ratio, per round."""
    old = Server(args.server_root, max_sessions=10_000, rate_limit=1000, rate_burst=1000, grace_period=0.5)
    extra = dict(kv.split("=", 1) for kv in args.new_env)
    new = Server(None, extra, max_sessions=10_000, rate_limit=1000, rate_burst=1000, grace_period=0.5)
    try:
        clients = {"old": await open_clients(old.url, n), "new": await open_clients(new.url, n)}
        await asyncio.sleep(args.settle)
        servers = {"old": old, "new": new}
        print(f"compare: {n} default sessions on each of two servers side by side (one process each): "
              f"old = {args.server_root}, new = this checkout"
              f"{' with ' + ' '.join(args.new_env) if extra else ''}")
        for i in range(rounds):
            cpu0 = {k: s.cpu_seconds() for k, s in servers.items()}
            start = {k: [c.frames for c in cs] for k, cs in clients.items()}
            reduced0 = {k: sum(c.reduced for c in cs) for k, cs in clients.items()}
            t0 = time.perf_counter()
            await asyncio.sleep(args.measure)
            wall = time.perf_counter() - t0
            per_frame, fps, frames_of = {}, {}, {}
            for k, s in servers.items():
                frames = [c.frames - f for c, f in zip(clients[k], start[k], strict=True)]
                frames_of[k] = sum(frames)
                per_frame[k] = (s.cpu_seconds() - cpu0[k]) / max(1, sum(frames))
                fps[k] = [f / wall for f in frames]
            print(f"  round {i + 1}: server CPU per delivered frame old {1000 * per_frame['old']:.3f} ms, "
                  f"new {1000 * per_frame['new']:.3f} ms: old/new "
                  f"{per_frame['old'] / per_frame['new']:.2f}x; "
                  f"frames/s min / p5 / p50 old {min(fps['old']):.1f} / {pct(fps['old'], 5):.1f} / "
                  f"{statistics.median(fps['old']):.1f}, new {min(fps['new']):.1f} / "
                  f"{pct(fps['new'], 5):.1f} / "
                  f"{statistics.median(fps['new']):.1f}; reduced frames old "
                  f"{reduced_share(clients['old'], reduced0['old'], frames_of['old']):.0%}, new "
                  f"{reduced_share(clients['new'], reduced0['new'], frames_of['new']):.0%}; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
        await asyncio.gather(*(c.stop() for cs in clients.values() for c in cs))
    finally:
        old.stop()
        new.stop()


def reduced_share(clients: list[Client], before: int, frames: int) -> float:
    """The share of ``frames`` (delivered since ``before`` reduced ones were counted) with reduced maps."""
    return (sum(c.reduced for c in clients) - before) / max(1, frames)


async def main_async(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.budget
    print(f"{os.cpu_count()} CPUs; default scene; target >= {TARGET_FPS:g} frames/s per session; "
          f"{args.measure:g} s measured per trial after {args.settle:g} s settling; capacity with "
          f"{args.workers} server process(es), the other phases with one", flush=True)
    if args.only == "heavy":
        await heavy_neighbour(max((args.capacity or 16) // 2, 1), args)
        return
    if args.only == "broadcast":
        await broadcast(args.viewers or 300, args)
        return
    if args.only == "hostile":
        await hostile(max((args.capacity or 16) // 2, 1), args)
        return
    if args.only == "compare":
        if not args.server_root:
            raise SystemExit("--only compare needs --server-root (a checkout of the code to compare with)")
        await compare(max((args.capacity or 32) // 2, 1), args)
        return
    engine = engine_work()  # before the server starts: the machine as quiet as this run gets
    print(f"engine alone (in-process, default scene): train {1000 * engine['train']:.3f} ms + grid "
          f"{1000 * engine['grid']:.3f} ms a frame; load average {os.getloadavg()[0]:.1f}", flush=True)
    in_turn = engine_in_turn()  # the same work with 96 sessions taking turns (their caches evicted)
    print(f"engine, 96 sessions in turn (in-process): train {1000 * in_turn['train']:.3f} ms + grid "
          f"{1000 * in_turn['grid']:.3f} ms a frame", flush=True)
    if args.capacity or args.only == "breakdown":
        cap = args.capacity or 16
        server = Server(max_sessions=10_000, rate_limit=1000, rate_burst=1000, grace_period=0.5,
                        workers=args.workers, debug_costs=True)
        try:
            report_header()
            r = await trial(server, cap, args.settle, args.measure)
            report(r)
        finally:
            server.stop()
        breakdown(r, engine, in_turn)
        if args.only == "breakdown":
            return
    else:
        server = Server(max_sessions=10_000, rate_limit=1000, rate_burst=1000, grace_period=0.5,
                        workers=args.workers, debug_costs=True)
        try:
            cap, saturated = await capacity(server, args, deadline)
        finally:
            server.stop()
        breakdown(saturated, engine, in_turn)
    print(f"capacity: {cap} sessions at >= {TARGET_FPS:g} frames/s each", flush=True)
    if args.only == "capacity":
        return
    if cap:
        await past_capacity(max(cap // args.workers, 1), args)
    from app import protocol as p

    if "present" in p.CLIENT_TYPES:
        await broadcast(args.viewers or max(cap, 1), args)
    else:
        print("broadcast: skipped (this server has no rooms)")
    await heavy_neighbour(max(cap // 2, 1), args)
    await hostile(max(cap // 2, 1), args)


def run_hostile_client(url: str) -> None:
    """The hostile client alone (a subprocess of the hostile phase): on SIGINT, print what it sent."""
    sent: dict = {}
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(hostile_client(url, sent))
    print(json.dumps(sent), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=240, help="seconds for the capacity search")
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--measure", type=float, default=4.0)
    parser.add_argument("--start-n", type=int, default=8)
    parser.add_argument("--max-n", type=int, default=1024)
    parser.add_argument("--capacity", type=int, default=0, help="skip the search and take this capacity")
    parser.add_argument("--viewers", type=int, default=0, help="viewers of the broadcast (default: capacity)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="server processes for the capacity search (default: one per CPU)")
    parser.add_argument("--new-env", action="append", default=[], metavar="KEY=VALUE",
                        help="--only compare: an environment variable for this checkout's server alone")
    parser.add_argument("--server-root", help="another checkout (e.g. `git archive main | tar -x -C DIR`): "
                                              "--only compare serves it beside this one")
    parser.add_argument("--only", choices=["heavy", "broadcast", "hostile", "breakdown", "capacity",
                                           "compare"],
                        help="one phase alone: heavy or hostile (with --capacity / 2 light sessions, "
                             "default 8), broadcast (with --viewers viewers, default 300) or breakdown (the "
                             "per-frame breakdown of --capacity sessions, default 16) or capacity (the "
                             "search and its breakdown) or compare (--capacity / 2 sessions on each of "
                             "--server-root's server and this one's, side by side)")
    parser.add_argument("--hostile-client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hostile_client:
        run_hostile_client(args.hostile_client)
        return
    sys.path.insert(0, str(ROOT))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
