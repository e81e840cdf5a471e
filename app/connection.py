"""One WebSocket as the server sees it: the outgoing queue with its one frame slot, the message rate
limits, the admission refusal, and reading the next well-formed message.

Shared by the hub (a session's socket), the rooms (a viewer's socket, a room's Redis outlet) and the server
(the endpoint); it imports nothing of theirs, so each of them can import it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from app import costs
from app import protocol as p

MAX_CONTROL_BACKLOG = 256  # JSON messages waiting for a client that does not read: past it, disconnect
CLOSE_WAIT_S = 2.0  # longest wait for a closing socket's last messages and close frame to go out
# Dropping a message still costs the event loop its receipt: a client dropping more than this many times
# its rate (plus a burst) within a second floods rather than clicks fast, and is disconnected with 4003.
FLOOD_FACTOR = 10


class Connection:
    """One WebSocket. ``ws`` needs ``send_text``, ``send_bytes`` and ``close(code, reason)`` (Starlette's).

    Messages leave in the order they were queued. A frame waits in the queue as a marker for the one
    frame slot: offering a frame while one is still waiting replaces it in place (latest frame wins), so
    at most one frame is ever held for a client that does not read.
    """

    def __init__(self, ws: Any, address: str | None = None):
        self.ws = ws
        self.address = address  # the client's IP (behind a trusted proxy: uvicorn's proxy headers)
        self.session_id: str | None = None  # the session it was last attached to
        self.params = "json"  # how its hello asked for the frames' parameters (hello.params)
        self.same = False  # hello.same: frames leave out the arrays of the last frame it was sent
        self._last_frame: bytes | None = None  # that frame (whole), while ``same``
        self._queue: deque[str | None] = deque()  # None marks the position of the pending frame
        self._frame: bytes | None = None
        self._wake = asyncio.Event()
        self._sender: asyncio.Task | None = None
        self.closed = False
        self.frames_sent = 0
        self.frames_dropped = 0
        # a presenter's connection hands what it is given to its room too (app/rooms.py)
        self.tap: Callable[[dict[str, Any] | bytes], None] | None = None

    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_loop())

    def send(self, message: dict[str, Any]) -> None:
        """Queue a JSON message."""
        if self.closed:
            return
        if self.tap is not None:
            self.tap(message)
        self.send_text(p.dumps(message))

    def send_dumped(self, message: dict[str, Any], text: str) -> None:
        """Queue ``message`` already dumped to ``text`` off the loop (the room's tap gets the message)."""
        if self.closed:
            return
        if self.tap is not None:
            self.tap(message)
        self.send_text(text)

    def send_text(self, text: str) -> None:
        """Queue JSON text already dumped (a room dumps once for all its viewers)."""
        if self.closed:
            return
        if len(self._queue) >= MAX_CONTROL_BACKLOG:
            # dropped now, not when the close completes: the peer may never read far enough to get it
            self._queue.clear()
            self._frame = None
            background(self.close(p.CLOSE_POLICY, "client does not read its messages"))
            return
        self._queue.append(text)
        self._wake.set()

    def offer_frame(self, frame: bytes) -> bool:
        """Make ``frame`` the next frame to send; returns True if it replaced an unsent one (client slow)."""
        if self.closed:
            return False
        if self.tap is not None:
            self.tap(frame)
        dropped = self._frame is not None
        if dropped:
            self.frames_dropped += 1
        else:
            self._queue.append(None)
        self._frame = frame
        self._wake.set()
        return dropped

    async def _send_loop(self) -> None:
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    item = self._queue.popleft()
                    if item is None:
                        frame, self._frame = self._frame, None
                        assert frame is not None  # the queue's marker always has its frame
                        # compared with what this socket itself was sent: a frame that a newer one
                        # replaced before it left, or another socket's, is never taken for the client's
                        sent = p.without_repeats(frame, self._last_frame) if self.same else frame
                        await costs.sending(self.ws.send_bytes(sent))  # its CPU counted if on
                        self.frames_sent += 1
                        if self.same:
                            self._last_frame = frame
                    else:
                        await self.ws.send_text(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-send; the receive loop notices and cleans up
            self.closed = True

    async def close(self, code: int, reason: str = "") -> None:
        """Close with ``code``, waiting at most ``CLOSE_WAIT_S`` for the close frame to go out: a peer that
        does not read would hold the close (and everything queued) for ever. What is still queued is
        dropped at once; the socket layer cuts a peer that never takes the close frame
        (app/wsprotocol.py)."""
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self._frame = None
        if self._sender is not None and self._sender is not asyncio.current_task():
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, reason=reason), CLOSE_WAIT_S)

    async def flush_and_close(self, code: int, reason: str = "") -> None:
        """Send what is queued (e.g. an error saying why), then close; both within ``CLOSE_WAIT_S`` each."""
        if self._sender is not None and self._sender is not asyncio.current_task():
            self._sender.cancel()

        async def flush() -> None:
            while self._queue:
                item = self._queue.popleft()
                if item is not None:
                    await self.ws.send_text(item)

        with contextlib.suppress(Exception):
            await asyncio.wait_for(flush(), CLOSE_WAIT_S)
        await self.close(code, reason)


class TokenBucket:
    """Rate limit for one client's messages: ``rate`` per second on average, ``burst`` at once.

    ``flooding()`` is True once more than ``FLOOD_FACTOR * rate + burst`` messages were dropped within a
    second; ``warn()`` is True at most once a second (when to tell the client some were dropped).
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]):
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.level, self.at, self.warned = float(burst), clock(), -1e9
        self.dropped, self.dropped_since = 0, clock()

    def allow(self) -> bool:
        now = self.clock()
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level >= 1.0:
            self.level -= 1.0
            return True
        if now - self.dropped_since >= 1.0:
            self.dropped, self.dropped_since = 0, now
        self.dropped += 1
        return False

    def flooding(self) -> bool:
        return self.dropped > FLOOD_FACTOR * self.rate + self.burst

    def warn(self) -> bool:
        now = self.clock()
        if now - self.warned >= 1.0:
            self.warned = now
            return True
        return False


class AddressBuckets:
    """One TokenBucket per client address (room-code guesses), forgetting addresses whose bucket is full
    again, so that the table stays as small as the set of addresses guessing right now."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.buckets: dict[str | None, TokenBucket] = {}

    def _bucket(self, address: str | None) -> TokenBucket:
        bucket = self.buckets.get(address)
        if bucket is None:
            bucket = self.buckets[address] = TokenBucket(self.rate, self.burst, self.clock)
        return bucket

    def has_token(self, address: str | None) -> bool:
        bucket = self.buckets.get(address)
        if bucket is None:
            return True
        bucket.level = min(bucket.burst, bucket.level + (self.clock() - bucket.at) * bucket.rate)
        bucket.at = self.clock()
        return bucket.level >= 1.0

    def take(self, address: str | None) -> None:
        self._bucket(address).allow()

    def prune(self) -> None:
        now = self.clock()
        for address, bucket in list(self.buckets.items()):
            if bucket.level + (now - bucket.at) * bucket.rate >= bucket.burst:
                del self.buckets[address]


class ServerFull(Exception):
    """No place for another session; ``str(exc)`` says why, for the client. The hub raises it when it
    admits a connection's session; the endpoint and a room's fork answer it on that connection."""


async def next_message(conn: Connection, receive: Callable[[], Awaitable[str | None]],
                       admit: Callable[[], bool], flooding: Callable[[], bool]) -> Any:
    """The next well-formed client message of ``conn``, or None once the socket is gone.

    ``admit()`` applies the rate limit to each arriving text (False: dropped); once ``flooding()`` says the
    client keeps sending far beyond it, the client is told and disconnected with 4003. A malformed message
    is answered with its error and skipped; the socket stays open.
    """
    while not conn.closed:
        text = await receive()
        if text is None:
            return None
        if not admit():
            if flooding():
                conn.send(p.error(p.E_RATE_LIMITED, "too many messages: far beyond the rate limit; "
                                                    "disconnected"))
                await conn.flush_and_close(p.CLOSE_FLOOD, "too many messages")
                return None
            continue
        try:
            return p.parse_client_message(text)
        except p.ProtocolError as exc:
            conn.send(exc.to_message())
    return None


_BACKGROUND: set[asyncio.Task[Any]] = set()


def background(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Run ``coro`` as a task kept alive until it finishes (the loop holds only weak references)."""
    task = asyncio.create_task(coro)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return task
