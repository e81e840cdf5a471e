"""uvicorn's WebSocket protocol (websockets-sansio) with a bound on what a client leaves unread.

uvicorn answers every ping with a pong written straight to the transport, with no backpressure: a client
that sends pings and never reads makes the server buffer the pongs without end (about 28 MB/s on
loopback). Everything the application sends waits for the transport to drain below its high-water mark
(64 KiB) first, so only the pongs (and the one message in flight) can pile up; past ``MAX_UNREAD_BYTES``
of unread output the client is dropped (no closing handshake: it would never be read either).

A socket being closed (the application is done with it, or the server shuts down) waits for its output to
drain before it goes; a peer that does not read would keep it, and on SIGTERM the process, for ever. Such a
socket is cut ``CLOSE_GRACE_S`` after the close began if output is still waiting.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = logging.getLogger("mlp_playground.server")

# Far above the high-water mark plus the largest message the server sends (a frame of the biggest grid, an
# export), far below what would matter to the process.
MAX_UNREAD_BYTES = 4 * 1024 * 1024
CLOSE_GRACE_S = 2.0


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    """``WebSocketsSansIOProtocol`` that drops a client once its unread output passes the bound."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_UNREAD_BYTES:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.warning("%s left over %d bytes unread (pings it never reads the answers to?): dropped",
                        client, MAX_UNREAD_BYTES)
            transport.abort()

    def shutdown(self) -> None:
        """Server shutdown: send the close as uvicorn does, then cut the socket if it cannot drain."""
        super().shutdown()
        self._cut_if_stuck_later()

    def on_task_complete(self, task) -> None:
        """The application finished with this socket (uvicorn closes it now, once its output drains)."""
        super().on_task_complete(task)
        self._cut_if_stuck_later()

    def _cut_if_stuck_later(self) -> None:
        self.loop.call_later(CLOSE_GRACE_S, self._cut_if_stuck)

    def _cut_if_stuck(self) -> None:
        transport = self.transport
        if transport is None or self.disconnected or not transport.is_closing():
            return
        if transport.get_write_buffer_size() > 0:
            transport.abort()
