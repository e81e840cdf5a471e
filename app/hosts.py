"""The Host allowlist: what stops DNS rebinding.

A page of ``http://evil.example:8000`` whose name the attacker re-points at 127.0.0.1 is, to the browser,
same-origin with the server on the user's loopback: its requests carry ``Host: evil.example:8000`` and the
matching ``Origin``, so the WebSocket's origin check (Origin against Host) passes. Only the Host tells the
attack apart, so every request and every WebSocket is checked against the names the server answers to:

* ``MLP_PLAYGROUND_ALLOWED_HOSTS`` unset (the default): a request that reached the server on a loopback
  address must name a loopback host (``localhost``, ``*.localhost``, ``127.x.x.x``, ``[::1]``); one that
  reached it on another interface (``--host 0.0.0.0``, Docker) may name any host, and the server warns at
  start-up that named hosts are not checked there.
* set: the Host must be one of its entries (``play.example.org``, ``*.example.org`` for any subdomain, or
  ``*`` for any host), or a loopback name, on every interface.

An IP address as the Host is always allowed: rebinding needs a name to re-point, and a page of
``http://10.0.0.5:8000`` is that server's own.

The port of the Host is not compared (behind a proxy it is the proxy's). ``/healthz`` is exempt, so that
load balancers and Kubernetes probes, which send the pod's address, need no entry; it reveals only counts.
A refused HTTP request gets 400 naming the setting; a refused WebSocket is closed before it is accepted
(the handshake fails with HTTP 403).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

log = logging.getLogger("mlp_playground.hosts")

EXEMPT_PATHS = ("/healthz",)


def host_name(header: str | None) -> str | None:
    """The host name of a Host header, lower-case, without port or IPv6 brackets (None if malformed)."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        if end < 0 or (header[end + 1:] and not _port(header[end + 1:])):
            return None
        return header[1:end]
    name, sep, port = header.rpartition(":")
    if not sep:
        name = header
    elif not _port(":" + port):
        return None
    if not name or any(not (ch.isalnum() or ch in "-._") for ch in name):
        return None
    return name.rstrip(".")


def _port(text: str) -> bool:
    return text.startswith(":") and text[1:].isdigit() and len(text) <= 6


def is_loopback_name(name: str) -> bool:
    """``localhost``, a subdomain of it (RFC 6761: always loopback), or a loopback IP address."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def is_loopback_address(address: str | None) -> bool:
    """Whether the server side of a connection (the interface it arrived on) is a loopback address."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def matches(name: str, allowed: list[str]) -> bool:
    """Whether host ``name`` is one of ``allowed`` (exact names, ``*.domain`` subdomains, or ``*``)."""
    for entry in allowed:
        if entry == "*" or entry == name:
            return True
        if entry.startswith("*.") and name.endswith(entry[1:]):
            return True
    return False


def host_allowed(header: str | None, server_address: str | None, allowed: list[str]) -> bool:
    """The rule of this module's docstring, for one request."""
    name = host_name(header)
    if name is None:
        return False
    if is_loopback_name(name) or _is_ip(name):
        return True  # no one can re-point an address: a page of http://10.0.0.5 is that server's own
    if allowed:
        return matches(name, allowed)
    return not is_loopback_address(server_address)


def refusal(header: str | None) -> str:
    shown = (header or "")[:100]
    return (f"Invalid Host header {shown!r}: this server does not answer to that name. If it is the name "
            "clients use, add it to MLP_PLAYGROUND_ALLOWED_HOSTS (comma-separated).")


class HostCheck:
    """ASGI middleware refusing requests and WebSockets whose Host is not allowed (see the module doc)."""

    def __init__(self, app: Any, allowed: list[str]):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or scope.get("path") in EXEMPT_PATHS:
            return await self.app(scope, receive, send)
        header = None
        for key, value in scope.get("headers") or []:
            if key == b"host":
                header = value.decode("latin-1")
                break
        server = scope.get("server")
        if host_allowed(header, server[0] if server else None, self.allowed):
            return await self.app(scope, receive, send)
        log.warning("refused a %s request with Host %r", scope["type"], (header or "")[:100])
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "host not allowed"})
            return None
        body = refusal(header).encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return None


def warn_if_unchecked(bind_host: str, allowed: list[str]) -> None:
    """Say at start-up when requests on a non-loopback interface are accepted whatever their Host."""
    if allowed or is_loopback_name(bind_host.strip("[]").lower()):
        return
    log.warning("MLP_PLAYGROUND_ALLOWED_HOSTS is not set and the server listens on %s: requests that arrive "
                "on a non-loopback interface are accepted whatever host name they use (requests on loopback "
                "must name localhost). Set it to the names clients use (e.g. play.example.org) to refuse "
                "the rest.", bind_host)
