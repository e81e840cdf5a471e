"""Shared test helpers for the server tests: the one error-shape check and message readers."""

from __future__ import annotations

import json
from typing import Any

from app import protocol as p


def assert_error(message: dict[str, Any], code: str, field: str | None = None, *,
                 mentions: str | None = None):
    """Every error has exactly the keys type, code, message, field; ``field`` names what was wrong."""
    assert set(message) == {"type", "code", "message", "field"}, message
    assert message["type"] == "error"
    assert message["code"] == code, message
    assert message["code"] in p.ERROR_CODES
    assert isinstance(message["message"], str) and message["message"]
    assert "Traceback" not in message["message"] and 'File "' not in message["message"]
    assert message["field"] == field, message
    if mentions is not None:
        assert mentions in message["message"], message


class Reader:
    """Reads a Starlette test WebSocket, splitting JSON messages from binary frames."""

    def __init__(self, ws):
        self.ws = ws

    def send(self, **message: Any) -> None:
        self.ws.send_text(json.dumps(message))

    def next(self) -> dict[str, Any] | bytes:
        m = self.ws.receive()
        if m["type"] == "websocket.close":
            raise AssertionError(f"socket closed with {m.get('code')}")
        if m.get("bytes") is not None:
            return m["bytes"]
        return json.loads(m["text"])

    def until(self, kind: str, limit: int = 200) -> dict[str, Any] | bytes:
        """Skip messages until one of type ``kind`` ("frame" for binary); returns it."""
        for _ in range(limit):
            m = self.next()
            if kind == "frame" and isinstance(m, bytes):
                return m
            if isinstance(m, dict) and m["type"] == kind:
                return m
        raise AssertionError(f"no {kind} message in {limit} messages")

    def hello(self, **fields: Any) -> dict[str, Any]:
        """Send hello; returns the welcome (the dataset, frame and state that follow are consumed)."""
        self.send(type="hello", **fields)
        welcome = self.until("welcome")
        got = set()
        while got != {"dataset", "frame", "state"}:
            m = self.next()
            got.add("frame" if isinstance(m, bytes) else m["type"])
        return welcome
