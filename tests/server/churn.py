"""Connection churn under tracemalloc, run in a child process started with ``-X tracemalloc`` so that the
traced heap is the whole process's (interpreter, libraries, app), as the abuse test's 5% criterion means.

    python -X tracemalloc=1 -m tests.server.churn CYCLES   -> prints {"start", "end", "session", "left"}
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc

from app import protocol as p
from app.server import create_app
from app.session import Session
from app.settings import Settings

HELLO_CONFIG = {"grid": 20, "thumbnail": 8, "points": 50}


class AsgiSocket:
    """One WebSocket driven straight through the ASGI interface on this event loop: no threads, no network,
    so a thousand cycles stay cheap even under tracemalloc."""

    def __init__(self, app):
        self.app = app
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": "/ws",
                      "raw_path": b"/ws", "root_path": "", "query_string": b"",
                      "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000),
                      "server": ("testserver", 80), "subprotocols": [], "state": {}}

    async def hello_then_leave(self, hello: str) -> None:
        """Connect, send ``hello``, wait for the state that ends the greeting, then disconnect."""
        await self.inbox.put({"type": "websocket.connect"})
        await self.inbox.put({"type": "websocket.receive", "text": hello})

        async def send(message: dict) -> None:
            if message["type"] == "websocket.send" and (message.get("text") or "").startswith(
                    '{"type":"state"'):
                await self.inbox.put({"type": "websocket.disconnect", "code": 1000})

        await self.app(self.scope, self.inbox.get, send)


def session_bytes() -> int:
    """Traced bytes one such session (with its encoded frame) holds."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    held = (s := Session(scene="playground", overrides=HELLO_CONFIG)), p.encode_snapshot(s.snapshot())
    size = tracemalloc.get_traced_memory()[0] - before
    del held, s
    return size


async def churn(cycles: int) -> dict[str, int]:
    hello = json.dumps({"type": "hello", "config": HELLO_CONFIG})
    app = create_app(Settings(grace_period=0.05))
    hub = app.state.hub

    async def settle() -> None:
        for _ in range(500):  # the janitor frees detached sessions once the grace period is over
            if not hub.sessions:
                break
            await asyncio.sleep(0.02)
        gc.collect()

    async with app.router.lifespan_context(app):
        for _ in range(50):  # warm caches (pydantic, numpy, the app's lru_caches) before the baseline
            await AsgiSocket(app).hello_then_leave(hello)
        await settle()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(cycles):
            await AsgiSocket(app).hello_then_leave(hello)
        await settle()
        return {"start": start, "end": tracemalloc.get_traced_memory()[0], "left": len(hub.sessions)}


if __name__ == "__main__":
    if not tracemalloc.is_tracing():
        raise SystemExit("run with python -X tracemalloc=1")
    result = asyncio.run(churn(int(sys.argv[1])))
    print(json.dumps({**result, "session": session_bytes()}))
