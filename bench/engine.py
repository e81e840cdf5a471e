"""Engine speed on one core, with its references measured in the same run (issue 2, "Speed").

Workloads, TensorFlow Playground's default frame: the 500-point spiral, half of it for training (250
points), SGD lr 0.03, tanh output with squared error:

* W1 training throughput, examples per second (whole epochs of ``Trainer.step``);
* W2 the output and every hidden unit on the 100 x 100 grid over [-6, 6]^2, grids per second;
* W3 one epoch plus one W2 grid, frames per second (what TensorFlow Playground does per animation frame);

for 2-8-8-8-8-1 tanh with batch 10 and 2-64-64-64-1 ReLU with batch 32. References: PyTorch autograd on
the CPU (float32, one thread; skipped with a note when torch is missing), a textbook NumPy MLP that
allocates per call (bench/numpy_reference.py), and E2b's tuned NumPy MLP in float64 and float32 (issue 14;
imported at run time from ../shared/reference/e2b_numpy.py, see bench/e2b_reference.py; skipped with a
note when absent), with issue 14's goals against E2b printed as PASS/FAIL. Also prints the W3 ceiling (the
fastest epoch plus the fastest bare grid measured in the run) and the arrays a session-like setup holds.

The grid's tanh/sigmoid path is measured per process (app/engine/gridpath.py); ``MLP_GRID_PATH=exp|tanh``
forces one, and ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"`` shows an AVX-512 machine
what NumPy does on AVX2 (its AVX-512 loops switched off).

Run: ``python3 bench/engine.py`` (about a minute; ``--quick`` for a rougher, shorter run). Each figure is
the best of several interleaved timed rounds, in units per CPU second of the one thread (see ``Timer``).
"""

from __future__ import annotations

import os
import sys

# One thread everywhere, set before NumPy or PyTorch load their BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import e2b_reference  # noqa: E402
import gridfloor  # noqa: E402
import numpy as np  # noqa: E402
from numpy_reference import TextbookMLP  # noqa: E402

from app.engine import Network, Trainer, make_optimizer  # noqa: E402
from app.engine.datasets import make_dataset, split  # noqa: E402
from app.engine.grid import GridEvaluator  # noqa: E402
from app.engine.gridpath import choice  # noqa: E402

try:
    import torch_reference  # imports torch
except ImportError as exc:  # the bench still runs, without the PyTorch columns
    torch_reference = None
    TORCH_MISSING = f"PyTorch not measured: {exc}"
else:
    TORCH_MISSING = ""

LR = 0.03
NETS = [
    {"name": "2-8-8-8-8-1 tanh", "sizes": [2, 8, 8, 8, 8, 1], "unit": "tanh", "batch": 10,
     "targets": {"W2": 2400, "W3": 825}},
    {"name": "2-64-64-64-1 relu", "sizes": [2, 64, 64, 64, 1], "unit": "relu", "batch": 32,
     "targets": {"W3": 250}},
]
UNITS = {"W1": "examples/s", "W2": "grids/s", "W3": "frames/s"}
# For scale, from issue 2 (measured elsewhere, not in this run): the 4x8 tanh net.
ISSUE_FIGURES = {"TensorFlow Playground": (341_000, 60, 55), "PyTorch autograd": (68_000, 438, 93)}
MEMORY_TARGET = 2 * 1024 * 1024
E2B, E2B_MISSING = e2b_reference.load()
E2B_DTYPES = {"E2b-f64": np.float64, "E2b-f32": np.float32}
# Issue 14's goals against E2b, on any machine: (workload, the E2b columns compared with, minimum ratio);
# with two columns, ours is compared with the faster of them.
E2B_GOALS = [("W3", ("E2b-f64", "E2b-f32"), 1.15), ("W2", ("E2b-f32",), 1.0)]


class Timer:
    """Times a set of jobs in interleaved rounds, so that every implementation of a workload meets the
    same machine conditions: on a shared machine, load comes and goes over seconds.

    A job is ``fn`` doing ``work`` units per call. Its figure is the best round, in units per CPU second
    of this process (one thread) and per wall-clock second; CPU time is the headline, since it leaves out
    the time spent waiting for a core.
    """

    def __init__(self, budget: float, rounds: int):
        self.budget, self.rounds = budget, rounds
        self.jobs: list[tuple[str, str, object, float, int]] = []

    def add(self, impl: str, workload: str, fn, work: float) -> None:
        fn()  # warm-up: buffers, caches, lazy imports
        calls = 1
        while True:  # calibrate: about budget / rounds seconds per round
            start = time.process_time()
            for _ in range(calls):
                fn()
            elapsed = time.process_time() - start
            if elapsed > 0.02:
                break
            calls *= 2
        calls = max(1, round(calls * (self.budget / self.rounds) / elapsed))
        self.jobs.append((impl, workload, fn, work, calls))

    def run(self) -> dict[str, dict[str, tuple[float, float]]]:
        best = {(impl, w): [math.inf, math.inf] for impl, w, *_ in self.jobs}
        for _ in range(self.rounds):
            for impl, w, fn, _, calls in self.jobs:
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(calls):
                    fn()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                b = best[(impl, w)]
                b[0], b[1] = min(b[0], cpu), min(b[1], wall)
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for impl, w, _, work, calls in self.jobs:
            cpu, wall = best[(impl, w)]
            out.setdefault(impl, {})[w] = (work * calls / cpu, work * calls / wall)
        return out


def held_bytes(*objects) -> int:
    """Bytes of the distinct NumPy buffers reachable from ``objects`` through the engine's own objects
    (attributes, lists, tuples, dicts, dataclasses); views count once, with the array they look into."""
    seen_objects: set[int] = set()
    buffers: dict[int, int] = {}

    def visit(obj) -> None:
        if id(obj) in seen_objects:
            return
        seen_objects.add(id(obj))
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            buffers[id(base)] = base.nbytes
        elif isinstance(obj, (list, tuple, set)):
            for item in obj:
                visit(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                visit(item)
        elif _engine_object(obj):
            for item in vars(obj).values():
                visit(item)

    for obj in objects:
        visit(obj)
    return sum(buffers.values())


def _engine_object(obj) -> bool:
    """Objects whose attributes ``held_bytes`` walks: the engine's own classes and dataclasses."""
    if type(obj).__module__.startswith(("app.", "__main__")) and hasattr(obj, "__dict__"):
        return True
    return dataclasses.is_dataclass(obj) and not isinstance(obj, type)


def spiral_task():
    """TensorFlow Playground's default: 500-point spiral, noise 0, half for training."""
    rng = np.random.default_rng(0)
    data = make_dataset("spiral", rng, n=500)
    train, _ = split(data, 0.5, rng)
    return train.X, train.y


def measure(net_cfg: dict, X: np.ndarray, y: np.ndarray, budget: float, repeats: int) -> dict:
    """Figures for one network: {implementation: {workload: units per second}} plus the session."""
    sizes, unit, batch = net_cfg["sizes"], net_cfg["unit"], net_cfg["batch"]
    n = X.shape[0]
    steps = -(-n // batch)  # one epoch
    net = Network(sizes, activation=unit, output="tanh", init="playground", seed=0)
    trainer = Trainer(net, make_optimizer("sgd", LR), X, y, batch_size=batch, rng=np.random.default_rng(1))
    grid = GridEvaluator(box=(-6.0, 6.0), size=100)

    def frame():
        trainer.step(steps)
        grid.evaluate(net)

    timer = Timer(budget, repeats)
    t = (2.0 * y - 1.0)[:, None]
    points = grid.points
    e2b_nets = []
    if E2B is not None:
        # Built from ``net`` before any call (the timer's warm-up included) trains it: the same initial
        # weights on both sides. Ours reshuffles every epoch, E2b keeps one order: that work counts
        # against ours.
        e2b_nets = [e2b_reference.fast_net(E2B, net, unit, dtype, X, y, batch, points)
                    for dtype in E2B_DTYPES.values()]
    timer.add("ours", "W1", lambda: trainer.step(steps), n)
    timer.add("ours", "W2", lambda: grid.evaluate(net), 1)
    timer.add("ours", "W3", frame, 1)
    mlp, rng = TextbookMLP(sizes, unit, np.random.default_rng(0)), np.random.default_rng(1)

    def numpy_frame():
        mlp.epoch(X, t, batch, LR, rng)
        mlp.grid(points)

    timer.add("numpy", "W1", lambda: mlp.epoch(X, t, batch, LR, rng), n)
    timer.add("numpy", "W2", lambda: mlp.grid(points), 1)
    timer.add("numpy", "W3", numpy_frame, 1)
    if torch_reference is not None:
        tm = torch_reference.TorchMLP(sizes, unit, LR)
        Xt, tt, pts = torch_reference.tensors(X, t, points)

        def torch_frame():
            tm.epoch(Xt, tt, batch)
            tm.grid(pts)

        timer.add("torch", "W1", lambda: tm.epoch(Xt, tt, batch), n)
        timer.add("torch", "W2", lambda: tm.grid(pts), 1)
        timer.add("torch", "W3", torch_frame, 1)
    for impl, fast in zip(E2B_DTYPES, e2b_nets, strict=False):
        add_e2b(timer, impl, fast, n)
    for impl, fn in gridfloor.floor_jobs(net, unit, points).items():
        timer.add(impl, "W2", fn, 1)
    results = timer.run()
    session = {"fast_path": trainer._fast is not None, "diverged": trainer.diverged,
               "e2b_diverged": [impl for impl, fast in zip(E2B_DTYPES, e2b_nets, strict=False)
                                if not all(np.isfinite(W).all() for W, _ in fast.weights())],
               "bytes": held_bytes(net, trainer, grid)}
    return {"results": results, "session": session}


def add_e2b(timer: Timer, impl: str, fast, n: int) -> None:
    """E2b's W1 (one epoch in its fixed order), W2 (every unit's map) and W3 (both) for ``fast``."""

    def frame():
        fast.train_epoch(LR)
        fast.grid_eval()

    timer.add(impl, "W1", lambda: fast.train_epoch(LR), n)
    timer.add(impl, "W2", fast.grid_eval, 1)
    timer.add(impl, "W3", frame, 1)


def environment() -> list[str]:
    blas = "?"
    # The config layout differs between NumPy versions; the name is only informative.
    with contextlib.suppress(Exception):
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    lines = [f"python {platform.python_version()}, numpy {np.__version__} ({blas}), "
             f"cpu {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"load average {os.getloadavg()[0]:.1f}",
             "threads: " + ", ".join(f"{v}={os.environ[v]}" for v in
                                     ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")),
             f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
             cpu_flags()]
    if torch_reference is not None:
        import torch

        lines.append(f"torch {torch.__version__}, {torch.get_num_threads()} thread, float32")
    else:
        lines.append(TORCH_MISSING)
    return lines


def cpu_flags() -> str:
    """The CPU's AVX2/AVX-512 flags (Linux) and whether NumPy's AVX-512 loops are on in this process."""
    flags = "?"
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            words = {w for line in f if line.startswith("flags") for w in line.split()}
        flags = " ".join(sorted(w for w in words if w == "avx2" or w.startswith("avx512"))) or "no avx2"
    numpy_avx512 = "?"
    # Imported here, inside the guard: a private NumPy module that other versions may lack (the answer is
    # only informative). NPY_DISABLE_CPU_FEATURES switches these loops off.
    with contextlib.suppress(Exception):
        from numpy._core._multiarray_umath import __cpu_features__ as features

        numpy_avx512 = "on" if features.get("AVX512_SKX") else "off"
    return f"cpu flags: {flags}; NumPy's AVX-512 loops: {numpy_avx512}"


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table(name: str, cfg: dict, results: dict) -> list[str]:
    cpu = {impl: {w: v[0] for w, v in figures.items()} for impl, figures in results.items()}
    ours = cpu["ours"]
    header = f"{'network':<18} {'workload':<13} {'ours':>10} {'numpy ref':>10} {'x':>6}"
    header += f" {'torch':>10} {'x':>6}" if "torch" in cpu else ""
    header += f" {'target':>8} {'met':>4}"
    rows = [header]
    for w, unit in UNITS.items():
        row = f"{name:<18} {w + ' ' + unit:<13} {fmt(ours[w]):>10} {fmt(cpu['numpy'][w]):>10}"
        row += f" {ours[w] / cpu['numpy'][w]:>6.1f}"
        if "torch" in cpu:
            row += f" {fmt(cpu['torch'][w]):>10} {ours[w] / cpu['torch'][w]:>6.1f}"
        target = cfg["targets"].get(w)
        met = ("yes" if ours[w] >= target else "NO") if target else ""
        row += f" {fmt(target) if target else '-':>8} {met:>4}"
        rows.append(row)
    return rows


def e2b_table(name: str, results: dict) -> list[str]:
    """ours / E2b-f64 and ours / E2b-f32 per workload (CPU-second figures)."""
    cpu = {impl: {w: v[0] for w, v in figures.items()} for impl, figures in results.items()}
    ours = cpu["ours"]
    header = f"{'network':<18} {'workload':<13} {'ours':>10}"
    header += "".join(f" {impl:>10} {'ours / ' + impl:>15}" for impl in E2B_DTYPES)
    rows = [header]
    for w, unit in UNITS.items():
        row = f"{name:<18} {w + ' ' + unit:<13} {fmt(ours[w]):>10}"
        row += "".join(f" {fmt(cpu[impl][w]):>10} {ours[w] / cpu[impl][w]:>15.2f}" for impl in E2B_DTYPES)
        rows.append(row)
    return rows


def e2b_goals(name: str, results: dict) -> list[str]:
    """Issue 14's goals as PASS/FAIL lines: ours over the faster of the named E2b columns."""
    lines = []
    for w, against, minimum in E2B_GOALS:
        best = max(against, key=lambda impl: results[impl][w][0])
        ratio = results["ours"][w][0] / results[best][w][0]
        lines.append(f"{'PASS' if ratio >= minimum else 'FAIL'}  {name}, {w}: ours / {best} = {ratio:.2f} "
                     f"(goal >= {minimum:.2f} x the faster of {' and '.join(against)})")
    return lines


def floor_lines(name: str, results: dict) -> list[str]:
    """W2 of the bare NumPy calls (bench/gridfloor.py) next to ours and E2b-f32's."""
    cpu = {impl: figures["W2"][0] for impl, figures in results.items() if "W2" in figures}
    line = (f"{name}: W2 bare calls, ones rows {fmt(cpu['floor, ones rows'])} grids/s (ours / that "
            f"{cpu['ours'] / cpu['floor, ones rows']:.2f}); a bias pass per layer instead "
            f"{fmt(cpu['floor'])} (that / ones rows {cpu['floor'] / cpu['floor, ones rows']:.2f})")
    if "E2b-f32" in cpu:
        line += f"; E2b-f32 {fmt(cpu['E2b-f32'])}"
    return [line]


def ceiling_lines(name: str, results: dict, n: int) -> list[str]:
    """The best W3 a frame could reach here: an epoch at the fastest W1 measured in this run (ours or
    E2b's) plus a grid at the fastest W2 of the bare calls (bench/gridfloor.py) or E2b's, over the faster
    E2b W3. Below issue 14's W3 goal, the goal asks for less work than the NumPy calls of a frame."""
    cpu = {impl: {w: v[0] for w, v in figures.items()} for impl, figures in results.items()}
    trainers = [impl for impl in cpu if "W1" in cpu[impl] and impl not in ("numpy", "torch")]
    grids = ["floor", "floor, ones rows", *(impl for impl in E2B_DTYPES if impl in cpu)]
    fastest_w1 = max(trainers, key=lambda impl: cpu[impl]["W1"])
    fastest_w2 = max(grids, key=lambda impl: cpu[impl]["W2"])
    frame_s = n / cpu[fastest_w1]["W1"] + 1.0 / cpu[fastest_w2]["W2"]
    e2b = [impl for impl in E2B_DTYPES if impl in cpu]
    line = (f"{name}: W3 ceiling {fmt(1.0 / frame_s)} frames/s (an epoch as fast as {fastest_w1}'s, "
            f"{1000 * n / cpu[fastest_w1]['W1']:.3f} ms, + a grid as fast as {fastest_w2!r}, "
            f"{1000 / cpu[fastest_w2]['W2']:.3f} ms); ours {fmt(cpu['ours']['W3'])}")
    if e2b:
        best = max(e2b, key=lambda impl: cpu[impl]["W3"])
        line += (f"; ceiling / {best} W3 = {1.0 / frame_s / cpu[best]['W3']:.2f}, "
                 f"ours / {best} = {cpu['ours']['W3'] / cpu[best]['W3']:.2f}")
    return [line]


def wall_over_cpu(all_results: list[dict]) -> float:
    """Median over every figure of CPU rate / wall-clock rate: 1.0 on an idle machine."""
    ratios = [cpu / wall for results in all_results for figures in results.values()
              for cpu, wall in figures.values()]
    return float(np.median(ratios))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter, rougher run (a few seconds)")
    args = parser.parse_args(argv)
    budget, repeats = (0.15, 3) if args.quick else (1.2, 12)
    print("\n".join(environment()))
    # MLP_GRID_PATH=exp|tanh forces a path (to compare the two on one machine).
    print(f"grid tanh/sigmoid path: {choice().describe()}")
    X, y = spiral_task()
    print(f"data: spiral, 500 points, {X.shape[0]} for training; SGD lr {LR}; tanh output + squared error")
    print("figures per CPU second of one thread; x = ours / reference (higher is better for ours)\n")
    lines, e2b_lines, goals, floors, ceilings, sessions, all_results = [], [], [], [], [], [], []
    for cfg in NETS:
        out = measure(cfg, X, y, budget, repeats)
        lines.extend(table(cfg["name"], cfg, out["results"]))
        lines.append("")
        if E2B is not None:
            e2b_lines.extend([*e2b_table(cfg["name"], out["results"]), ""])
            goals.extend(e2b_goals(cfg["name"], out["results"]))
        floors.extend(floor_lines(cfg["name"], out["results"]))
        ceilings.extend(ceiling_lines(cfg["name"], out["results"], X.shape[0]))
        sessions.append((cfg["name"], out["session"]))
        all_results.append(out["results"])
    print("\n".join(lines))
    print(E2B_MISSING)
    if E2B is not None:
        print("same data, initial weights, batch size and lr on both sides; ours reshuffles every epoch, "
              "E2b keeps one order\n")
        print("\n".join(e2b_lines + goals))
        print()
    print("the grid's floor with np.tanh (relu: one clip), float32, no Python around the calls: with a row "
          "of ones under every layer (our buffer's layout, and E2b's) every bias rides in the matmul "
          "(bench/gridfloor.py)")
    print("\n".join(floors) + "\n")
    print("the best frame (W3) this machine allows: the fastest epoch measured plus the fastest bare grid; "
          "a W3 goal above 'ceiling / E2b' asks a frame for less than its NumPy calls")
    print("\n".join(ceilings) + "\n")
    print(f"wall-clock time / CPU time: {wall_over_cpu(all_results):.2f} (median over the figures); "
          f"load average now {os.getloadavg()[0]:.1f}: other processes on the cores slow every column")
    print("for scale (issue 2, measured elsewhere, 4x8 tanh net; W1 / W2 / W3): "
          + "; ".join(f"{k} {fmt(a)} / {b} / {c}" for k, (a, b, c) in ISSUE_FIGURES.items()))
    for name, s in sessions:
        note = "" if s["fast_path"] else " (general path!)"
        note += " DIVERGED: figures invalid" if s["diverged"] else ""
        note += "".join(f" {impl} DIVERGED: its figures invalid" for impl in s["e2b_diverged"])
        print(f"session arrays held, {name}: network + trainer + grid buffers = {s['bytes'] / 1024:,.0f} kB"
              + (f" (target < {MEMORY_TARGET // 1024 ** 2} MB: "
                 f"{'yes' if s['bytes'] < MEMORY_TARGET else 'NO'})" if name.startswith("2-8-") else "")
              + note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
