"""Rooms across processes: this process's link to Redis pub/sub (the ``redis_url`` setting).

The process holding a room's presenter (the *host*) publishes the room's messages and frames on the room's
channel and keeps the latest of each in the room's hash for late joiners. A process with viewers of a room
it does not host *follows* it: subscribes to that channel and hands what arrives to its rooms. A follower
asks the host for a fork on the room's control channel; the host answers on the asking process's own
channel. The bus knows rooms only by code and reaches them through the callbacks it is given, so it
imports nothing of app/rooms.py.

Channels (all under ``KEY_PREFIX``): ``room:CODE`` host -> followers (a kind byte then the payload),
``ctl:CODE`` followers -> host (``V`` viewer counts, ``K`` fork requests), ``proc:ID`` answers to one
process (``A``). The hash ``room:CODE`` holds the host's process id and the latest config, dataset, state,
lecture, room status and frame; it expires ``ROOM_TTL`` seconds after the host's last heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from app.connection import Connection, background

log = logging.getLogger("mlp_playground.redisbus")

KEY_PREFIX = "mlp-playground:"
ROOM_TTL = 15.0  # seconds a room's Redis hash outlives its host's last heartbeat (a host that died)
FORK_TIMEOUT = 5.0  # seconds a follower waits for the host's answer to a fork


class RedisBus:
    """This process's link to Redis: publishes hosted rooms, follows rooms hosted elsewhere, relays forks.

    The callbacks, all by room code:
    ``on_message(code, kind, payload)``: a message of a followed room (``kind`` one of ``KINDS``' values);
    ``on_host_gone(code)``: a followed room's hash expired, its host stopped without ending it;
    ``on_viewers(code, proc, count)``: process ``proc`` has ``count`` viewers of a room hosted here;
    ``viewers_of(code)``: this process's viewers of a followed room (None once it has none to count);
    ``fork_state(code)``: the fork state of a room hosted here (LookupError if it has ended).
    """

    KINDS: ClassVar[dict[bytes, str]] = {b"F": "frame", b"C": "config", b"D": "dataset", b"S": "state",
                                         b"R": "room", b"L": "lecture"}

    def __init__(self, url: str, *, on_message: Callable[[str, str, bytes], None],
                 on_host_gone: Callable[[str], None], on_viewers: Callable[[str, str, int], None],
                 viewers_of: Callable[[str], int | None],
                 fork_state: Callable[[str], Awaitable[dict[str, Any]]]):
        try:  # here, not at the top: redis is an optional dependency, needed only with redis_url set
            import redis.asyncio as aioredis
        except ImportError:  # say how to get it
            raise RuntimeError("MLP_PLAYGROUND_REDIS_URL is set but the 'redis' package is not installed: "
                               "pip install 'mlp-playground[redis]'") from None
        self.on_message, self.on_host_gone, self.on_viewers = on_message, on_host_gone, on_viewers
        self.viewers_of, self.fork_state = viewers_of, fork_state
        self.redis = aioredis.from_url(url)
        self.pubsub = self.redis.pubsub()
        self.proc = secrets.token_hex(8)
        self.following: set[str] = set()
        self._hosting: set[str] = set()
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._codes = {v: k for k, v in self.KINDS.items()}

    @staticmethod
    def key(kind: str, code: str) -> str:
        return f"{KEY_PREFIX}{kind}:{code}"

    async def start(self) -> None:
        await self.pubsub.subscribe(self.key("proc", self.proc))
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    # --- host ---------------------------------------------------------------------------------------
    async def claim(self, code: str) -> bool:
        """Reserve ``code`` across every process (False if another room has it)."""
        key = self.key("room", code)
        if not await self.redis.hsetnx(key, "host", self.proc):
            return False
        await self.redis.expire(key, int(ROOM_TTL))
        return True

    async def host(self, code: str) -> None:
        self._hosting.add(code)
        await self.pubsub.subscribe(self.key("ctl", code))

    async def unhost(self, code: str, outlet: Connection | None, last: str) -> None:
        """A hosted room ended: stop its outlet, publish its last ``room`` message (``last``), stop
        answering for it and delete its hash (in that order, so followers hear "ended" before it is
        gone)."""
        self._hosting.discard(code)
        if outlet is not None:
            await outlet.close(1000)
        try:
            await self.publish(code, "room", last.encode())
            await self.pubsub.unsubscribe(self.key("ctl", code))
            await self.redis.delete(self.key("room", code))
        except Exception as exc:
            log.warning("redis: cannot end room %s: %s", code, exc)

    def outlet(self, code: str) -> Connection:
        """A Connection whose sends publish on room ``code`` (texts as ``kind\\njson``): the host's
        publishing keeps the latest-frame-wins rule of any connection."""
        conn = Connection(_Outlet(self, code))
        conn.start()
        return conn

    async def publish(self, code: str, kind: str, payload: bytes) -> None:
        """One room message out: on the room's channel, and as the latest of its kind in the hash."""
        key = self.key("room", code)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, kind, payload)
            pipe.publish(key, self._codes[kind] + payload)
            await pipe.execute()

    async def heartbeat(self) -> None:
        """Keep hosted rooms' hashes alive; tell hosts how many viewers this process has; notice
        followed rooms whose host died (their hash expired)."""
        try:
            for code in list(self._hosting):
                await self.redis.expire(self.key("room", code), int(ROOM_TTL))
            for code in list(self.following):
                viewers = self.viewers_of(code)
                if not await self.redis.exists(self.key("room", code)):
                    self.on_host_gone(code)
                elif viewers is not None:
                    count = json.dumps({"proc": self.proc, "viewers": viewers}).encode()
                    await self.redis.publish(self.key("ctl", code), b"V" + count)
        except Exception as exc:  # Redis away: rooms here keep working for viewers of this process
            log.warning("redis heartbeat failed: %s", exc)

    # --- follower -----------------------------------------------------------------------------------
    async def follow(self, code: str) -> dict[str, bytes] | None:
        """Subscribe to a room hosted elsewhere and read what its hash holds (kind -> payload; the room's
        latest messages and frame); None if no process hosts ``code``. The subscription stays until
        ``unfollow``, whatever the answer: another viewer may be following the same room."""
        channel = self.key("room", code)
        await self.pubsub.subscribe(channel)  # before reading the hash, so that nothing falls between
        self.following.add(code)
        stored = {_text(k): v if isinstance(v, bytes) else v.encode()
                  for k, v in (await self.redis.hgetall(channel)).items()}
        return stored if "host" in stored and "config" in stored else None

    async def unfollow(self, code: str) -> None:
        self.following.discard(code)
        with contextlib.suppress(Exception):
            await self.pubsub.unsubscribe(self.key("room", code))

    async def fork(self, code: str) -> dict[str, Any]:
        """Ask the host of ``code`` for its fork state (LookupError if it does not answer)."""
        nonce = secrets.token_hex(8)
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[nonce] = waiting
        try:
            ask = json.dumps({"nonce": nonce, "proc": self.proc}).encode()
            if not await self.redis.publish(self.key("ctl", code), b"K" + ask):
                raise LookupError("its presenter's server is not listening")
            answer = await asyncio.wait_for(waiting, FORK_TIMEOUT)
        except TimeoutError:
            raise LookupError("its presenter's server did not answer") from None
        finally:
            self._waiting.pop(nonce, None)
        if "error" in answer:
            raise LookupError(answer["error"])
        state: dict[str, Any] = answer["state"]
        return state

    # --- the one reader -----------------------------------------------------------------------------
    async def _read(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis subscription failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                self._dispatch(_text(message["channel"]), message["data"])
            except Exception:
                log.exception("bad message on %s", message.get("channel"))

    def _dispatch(self, channel: str, data: bytes) -> None:
        kind, code = channel[len(KEY_PREFIX):].split(":", 1)
        head, body = data[:1], data[1:]
        if kind == "room":
            if head in self.KINDS:
                self.on_message(code, self.KINDS[head], body)
        elif kind == "ctl":
            if head == b"V":
                info = json.loads(body)
                self.on_viewers(code, str(info["proc"]), int(info["viewers"]))
            elif head == b"K":
                background(self._answer_fork(code, json.loads(body)))
        elif kind == "proc" and head == b"A":
            answer = json.loads(body)
            waiting = self._waiting.get(answer.get("nonce"))
            if waiting is not None and not waiting.done():
                waiting.set_result(answer)

    async def _answer_fork(self, code: str, ask: dict[str, Any]) -> None:
        answer: dict[str, Any] = {"nonce": ask["nonce"]}
        try:
            answer["state"] = await self.fork_state(code)
        except LookupError as exc:
            answer["error"] = str(exc.args[0]) if exc.args else "the room has ended"
        await self.redis.publish(self.key("proc", ask["proc"]), b"A" + json.dumps(answer).encode())


class _Outlet:
    """The WebSocket-like end of a hosted room's Redis ``Connection``: what it sends is published."""

    def __init__(self, bus: RedisBus, code: str):
        self.bus, self.code = bus, code

    async def send_bytes(self, frame: bytes) -> None:
        await self.bus.publish(self.code, "frame", frame)

    async def send_text(self, text: str) -> None:
        kind, _, body = text.partition("\n")
        await self.bus.publish(self.code, kind, body.encode())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Nothing to close: the bus's connection to Redis outlives each room."""


def _text(value: bytes | str) -> str:
    """A Redis key or channel name as text (the client answers bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else value
