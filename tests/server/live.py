"""A real server process on a free loopback port, for the tests that need uvicorn and real sockets."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``python -m app`` as a subprocess; ``stop()`` terminates it if a test has not already."""

    def __init__(self, **settings: object):
        self.port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "MLP_PLAYGROUND_LOG_LEVEL": "warning"}
        env.update({f"MLP_PLAYGROUND_{k.upper()}": str(v) for k, v in settings.items()})
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(self.port)], cwd=ROOT,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self.origin = f"http://127.0.0.1:{self.port}"
        for _ in range(600):  # wait for start-up by polling, not by a time limit on the server
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read()}")
            try:
                self.health()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not answer /healthz")

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
            return json.loads(r.read())

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.stdout.read()


def run(coro):
    """Run one client coroutine to completion (each test drives its own event loop)."""
    return asyncio.run(coro)


async def recv_json(ws, kind: str) -> dict:
    """The next JSON message of type ``kind``, skipping frames and other messages."""
    while True:
        m = await ws.recv()
        if isinstance(m, str) and json.loads(m)["type"] == kind:
            return json.loads(m)
