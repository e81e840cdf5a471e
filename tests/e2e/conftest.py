"""Fixtures of the browser tests: a real server on a free loopback port, behind a TCP proxy that can drop
every connection (a server-side drop as the page sees it), and headless Debian Chromium driven by Playwright.

Screenshots of each run go to ``artifacts/e2e/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import ARTIFACTS, ROOT, WAIT_MS, wait_frame

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

playwright_api = pytest.importorskip("playwright.sync_api")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DroppingProxy:
    """Forwards TCP from its own loopback port to the server; ``drop_all()`` cuts every open connection
    without a WebSocket close frame, exactly what a page sees when the server side goes away."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            with self.lock:
                self.pairs.add(pair)
            threading.Thread(target=self._pump, args=(client, upstream, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pair) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(pair)

    def _close(self, pair) -> None:
        with self.lock:
            self.pairs.discard(pair)
        for s in pair:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def drop_all(self) -> int:
        with self.lock:
            pairs = list(self.pairs)
        for pair in pairs:
            self._close(pair)
        return len(pairs)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.drop_all()


@contextlib.contextmanager
def app_server(port: int, log_name: str, **settings: str):
    """``python3 -m app`` on ``port`` with ``MLP_PLAYGROUND_*`` settings, its output in
    artifacts/e2e/<log_name>; yields once /healthz answers, stops it on exit."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MLP_PLAYGROUND_LOG_LEVEL": "warning",
           **{f"MLP_PLAYGROUND_{k.upper()}": v for k, v in settings.items()}}
    with open(ARTIFACTS / log_name, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port)], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, env=env)
        try:
            for _ in range(300):
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {proc.returncode}; "
                                       f"see artifacts/e2e/{log_name}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if json.load(r).get("status") == "ok":
                            break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the server did not answer /healthz")
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


class RestartableServer:
    """A server of its own on a fixed port that a test stops and starts again (a restart as the page sees
    it: every session is gone, the address is the same)."""

    def __init__(self, log_name: str):
        self.port = free_port()
        self.log_name = log_name
        self.starts = 0
        self._running: contextlib.ExitStack | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        stack = contextlib.ExitStack()
        stack.enter_context(app_server(self.port, f"{self.log_name}.{self.starts}.log"))
        self._running = stack

    def stop(self) -> None:
        if self._running is not None:
            self._running.close()
            self._running = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def restartable_server():
    """A running RestartableServer (stopped after the test)."""
    s = RestartableServer("restartable")
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def server():
    """``python3 -m app`` on a free port; yields its port once /healthz answers."""
    port = free_port()
    # every test opens its own sessions and a closed page's session lives on for the grace period: leave
    # room for all of them rather than tune the suite to the default cap
    with app_server(port, "server.log", max_sessions="1000"):
        yield port


@pytest.fixture(scope="session")
def proxy(server):
    p = DroppingProxy(server)
    yield p
    p.close()


@pytest.fixture(scope="session")
def base_url(proxy) -> str:
    return f"http://127.0.0.1:{proxy.port}"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def page_factory(browser, base: str):
    """Factory of pages on the server at ``base``: each a fresh context (own sessionStorage), waited for until
    its first frame; page errors are collected and fail the test when the factory closes."""
    contexts = []
    errors: list[str] = []

    def make(query: str = "", width: int = 1280, height: int = 720):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/{query}")
        wait_frame(page)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def new_page(browser, base_url):
    """Factory: a fresh page on the shared test server (see ``page_factory``)."""
    with page_factory(browser, base_url) as make:
        yield make


@pytest.fixture
def page(new_page):
    return new_page()
