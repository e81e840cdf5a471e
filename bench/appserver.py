"""The app as a subprocess for the benchmarks: ``python -m app`` on a free loopback port, settings passed
as MLP_PLAYGROUND_* variables, started once /healthz answers."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m app --port P`` with ``settings`` in its environment; ``url`` is its WebSocket."""

    def __init__(self, root: Path | str | None = None, extra_env: dict[str, str] | None = None,
                 **settings: object):
        """``root``: the checkout whose app to serve (default: this one; bench/load.py's compare phase
        serves an older one beside it); ``extra_env``: more environment variables for it."""
        self.port = free_port()
        self.workers = int(str(settings.get("workers", 1)))
        # every simulated student connects from 127.0.0.1: the per-address cap would stop them at 32
        env = {**os.environ, "MLP_PLAYGROUND_LOG_LEVEL": "warning",
               "MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT": "0"}
        env.update({f"MLP_PLAYGROUND_{k.upper()}": str(v) for k, v in settings.items()})
        env.update(extra_env or {})
        # MLP_BENCH_SERVER_ROOT: serve another checkout's app (a before/after comparison in one run)
        root = root or os.environ.get("MLP_BENCH_SERVER_ROOT", str(ROOT))
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(self.port)], cwd=root,
                                     env=env)
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        for _ in range(400):
            try:
                self.health()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit("the server did not start")

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=10) as r:
            return json.loads(r.read())

    def costs(self, tries: int = 200) -> dict[int, dict]:
        """GET /debug/costs (the server runs with debug_costs=True) of every worker process, by pid: each
        request reaches one process, so ask until each has answered (or ``tries`` requests). Empty if the
        server has no such route (an older checkout)."""
        seen: dict[int, dict] = {}
        for _ in range(tries):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/debug/costs", timeout=10) as r:
                    body = json.loads(r.read())
            except urllib.error.HTTPError:
                return {}
            seen.setdefault(body["pid"], body)
            if len(seen) >= self.workers:
                break
        return seen

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server and every process under it (Linux /proc)."""
        total = 0.0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICKS
        return total

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes (``--workers``), in MB."""
        total = 0.0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (uvicorn's workers sit under a spawn helper)."""
    out = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += [int(child), *_children(int(child))]
    return out
