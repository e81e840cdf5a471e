"""A client that sends pings and never reads the pongs (issue 11, item 3): the server process grows by
less than 10 MB and drops the client once its unread output passes the bound."""

from __future__ import annotations

import time

from app.wsprotocol import MAX_UNREAD_BYTES

from .live import LiveServer
from .rawws import frame, open_raw_socket, rss_kb

PING_PAYLOAD = b"p" * 125  # the largest control frame: the most pong per ping
SENT_LIMIT = 48 * 1024 * 1024  # what the flooder sends at most; today the server buffers nearly all of it


def masked_ping() -> bytes:
    return frame(0x9, PING_PAYLOAD)


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
