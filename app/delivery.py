"""What a session's client is sent besides the play loop's frames: the frame on demand, the points, the
full state after a greeting or a scene, and the frame that follows a region count made elsewhere.

Frames and the dataset message are made in the pool (the frame in slices, app/slicing.py), never on the
event loop; a frame is offered to the connection, where a newer one replaces one not yet sent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from app import protocol as p
from app import slicing
from app.session import Session

if TYPE_CHECKING:  # the hub calls these: importing it back at run time would be a cycle
    from app.hub import Hub, Live


async def send_frame(hub: Hub, live: Live) -> bool:
    """Encode the session's current frame (in the pool, in slices) and offer it to its client; True if
    it replaced a frame the client had not taken yet."""
    frame = await hub.call_sliced(live, lambda: slicing.frame_steps(live.session))
    conn = live.conn
    dropped = conn.offer_frame(frame) if conn is not None else False
    _frame_when_counted(hub, live)
    return dropped


async def frame_if_paused(hub: Hub, live: Live) -> None:
    """The frame after a change, unless the session plays: its runner sends the next frame anyway."""
    if not live.session.playing:
        await send_frame(hub, live)


async def send_config(hub: Hub, live: Live, rebuilt: bool) -> None:
    """After a change of config (a configure, an imported file): the config, and when the network was
    rebuilt its points and state; then the frame, unless the session plays (its runner sends the next)."""
    conn, s = live.conn, live.session
    if conn is None:  # parked: a greeting on reconnect sends the whole state
        return
    conn.send(p.config_message(s.config.model_dump(), rebuilt))
    if rebuilt:
        await send_dataset(hub, live)
        conn.send(p.state(s.state, s.step_count))
    live.fps = min(live.fps, s.config.max_fps) if s.playing else s.config.max_fps
    await frame_if_paused(hub, live)


async def send_full_state(hub: Hub, live: Live) -> None:
    """The dataset, a frame and the state: what a client needs to draw the session from nothing."""
    conn, s = live.conn, live.session
    if conn is None:
        return
    await send_dataset(hub, live)
    await send_frame(hub, live)
    conn.send(p.state(s.state, s.step_count))


async def send_dataset(hub: Hub, live: Live) -> None:
    """Send the session's points. Up to 5,000 points are ~100 kB of JSON: they are built and dumped
    in the pool (in the session's fair share), never on the event loop."""
    message, text = await hub.call(live, _dataset_message, live.session)
    conn = live.conn
    if conn is not None:
        conn.send_dumped(message, text)


def _dataset_message(session: Session) -> tuple[dict[str, Any], str]:
    message = p.dataset(**session.dataset_points())
    return message, p.dumps(message)


def _frame_when_counted(hub: Hub, live: Live) -> None:
    """A paused session's frame showed the last region count (or "counting") while the worker process
    counts: send another frame once the count arrives. A playing session's next frame picks it up."""
    pending = live.session.region_count_pending()
    if pending is None or live.session.playing or live.count_waiter is not None:
        return

    async def when_counted() -> None:
        try:
            await asyncio.wrap_future(pending)
        except Exception:  # the session counts on its own thread next time; nothing to send now
            return
        finally:
            live.count_waiter = None
        if live.conn is not None and not live.session.playing and live.id in hub.sessions:
            await send_frame(hub, live)

    live.count_waiter = asyncio.create_task(when_counted())
