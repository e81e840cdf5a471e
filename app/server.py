"""The FastAPI application: the page, the REST routes, the WebSocket endpoint and the security headers.

``create_app(settings)`` builds one app with its own Hub. The WebSocket endpoint owns the socket-level
rules (origin before accept, message size and kind, rate limit, the hello handshake); the hub owns what
the messages do. Clients never see a stack trace: unexpected failures are logged and answered with an
``internal`` error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import signal
import socket
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import plotly  # type: ignore[import-untyped]  # no type information shipped; only its path is used
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.websockets import WebSocketDisconnect

from app import __version__, costs, presenting, scenes, uploads, viewers
from app import protocol as p
from app.config import json_schema, limits
from app.connection import Connection, ServerFull, next_message
from app.hosts import HostCheck, warn_if_unchecked
from app.hub import Hub, Live
from app.looplag import LoopLag
from app.settings import Settings

log = logging.getLogger("mlp_playground.server")

PACKAGE_DIR = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The folder of the page's `name` files ("static" or "templates"). An installed wheel carries them
    inside the package (pyproject maps them to app/static, app/templates); a checkout, `python3 -m app` from
    it and an editable install keep them at the repository's top level, beside the package."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


STATIC_DIR = asset_dir("static")
TEMPLATES_DIR = asset_dir("templates")
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; with no argument the settings come from the environment."""
    settings = settings or Settings()
    hub = Hub(settings)
    lag = LoopLag()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        warn_if_unchecked(settings.host, settings.allowed_hosts)
        hub.start()
        lag.start()
        if settings.debug_costs:
            costs.start()  # on the event loop: its thread is the one report() calls "event loop"
        await hub.rooms.start()  # connects to Redis when redis_url is set
        restore = _close_sockets_on_signals(hub)
        try:
            yield
        finally:
            restore()
            await lag.stop()
            await hub.shutdown(p.CLOSE_GOING_AWAY)
            if settings.debug_costs:
                costs.stop()

    app = FastAPI(title="MLP Playground", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.hub = hub
    app.state.settings = settings
    node = settings.node_name or socket.gethostname()  # which machine answered, behind a load balancer
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        if not (TEMPLATES_DIR / "index.html").is_file():
            return PlainTextResponse("the page is not built yet (templates/index.html)", status_code=503)
        return templates.TemplateResponse(request, "index.html", {
            "protocol": p.PROTOCOL_VERSION, "version": __version__, "default_scene": scenes.DEFAULT_SCENE,
            # read by static/js/embed.js: who may drive the player by postMessage (a meta tag: CSP forbids
            # inline scripts)
            "embed_origins": " ".join(settings.embed_origins)})

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "protocol": p.PROTOCOL_VERSION,
                "sessions": len(hub.sessions), "max_sessions": settings.max_sessions, **hub.frame_stats(),
                "rooms": len(hub.rooms.hosted), "viewers": hub.rooms.viewers, "loop_lag_ms": lag.summary(),
                "node": node}

    @app.get("/api/scenes")
    async def list_scenes() -> JSONResponse:
        return JSONResponse({"default": scenes.DEFAULT_SCENE, "scenes": scenes.list_scenes(),
                             "tour": list(scenes.TOUR)})

    @app.get("/api/datasets")
    async def datasets() -> JSONResponse:
        return JSONResponse({"datasets": dataset_previews()})

    @app.get("/api/schema")
    async def schema() -> JSONResponse:
        return JSONResponse(json_schema())

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> FileResponse:
        # taken from the installed plotly package, so the page works offline and never hits a CDN
        return FileResponse(PLOTLY_JS, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.post("/api/import")
    async def import_file(request: Request, kind: str | None = None) -> JSONResponse:
        # a file for the session of the token the request names (app/uploads.py); the socket's Origin
        # rule applies, so another site's page cannot push a file into a session
        allowed = origin_allowed(request.headers.get("origin"), request.headers.get("host"),
                                 settings.allowed_origins)
        return await uploads.receive(request, hub, kind, allowed)

    if settings.debug_costs:  # off by default: the process's internals, for bench/load.py
        @app.get("/debug/costs")
        async def debug_costs() -> dict[str, Any]:
            return {**costs.report(), **hub.frame_stats(), "sessions": len(hub.sessions)}

    app.include_router(presenting.router)  # GET /qr.svg: the QR code of a room's viewer link
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.websocket("/ws")
    async def ws_endpoint(ws: WebSocket) -> None:
        if not origin_allowed(ws.headers.get("origin"), ws.headers.get("host"), settings.allowed_origins):
            await ws.close(code=p.CLOSE_POLICY)  # before accept: the handshake is refused with HTTP 403
            return
        await ws.accept()
        await _serve_socket(ws, hub, settings)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request %s failed", request.url.path)
        return JSONResponse(p.error(p.E_INTERNAL, "internal server error"), status_code=500)

    app.add_middleware(HostCheck, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)  # outermost: 400s too
    return app


async def _serve_socket(ws: WebSocket, hub: Hub, settings: Settings) -> None:
    conn = Connection(ws, ws.client.host if ws.client else None)
    conn.start()
    live: Live | None = None
    try:
        msg = await _hello(ws, conn, settings.hello_timeout)
        if msg is None:
            return
        if not isinstance(msg, p.Hello):
            conn.send(p.error(p.E_HELLO_EXPECTED, "the first message must be a hello", "type"))
            await conn.flush_and_close(p.CLOSE_HELLO_EXPECTED, "hello expected")
            return
        conn.params = msg.params  # the form of its session's frames, a fork's too (docs/protocol.md)
        conn.same = msg.same  # whether its frames may name arrays it already has instead of resending them
        try:
            if msg.watch is not None:  # a viewer: read-only until it forks (then ``live`` is its session)
                live = await viewers.watch(hub.rooms, conn, msg, functools.partial(_receive, ws, conn))
                if live is None:
                    return
            else:
                live = await hub.hello(conn, msg)
        except ServerFull as exc:
            conn.send(p.error(p.E_SERVER_FULL, str(exc)))
            await conn.flush_and_close(p.CLOSE_TRY_AGAIN_LATER, "server full")
            return
        receive = functools.partial(_receive, ws, conn)
        while (msg := await next_message(conn, receive, lambda: hub.allow(live),
                                         lambda: hub.flooding(live))) is not None:
            await hub.handle(live, msg)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket failed")
        with contextlib.suppress(Exception):
            conn.send(p.error(p.E_INTERNAL, "internal server error"))
            await conn.flush_and_close(1011, "internal error")
    finally:
        if live is not None:
            hub.detach(live, conn)
        await conn.close(1000)
        hub.retire(conn)


async def _hello(ws: WebSocket, conn: Connection, timeout: float) -> Any:
    """The first well-formed message (None once the socket is closed). A message that cannot be parsed
    (bad JSON, an integer past Python's 4300 digits, ...) is answered with its error and the client may
    try again on the same socket, up to ``HELLO_TRIES`` times within ``timeout`` seconds of the first."""
    deadline = asyncio.get_running_loop().time() + timeout
    for _ in range(HELLO_TRIES):
        left = max(0.0, deadline - asyncio.get_running_loop().time())
        text = await _receive(ws, conn, timeout=left, waited=timeout)
        if text is None:
            return None
        try:
            return p.parse_client_message(text)
        except p.ProtocolError as exc:
            conn.send(exc.to_message())
    return "unparsable"  # not a hello: the caller says so and closes with 4001


async def _receive(ws: WebSocket, conn: Connection, timeout: float | None = None,
                   waited: float | None = None) -> str | None:
    """The next text message, or None once the socket is (or has been) closed for a protocol violation."""
    try:
        message = await asyncio.wait_for(ws.receive(), timeout)
    except TimeoutError:
        conn.send(p.error(p.E_HELLO_EXPECTED, f"no hello within {waited or timeout:g} s", "type"))
        await conn.flush_and_close(p.CLOSE_HELLO_EXPECTED, "hello expected")
        return None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("bytes") is not None:
        await conn.close(p.CLOSE_UNSUPPORTED_DATA, "binary messages are not accepted")
        return None
    text = message.get("text") or ""
    if len(text) > p.MAX_MESSAGE_BYTES or len(text.encode()) > p.MAX_MESSAGE_BYTES:
        await conn.close(p.CLOSE_TOO_BIG, f"message over {p.MAX_MESSAGE_BYTES} bytes")
        return None
    return text


PREVIEW_POINTS = 200
HELLO_TRIES = 5  # messages a new socket may send that cannot be parsed before its hello


@functools.lru_cache(maxsize=1)
def dataset_previews() -> dict[str, dict[str, Any]]:
    """A small sample of every offered dataset (seed 0, no noise) for the page's dataset tiles."""
    from app.engine.datasets import DATASETS, make_dataset

    previews = {}
    for name, info in limits()["dataset_info"].items():
        if name == "user":  # made of the user's own points: nothing to preview
            continue
        n = PREVIEW_POINTS if "n" in DATASETS[name].takes else None
        ds = make_dataset(name, np.random.default_rng(0), n=n, classes=info["classes"] or None)
        previews[name] = {"points": np.round(np.column_stack([ds.X, ds.y]), 3).tolist(), "box": list(ds.box),
                          "classes": ds.classes, "regression": ds.regression}
    return previews


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Same origin as the request's Host, or one of ``allowed``. No Origin header at all (a script or a
    command-line client, never a browser) is allowed: the check exists to stop other sites' pages.

    Same origin means the same host name and port, a port left out being the default of the page's scheme.
    The request's own scheme is not compared: behind a proxy that terminates TLS the server sees ``ws``
    for a page served over ``https``.
    """
    if origin is None:
        return True
    origin = origin.strip().rstrip("/")
    if origin in allowed:
        return True
    try:
        page = urlsplit(origin)
        page_port = page.port
        target = urlsplit(f"//{host}") if host else None
        target_port = target.port if target else None
    except ValueError:
        return False
    if page.scheme not in ("http", "https") or not page.hostname or page.path or page.query or target is None:
        return False
    default = 443 if page.scheme == "https" else 80
    return (page.hostname == target.hostname and target.hostname is not None
            and (page_port or default) == (target_port or default))


class SecurityHeaders:
    """ASGI middleware adding the CSP and friends to every HTTP response.

    ``connect-src`` names the page's own ``ws://`` and ``wss://`` origin besides ``'self'``: browsers that
    predate CSP 3 do not count a WebSocket to the same host as ``'self'``.
    """

    def __init__(self, app: Any, frame_ancestors: str):
        self.app = app
        self.frame_ancestors = frame_ancestors
        self.fixed = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]

    def csp(self, host: str | None) -> bytes:
        sockets = f" ws://{host} wss://{host}" if host and _SAFE_HOST.fullmatch(host) else ""
        return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                f"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'{sockets}; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; "
                f"frame-ancestors {self.frame_ancestors}").encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1") or None
        headers = [(b"content-security-policy", self.csp(host)), *self.fixed]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


_SAFE_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _close_sockets_on_signals(hub: Hub):
    """On SIGTERM/SIGINT close every socket with 1001 first, then hand the signal to uvicorn's handler
    (which would otherwise close them with 1012). Returns a function restoring the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    async def close_then_exit(sig: int, frame: Any) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(hub.shutdown(p.CLOSE_GOING_AWAY), timeout=5.0)
        handler = previous[signal.Signals(sig)]
        if callable(handler):
            handler(sig, frame)
        else:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    def on_signal(sig: int, frame: Any) -> None:
        loop.call_soon_threadsafe(lambda: loop.create_task(close_then_exit(sig, frame)))

    for sig in previous:
        signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in previous.items():
            with contextlib.suppress(Exception):
                signal.signal(sig, handler)

    return restore
