"""A viewer's socket: watching a broadcast room read-only until it closes or forks a session of its own.

The rooms (app/rooms.py) keep who watches what and pass the presenter's frames and messages on; this
module serves one viewer's end of it: the checks before joining (a known room code, the per-address limit
on wrong codes, the viewer cap), the read-only answer to every control message, and the fork.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app import protocol as p
from app.config import SessionConfig
from app.connection import Connection, ServerFull, TokenBucket, next_message
from app.rooms import Room, Rooms, normalize_code
from app.session import Session

if TYPE_CHECKING:  # for annotations only: the hub imports app/rooms.py, which this module imports
    from app.hub import Live


async def watch(rooms: Rooms, conn: Connection, hello: p.Hello,
                receive: Callable[[], Awaitable[str | None]]) -> Live | None:
    """Serve a viewer's socket until it closes (None) or forks (the forked session's Live).

    An unknown room code gets an ``unknown_room`` error and the socket closes with 4004, building no
    session (the page then reconnects without ``watch`` and gets a session of its own). Wrong codes are
    rate-limited per client address (``rate_limited``, then 1013): guessing codes finds nothing.
    """
    settings, guesses = rooms.settings, rooms.hub.room_guesses
    if not guesses.has_token(conn.address):
        conn.send(p.error(p.E_RATE_LIMITED, "too many unknown room codes from this address; try again "
                                            "in a minute", "watch"))
        await conn.flush_and_close(p.CLOSE_TRY_AGAIN_LATER, "too many room codes")
        return None
    code = normalize_code(hello.watch or "")
    room = await rooms.find(code) if code else None
    if room is None:
        guesses.take(conn.address)
        conn.send(p.error(p.E_UNKNOWN_ROOM, f"there is no room {hello.watch!r} (it may have ended); "
                                            "reconnect without it for a session of your own", "watch"))
        await conn.flush_and_close(p.CLOSE_UNKNOWN_ROOM, "unknown room")
        return None
    if rooms.viewers >= settings.max_viewers:
        conn.send(p.error(p.E_SERVER_FULL, f"server full: it already serves {settings.max_viewers} "
                                           "viewers; try again later"))
        await conn.flush_and_close(p.CLOSE_TRY_AGAIN_LATER, "server full")
        return None
    bucket = TokenBucket(settings.rate_limit, settings.rate_burst, rooms.hub.clock)
    rooms.join(room, conn)

    def admit() -> bool:
        if bucket.allow():
            return True
        if bucket.warn():
            conn.send(p.error(p.E_RATE_LIMITED, "too many messages; some were dropped"))
        return False

    try:
        while (msg := await next_message(conn, receive, admit, bucket.flooding)) is not None:
            if isinstance(msg, p.Fork):
                live = await fork(rooms, room, conn)
                if live is not None:
                    return live
            else:
                conn.send(p.error(p.E_READ_ONLY, f"{msg.type}: you are watching room {room.code}, which "
                                                 "its presenter controls; fork it to train a copy of "
                                                 "your own", "type"))
        return None
    finally:
        rooms.leave(room, conn)


async def fork(rooms: Rooms, room: Room, conn: Connection) -> Live | None:
    """A private session from the presenter's current config and weights, on this socket (None, with
    an error said, if the room has ended or the server is full: the socket goes on watching)."""
    if room.status == "ended":
        conn.send(p.error(p.E_UNKNOWN_ROOM, f"room {room.code} has ended: there is nothing to fork"))
        return None
    try:
        state = await rooms.fork_state_of(room)
    except LookupError as exc:
        conn.send(p.error(p.E_UNKNOWN_ROOM, f"room {room.code}: {exc.args[0]}"))
        return None
    rooms.leave(room, conn)  # from here on, this socket gets its own session's messages only
    try:
        live = await rooms.hub.adopt(conn, lambda: forked_session(state))
    except ServerFull:
        conn.send(p.error(p.E_SERVER_FULL, "server full: no room for a session of your own; "
                                           "keep watching and try again later"))
        rooms.join(room, conn)
        return None
    conn.send(p.forked(room.code))
    return live


def forked_session(state: dict[str, Any]) -> Session:
    """A new session at step 0 with the presenter's config, parameters and view (``rooms.fork_state``);
    its ``reset`` returns to these parameters, as a scene's reset returns to its hand-set weights."""
    session = Session(SessionConfig.model_validate(state["config"]))
    session.start_from(state["parameters"])
    view = state["view"]
    session.set_view(unit=tuple(view["unit"]) if view["unit"] is not None else None,
                     regions=bool(view["regions"]), thumbnails=bool(view["thumbnails"]))
    return session
