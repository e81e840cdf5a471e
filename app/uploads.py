"""``POST /api/import?kind=csv|json``: a file from the page applied to the session its socket holds.

The request names its session by the resume token (header ``X-Session-Token``) and carries the raw file
as its body. The checks run from the cheapest: the page's origin, the kind, the token, the session's rate
limit, then the body, read only up to the kind's limit. The import itself runs in the pool on the
session's turn (``Hub.call``: never beside its training), after a 'step n' in progress has ended, as a
control message would; the session's socket then gets what a ``configure`` that rebuilt sends. A refused
file changes nothing. Answers: docs/protocol.md, "Importing a file".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse

from app import delivery, importing, runner, slicing
from app import protocol as p
from app.session import Session

if TYPE_CHECKING:  # the hub is handed in by the server; naming its class here needs no import at run time
    from app.hub import Hub, Live

log = logging.getLogger("mlp_playground.uploads")

LIMITS = {"csv": importing.MAX_CSV_BYTES, "json": importing.MAX_JSON_BYTES}
TOKEN_HEADER = "x-session-token"
# a form's encodings wrap the file in their own syntax, which would be read as the file's first rows
FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")


class Refused(Exception):
    """An import answered with an error: HTTP ``status`` and the body ``p.import_error`` builds."""

    def __init__(self, status: int, code: str, message: str, field: str | None, row: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.status = status
        self.body = p.import_error(code, message, field, row, column)


async def receive(request: Request, hub: Hub, kind: str | None, origin_ok: bool) -> JSONResponse:
    """Answer one import request (``origin_ok``: the server's Origin check of the request)."""
    try:
        if not origin_ok:
            raise Refused(403, p.E_CROSS_ORIGIN, "a page of another site may not import into a session",
                          "origin")
        limit = LIMITS.get(kind or "")
        if kind is None or limit is None:
            raise Refused(400, p.E_INVALID_VALUE, f"kind must be csv or json, got {kind!r}", "kind")
        if request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
            raise Refused(415, p.E_INVALID_VALUE, "send the file itself as the request body, not a form "
                                                  "(in a page: fetch(url, {method: 'POST', body: file}))",
                          "content")
        live = hub.by_token(request.headers.get(TOKEN_HEADER))
        if live is None:
            raise Refused(404, p.E_UNKNOWN_SESSION, "no live session holds that token (header "
                                                    "X-Session-Token): reconnect the page, then import again",
                          "token")
        if not hub.allow(live):
            s = hub.settings
            raise Refused(429, p.E_RATE_LIMITED, f"too many requests for this session: at most "
                                                 f"{s.rate_limit:g} per second (bursts of {s.rate_burst})",
                          None)
        body = await read_body(request, kind, limit)
        return JSONResponse(await apply(hub, live, kind, body))
    except Refused as exc:
        return JSONResponse(exc.body, status_code=exc.status)


async def read_body(request: Request, kind: str, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to pass ``limit``: by its Content-Length before
    reading anything, else while it streams in, so an oversized body is never held whole."""
    too_large = Refused(413, p.E_TOO_LARGE, f"the file is over the limit of {limit:,} bytes "
                                            f"({limit >> 20} MiB) for a {kind.upper()} import", "content")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def apply(hub: Hub, live: Live, kind: str, body: bytes) -> dict:
    """Import ``body`` into the session and tell its socket; the answer's body. The file is read and
    checked in the pool, in the session's share but beside its training (it needs no session); only the
    change itself waits for the session's turn."""
    live.touched = hub.clock()
    use: Callable[[Session, Any], importing.Imported] = (importing.apply_csv if kind == "csv"
                                                         else importing.apply_json)
    try:
        if kind == "csv":
            checked: Any = await hub.pool.run(live.share, importing.read_csv, body)
        else:  # in slices, by the session's share; no lock: the check touches no live session
            work = importing.check_json_steps(Session, body)
            _, checked, _ = await slicing.drive(hub.pool, live.share, work, hub.settings.slice_ms / 1000.0)
        await runner.stop_stepping(live)  # a 'step n' under way ends first, as before any control message
        result = await hub.call(live, use, live.session, checked)
    except importing.ImportFault as exc:
        code = p.E_INVALID_CONFIG if exc.config else p.E_INVALID_FILE
        raise Refused(422, code, str(exc), exc.field, exc.row, exc.column) from None
    except Exception:
        if hub.closing:  # the pool was shut down under the request
            raise Refused(503, p.E_INTERNAL, "the server is shutting down", None) from None
        log.exception("session %s failed to import a %s file", live.id, kind)
        raise Refused(500, p.E_INTERNAL, "the server failed while importing the file (the details are in "
                                         "its log)", None) from None
    await delivery.send_config(hub, live, rebuilt=True)  # what a configure that rebuilt sends
    return p.imported(result.kind, result.rows, result.regression, result.classes, result.notes, result.step)
