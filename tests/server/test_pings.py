"""A client that sends pings and never reads the pongs (issue 11, item 3): the server process grows by
less than 10 MB and drops the client once its unread output passes the bound."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time

from app.wsprotocol import MAX_UNREAD_BYTES

from .live import LiveServer

PING_PAYLOAD = b"p" * 125  # the largest control frame: the most pong per ping
SENT_LIMIT = 48 * 1024 * 1024  # what the flooder sends at most; today the server buffers nearly all of it
GUARD_S = 120.0  # turns a hang into a failure; nothing here measures speed


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def masked_ping() -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(PING_PAYLOAD))
    return struct.pack("!BB", 0x89, 0x80 | len(PING_PAYLOAD)) + mask + body


def open_raw_socket(port: int) -> socket.socket:
    """A WebSocket opened by hand, with a tiny receive window, that will never read again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(GUARD_S)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                 .encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)  # byte by byte: leave whatever follows the handshake unread
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def test_a_client_flooding_pings_it_never_reads_is_dropped_and_the_server_grows_under_10_mb():
    server = LiveServer()
    try:
        sock = open_raw_socket(server.port)
        before = rss_kb(server.proc.pid)
        chunk = masked_ping() * 8000  # about 1 MB of pings per send
        sent, dropped = 0, False
        try:
            while sent < SENT_LIMIT:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:  # reset or broken pipe: the server dropped us
            dropped = True
        time.sleep(0.5)  # let the server take in what the kernel still held
        grown_mb = (rss_kb(server.proc.pid) - before) / 1024
        sock.close()
        assert grown_mb < 10, f"grew {grown_mb:.1f} MB while {sent / 2**20:.0f} MB of pings came in"
        assert dropped, f"{sent / 2**20:.0f} MB of pings sent and the server still holds the connection"
        assert sent > MAX_UNREAD_BYTES  # the client was dropped for its unread pongs, not at once
        assert server.health()["status"] == "ok"
    finally:
        server.stop()
