"""Presenter broadcast rooms: one presenter's session, many read-only viewers, each frame encoded once.

A presenting session's connection carries a *tap* (``Connection.tap``): every frame offered to it, and
every ``config`` / ``dataset`` / ``state`` message sent to it, is handed to its room, which passes the very
same bytes (frames) and the same JSON text (dumped once) to each viewer's ``Connection``. Every viewer
keeps its Connection's latest-frame-wins rule, so a slow viewer gets fewer, newer frames and never slows
the presenter or the other viewers. Viewers have no session: their socket is served by ``viewers.watch``
(app/viewers.py), which answers any control message with ``read_only`` until the viewer forks a private
session.

With ``redis_url`` set, rooms also fan out through Redis pub/sub (app/redisbus.py), so a viewer whose socket
reached another process or machine can watch. The process holding the presenter (the *host*) writes the
room's messages to the bus's *outlet* for the room, a ``Connection`` (so the host's publishing has
latest-frame-wins too). A process with viewers of a room it does not host keeps a *mirror* of it, fed by
the bus.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app import protocol as p
from app.connection import Connection, background
from app.redisbus import ROOM_TTL, RedisBus
from app.session import Session
from app.settings import Settings

if TYPE_CHECKING:  # for annotations only: the hub imports this module
    from app.hub import Hub, Live

log = logging.getLogger("mlp_playground.rooms")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud in lecture halls
CODE_LENGTH = 6
# the presenter's messages viewers get too; ``lecture``: the scene panel's numbers the presenter's page asked
# for, so a viewer (who may not ask: read-only) sees the panel the room is looking at
FORWARDED = ("config", "dataset", "state", "lecture")


@dataclass(eq=False)
class Room:
    """A room as one process sees it: hosted (``host`` is the presenter's session) or a mirror (None)."""

    code: str
    host: Live | None
    viewers: set[Connection] = field(default_factory=set)
    latest: dict[str, str] = field(default_factory=dict)  # kind -> JSON text of the latest such message
    frame: bytes | None = None
    status: str = "connected"  # the presenter: connected | away | ended
    away_since: float | None = None
    outlet: Connection | None = None  # host with Redis: the room's channel, as one more "viewer"
    remote: dict[str, tuple[int, float]] = field(default_factory=dict)  # host: process -> (viewers, when)
    announced: int = -1  # the viewer count last told to the presenter

    @property
    def viewer_count(self) -> int:
        return len(self.viewers) + sum(n for n, _ in self.remote.values())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a viewer typed (any case, spaces or dashes) as a room code ('' if it cannot be one)."""
    code = "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")
    return code if len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code) else ""


def fork_state(session: Session) -> dict[str, Any]:
    """What a fork copies from the presenter: config, exact parameters and view (JSON-ready)."""
    view = session.view
    return {"config": session.config.model_dump(mode="json"), "parameters": session.network.get_parameters(),
            "view": {"unit": list(view.unit) if view.unit is not None else None, "regions": view.regions,
                     "thumbnails": view.thumbnails}}


class Rooms:
    """Every room this process hosts or mirrors. The hub calls the hooks ``attached``, ``detached``,
    ``freed``, ``sweep``, ``present`` and ``shutdown``; a viewer's socket (app/viewers.py) calls ``find``,
    ``join``, ``leave`` and ``fork_state_of``."""

    def __init__(self, hub: Hub, settings: Settings):
        self.hub = hub
        self.settings = settings
        self.hosted: dict[str, Room] = {}
        self.mirrors: dict[str, Room] = {}
        self._by_session: dict[str, Room] = {}
        self.viewers = 0
        self._ending: set[asyncio.Task] = set()  # hosted rooms telling Redis they ended
        self.bus = RedisBus(settings.redis_url, on_message=self.received, on_host_gone=self.host_gone,
                            on_viewers=self._remote_viewers, viewers_of=self._mirror_viewers,
                            fork_state=self._hosted_fork_state) if settings.redis_url else None

    # --- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.bus is not None:
            await self.bus.start()

    async def shutdown(self, code: int) -> None:
        """End every room, close every viewer's socket with ``code`` (1001 on SIGTERM), leave Redis."""
        rooms = [*self.hosted.values(), *self.mirrors.values()]
        for room in rooms:
            self._end(room, "the server is shutting down; the room has ended")
        viewers = [conn for room in rooms for conn in room.viewers]
        await asyncio.gather(*(conn.flush_and_close(code, "server shutting down") for conn in viewers),
                             *self._ending, return_exceptions=True)
        if self.bus is not None:
            await self.bus.close()

    # --- presenter side -----------------------------------------------------------------------------
    async def present(self, live: Live) -> Room:
        """Open a room for ``live`` (or give its open one): viewers get what its connection gets."""
        room = self._by_session.get(live.id)
        if room is None:
            code = await self._free_code()
            room = Room(code=code, host=live)
            if self.bus is not None:
                room.outlet = self.bus.outlet(code)
            self.hosted[code] = room
            self._by_session[live.id] = room
            if self.bus is not None:
                await self.bus.host(code)
            s = live.session
            # the picture a viewer who joins now needs; later messages and frames arrive through the tap
            self._fan_text(room, "config", p.dumps(p.config_message(
                s.config.model_dump(), False, s.scene.describe() if s.scene else None)))
            self._fan_text(room, "dataset", p.dumps(p.dataset(**s.dataset_points())))
            self._fan_text(room, "state", p.dumps(p.state(s.state, s.step_count)))
            self._fan_room(room, None)
        if live.conn is not None:
            self.attached(live, live.conn)
        if room.frame is None:
            await self.hub.send_frame(live)  # through the tap: the room's first frame
        return room

    def attached(self, live: Live, conn: Connection) -> None:
        """Hub hook: ``conn`` is now the session's connection (a presenter coming back keeps the room)."""
        room = self._by_session.get(live.id)
        if room is None:
            return
        conn.tap = lambda message: self._tap(room, message)
        room.announced = -1  # a new connection has not been told its room yet
        if room.status == "away":
            room.status, room.away_since = "connected", None
            self._fan_room(room, "the presenter is back")
        self._announce(room)

    def detached(self, live: Live) -> None:
        """Hub hook: the presenter's socket went away; the room waits a grace period for them."""
        room = self._by_session.get(live.id)
        if room is None or room.status != "connected":
            return
        room.status, room.away_since = "away", self.hub.clock()
        self._fan_room(room, f"the presenter is disconnected; the room ends in "
                             f"{self.settings.grace_period:g} s unless they come back")

    def freed(self, live: Live) -> None:
        """Hub hook: the presenter's session was freed; its room ends now."""
        room = self._by_session.get(live.id)
        if room is not None:
            self._end(room, "the presenter left; the room has ended")

    async def sweep(self) -> None:
        """Hub hook, about once a second: end rooms whose presenter stayed away past the grace period,
        tell presenters their viewer counts, keep the Redis side alive."""
        now = self.hub.clock()
        for room in list(self.hosted.values()):
            away = room.away_since
            if room.status == "away" and away is not None and now - away > self.settings.grace_period:
                self._end(room, "the presenter left; the room has ended")
                continue
            stale = [proc for proc, (_, at) in room.remote.items() if time.monotonic() - at > ROOM_TTL]
            for proc in stale:
                del room.remote[proc]
            self._announce(room)
        if self.bus is not None:
            await self.bus.heartbeat()

    def _announce(self, room: Room) -> None:
        live = room.host
        if live is None or live.conn is None or room.viewer_count == room.announced:
            return
        room.announced = room.viewer_count
        live.conn.send(p.room(room.code, "presenter", room.status, room.announced, None))

    async def _free_code(self) -> str:
        while True:
            code = new_code()
            if code in self.hosted or code in self.mirrors:
                continue
            if self.bus is None or await self.bus.claim(code):
                return code

    # --- fan-out ------------------------------------------------------------------------------------
    def _tap(self, room: Room, message: dict[str, Any] | bytes) -> None:
        """What the presenter's connection is given, given to the room (frames as the same bytes)."""
        if room.status == "ended":
            return
        if isinstance(message, bytes):
            self._fan_frame(room, message)
        elif message.get("type") in FORWARDED:
            self._fan_text(room, message["type"], p.dumps(message))

    def _fan_frame(self, room: Room, frame: bytes) -> None:
        room.frame = frame
        for conn in room.viewers:
            conn.offer_frame(frame)
        if room.outlet is not None:
            room.outlet.offer_frame(frame)

    def _fan_text(self, room: Room, kind: str, text: str) -> None:
        room.latest[kind] = text
        for conn in room.viewers:
            conn.send_text(text)
        if room.outlet is not None:
            room.outlet.send_text(f"{kind}\n{text}")  # the outlet needs the kind for the room's hash

    def _fan_room(self, room: Room, message: str | None) -> None:
        self._fan_text(room, "room", p.dumps(p.room(room.code, "viewer", room.status, None, message)))

    def _end(self, room: Room, message: str) -> None:
        if room.status == "ended":
            return
        room.status = "ended"
        outlet, room.outlet = room.outlet, None  # the last word goes to Redis after the outlet is closed
        self._fan_room(room, message)
        if room.host is not None:
            self.hosted.pop(room.code, None)
            self._by_session.pop(room.host.id, None)
            if room.host.conn is not None:
                room.host.conn.tap = None
                room.host.conn.send(p.room(room.code, "presenter", "ended", room.viewer_count, message))
            if self.bus is not None:
                task = background(self.bus.unhost(room.code, outlet, room.latest["room"]))
                self._ending.add(task)
                task.add_done_callback(self._ending.discard)
        else:
            self.mirrors.pop(room.code, None)
            background(self._unfollow(room.code))

    # --- viewer side (app/viewers.py serves the viewer's socket) ------------------------------------
    async def find(self, code: str) -> Room | None:
        """The open room ``code`` names, here or (with Redis) hosted by another process; None if none."""
        room = self.hosted.get(code) or self.mirrors.get(code)
        if room is None and self.bus is not None:
            try:
                stored = await self.bus.follow(code)
            except Exception as exc:  # Redis away: the viewer gets a session of its own, never a crash
                log.warning("redis: cannot look up room %s: %s", code, exc)
                return None
            room = self.mirrors.get(code)  # another viewer's follow may have finished first
            if room is None and stored is not None:
                room = self.mirror(code, stored)
            if room is None:
                await self._unfollow(code)
        return room if room is not None and room.status != "ended" else None

    def join(self, room: Room, conn: Connection) -> None:
        """Greet a viewer like a new session (room, welcome, dataset, frame, state, the last panel), then
        stream."""
        if conn in room.viewers:
            return
        room.viewers.add(conn)
        self.viewers += 1
        conn.send_text(room.latest.get("room") or p.dumps(p.room(room.code, "viewer", room.status,
                                                                       None, None)))
        config = json.loads(room.latest["config"]) if "config" in room.latest else None
        if config is not None:
            conn.send(p.viewer_welcome(self.hub.limits(), config["config"], config["scene"]))
        if "dataset" in room.latest:
            conn.send_text(room.latest["dataset"])
        if room.frame is not None:
            conn.offer_frame(room.frame)
        if "state" in room.latest:
            conn.send_text(room.latest["state"])
        if "lecture" in room.latest:
            conn.send_text(room.latest["lecture"])

    def leave(self, room: Room, conn: Connection) -> None:
        """``conn`` no longer watches ``room`` (it closed, or forked)."""
        if conn in room.viewers:
            room.viewers.discard(conn)
            self.viewers -= 1
        if room.host is None and not room.viewers and room.status != "ended":
            # the last viewer of a mirror left: stop following the room's channel
            self.mirrors.pop(room.code, None)
            background(self._unfollow(room.code))

    async def fork_state_of(self, room: Room) -> dict[str, Any]:
        """What a fork of ``room`` copies (``fork_state``), from its host here or through Redis;
        LookupError if the host does not answer or the room has ended."""
        if room.host is not None:
            state: dict[str, Any] = await self.hub.call(room.host, fork_state, room.host.session)
            return state
        if self.bus is None:  # a mirror exists only with a bus; said for the type checker
            raise LookupError("its presenter's server is not reachable")
        return await self.bus.fork(room.code)

    # --- from Redis (mirrors) -----------------------------------------------------------------------
    def mirror(self, code: str, stored: dict[str, bytes]) -> Room:
        """A mirror of a room hosted elsewhere, seeded with what the room's hash holds."""
        room = Room(code=code, host=None)
        for kind in (*FORWARDED, "room"):
            if kind in stored:
                room.latest[kind] = stored[kind].decode()
        room.frame = stored.get("frame")
        if "room" in room.latest:
            room.status = json.loads(room.latest["room"])["presenter"]
        self.mirrors[code] = room
        return room

    def received(self, code: str, kind: str, payload: bytes) -> None:
        """A message on a followed room's channel: pass it to this process's viewers of it."""
        room = self.mirrors.get(code)
        if room is None:
            return
        if kind == "frame":
            self._fan_frame(room, payload)
            return
        text = payload.decode()
        self._fan_text(room, kind, text)
        if kind == "room":
            room.status = json.loads(text)["presenter"]
            if room.status == "ended":
                self.mirrors.pop(code, None)
                background(self._unfollow(code))

    def host_gone(self, code: str) -> None:
        """A followed room's hash expired: its host stopped without ending it."""
        room = self.mirrors.get(code)
        if room is not None:
            self._end(room, "the presenter's server stopped; the room has ended")

    async def _unfollow(self, code: str) -> None:
        """Leave a room's channel, unless a new mirror of it came up meanwhile (a viewer came back)."""
        if self.bus is not None and code not in self.mirrors:
            await self.bus.unfollow(code)

    def _mirror_viewers(self, code: str) -> int | None:
        room = self.mirrors.get(code)
        return len(room.viewers) if room is not None else None

    def _remote_viewers(self, code: str, proc: str, count: int) -> None:
        room = self.hosted.get(code)
        if room is not None:
            room.remote[proc] = (count, time.monotonic())

    async def _hosted_fork_state(self, code: str) -> dict[str, Any]:
        """A fork asked for by another process (LookupError once the room has ended)."""
        room = self.hosted.get(code)
        if room is None or room.host is None or room.status == "ended":
            raise LookupError("the room has ended")
        return await self.fork_state_of(room)
