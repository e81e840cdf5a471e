"""Presenting to a room: the QR code of a room's viewer link, as SVG (GET /qr.svg?text=...).

The page knows the address the room reaches it by (``location.origin``, which behind a proxy differs
from what the server sees), so it sends the whole link; the server draws only viewer links of its own
shape, ``http(s)://host[:port]/?watch=CODE``, so the route is no general-purpose QR service. The code is
drawn with segno (pure Python), error correction level M: it still scans with a projector's glare or a
blurry phone camera, and a viewer link stays a small version-3 or -4 symbol, coarse enough to scan from the
back of a lecture hall.
"""

from __future__ import annotations

import functools
import io
import re
from urllib.parse import parse_qsl, urlsplit

import segno
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from app import protocol as p
from app.rooms import CODE_ALPHABET, CODE_LENGTH

MAX_LINK = 300  # characters: a host name of 253 plus the scheme, a port and ?watch=CODE
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")

router = APIRouter()


def viewer_link_problem(text: str | None) -> str | None:
    """Why ``text`` is not a viewer link this server draws (a message naming the parameter), or None."""
    if not text:
        return "text: the viewer link to encode is missing (GET /qr.svg?text=http://host/?watch=CODE)"
    if len(text) > MAX_LINK:
        return f"text: {len(text)} characters; a viewer link has at most {MAX_LINK}"
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "text: not a valid link"
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return "text: a viewer link starts with http:// or https:// and a host name"
    if parts.path not in ("", "/") or parts.fragment or parts.username or parts.password:
        return "text: a viewer link is the page's root address with ?watch=CODE and nothing else"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if len(query) != 1 or query[0][0] != "watch" or not _CODE.fullmatch(query[0][1]):
        return (f"text: the query must be exactly watch=CODE, a room code of {CODE_LENGTH} characters "
                f"from {CODE_ALPHABET}")
    return None


@functools.lru_cache(maxsize=64)  # a room's link is asked for again on every dialog open and reconnect
def qr_svg(text: str) -> bytes:
    """The QR code of ``text`` as a scalable SVG (a viewBox, no fixed size; 4 modules of white border)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", border=4, omitsize=True, dark="#000", light="#fff", xmldecl=False,
        title="QR code of the viewer link")
    return out.getvalue()


@router.get("/qr.svg")
def qr(text: str | None = None) -> Response:
    # a plain function: FastAPI runs it in its thread pool, so drawing (about 10 ms) never holds the loop
    problem = viewer_link_problem(text)
    if problem is not None:
        return JSONResponse(p.error(p.E_INVALID_VALUE, problem, "text"), status_code=400)
    # the same link always draws the same picture
    return Response(qr_svg(text), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})
