"""SIGTERM ends everything (issue 11, item 4): a playing client that never reads cannot keep the server
alive, and no process of ours (the region-count worker, multiprocessing's resource tracker) outlives it."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from .live import LiveServer
from .rawws import alive, descendants, open_raw_socket, text

# ReLU units enough that the first region count goes to the worker process (app/regioncount.py)
BIG_RELU = {"hidden": [24, 24, 24], "activation": "relu", "grid": 120, "thumbnail": 24}
BIG_FRAMES = {"hidden": [8, 8], "grid": 200, "thumbnail": 32}
EXIT_S = 10.0  # the requirement for the process; its children get the same again to be reaped


def test_sigterm_ends_the_server_and_every_child_despite_a_playing_client_that_never_reads():
    server = LiveServer()
    try:
        # one session keeps the region-count worker busy, another streams big frames into a socket that
        # is never read
        counting = open_raw_socket(server.port)
        counting.sendall(text({"type": "hello", "config": BIG_RELU}) + text({"type": "view", "regions": True})
                         + text({"type": "play"}))
        stalled = open_raw_socket(server.port)
        stalled.sendall(text({"type": "hello", "config": BIG_FRAMES}) + text({"type": "play"}))
        children: set[int] = set()
        for _ in range(600):  # until the worker runs (with its resource tracker) and the socket is full
            children = descendants(server.proc.pid)
            if len(children) >= 2 and server.health()["frames_dropped"] > 3:
                break
            time.sleep(0.1)
        assert len(children) >= 2, "the region-count worker never started"
        assert server.health()["frames_dropped"] > 3, "the never-read socket never filled"
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=EXIT_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {EXIT_S:g} s after SIGTERM") from None
        deadline = time.monotonic() + EXIT_S
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:120]
                for pid in children if alive(pid)}
        assert not left, f"outlived the server: {left}"
        counting.close()
        stalled.close()
    finally:
        server.stop()
        for pid in descendants(server.proc.pid):  # whatever a failed run left behind, not beyond the test
            subprocess.run(["kill", "-9", str(pid)], check=False)
