"""Fixtures shared by the server tests."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .helpers import Reader
from .live import free_port


@pytest.fixture(scope="module")
def redis_url():
    """A redis-server of the test module's own, on a free port (skipped where none is installed)."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(server):
        pytest.skip("redis-server is not installed (scripts/test installs it from Debian)")
    redis = pytest.importorskip("redis")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None:
                raise RuntimeError("redis-server exited") from None
            subprocess.run(["sleep", "0.02"], check=True)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def ws(client):
    """A socket greeted on the test module's own ``client`` (a TestClient fixture it defines), as a
    Reader with its ``welcome``."""
    with client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.welcome = r.hello()
        yield r
