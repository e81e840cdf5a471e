"""The control messages of a greeted client: one short handler per message type, found in one table.

``dispatch`` runs a message's handler and answers its failure: a ``ProtocolError`` as it says, bad input by
the error table (app/errors.py), anything else as an internal error; the session stays as it was. Each
route also says which field of the message carries its input (reported when an error names none) and
whether the message may run beside a 'step n' in progress (it only reads the session or changes the view)
or ends it first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from app import delivery, runner, slicing
from app import protocol as p
from app.errors import BAD_INPUT, error_for

if TYPE_CHECKING:  # the hub dispatches through this module: importing it back at run time would be a cycle
    from app.connection import Connection
    from app.hub import Hub, Live

log = logging.getLogger("mlp_playground.hub")

M = TypeVar("M", bound=BaseModel)
Handler = Callable[["Hub", "Live", "Connection", Any], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    fallback: str | None  # the message's field named by an error that names none
    beside_stepping: bool  # True: a 'step n' in progress goes on; False: it ends first


HANDLERS: dict[type[BaseModel], Route] = {}


def handles(kind: type[M], fallback: str | None = None, beside_stepping: bool = False,
            ) -> Callable[[Callable[[Hub, Live, Connection, M], Awaitable[None]]],
                          Callable[[Hub, Live, Connection, M], Awaitable[None]]]:
    """Register the decorated coroutine as the handler of messages of class ``kind``."""
    def register(handler: Callable[[Hub, Live, Connection, M], Awaitable[None]],
                 ) -> Callable[[Hub, Live, Connection, M], Awaitable[None]]:
        if kind in HANDLERS:
            raise ValueError(f"{kind.__name__} has a handler already")
        HANDLERS[kind] = Route(handler, fallback, beside_stepping)
        return handler
    return register


async def dispatch(hub: Hub, live: Live, conn: Connection, msg: BaseModel) -> None:
    """Apply one parsed client message of the session's client ``conn``; a bad one is answered with an
    error and changes nothing."""
    route = HANDLERS[type(msg)]
    if live.stepper is not None and not route.beside_stepping:
        await runner.stop_stepping(live)
    try:
        await route.handler(hub, live, conn, msg)
    except p.ProtocolError as exc:
        conn.send(exc.to_message())
    except BAD_INPUT as exc:
        conn.send(error_for(exc, route.fallback, type(msg).model_fields))
    except Exception:
        if hub.closing:  # the pool is shut down under a message still being handled
            return
        log.exception("session %s failed on %s", live.id, type(msg).__name__)
        conn.send(p.error(p.E_INTERNAL, "the server could not do that; the session is unchanged"))


@handles(p.Hello)
async def _hello(hub: Hub, live: Live, conn: Connection, msg: p.Hello) -> None:
    raise p.ProtocolError(p.E_BAD_MESSAGE, "hello: already greeted; send hello only once", "type")


@handles(p.Configure, fallback="config")
async def _configure(hub: Hub, live: Live, conn: Connection, msg: p.Configure) -> None:
    s = live.session
    rebuilt = await hub.call(live, s.configure, msg.config)
    await delivery.send_config(hub, live, rebuilt)


@handles(p.Play)
async def _play(hub: Hub, live: Live, conn: Connection, msg: p.Play) -> None:
    s = live.session
    if s.state == "diverged":
        raise p.ProtocolError(p.E_DIVERGED, f"the network diverged at step {s.trainer.diverged_at}; reset it "
                                            "first (a lower learning rate may help)")
    s.playing = True
    conn.send(p.state(s.state, s.step_count))
    hub.ensure_runner(live)


@handles(p.Pause)
async def _pause(hub: Hub, live: Live, conn: Connection, msg: p.Pause) -> None:
    s = live.session
    s.playing = False
    # a training slice already running finishes its steps first: the state names the step the session
    # really stopped at, which the next 'step' continues from
    await hub.call(live, slicing.settled)
    conn.send(p.state(s.state, s.step_count))
    # a big network's exact regions are made once it stops, and maps made coarser under overload
    # (app/overload.py) are full once it stops: ask for them
    if s.polygons_held or s.frames.reduced_shown:
        await delivery.send_frame(hub, live)


@handles(p.Step)
async def _step(hub: Hub, live: Live, conn: Connection, msg: p.Step) -> None:
    runner.start_stepping(hub, live, msg.n)


@handles(p.Reset)
async def _reset(hub: Hub, live: Live, conn: Connection, msg: p.Reset) -> None:
    s = live.session
    await hub.call(live, s.reset)
    await delivery.send_frame(hub, live)
    conn.send(p.state(s.state, s.step_count))


@handles(p.Rewind, fallback="step")
async def _rewind(hub: Hub, live: Live, conn: Connection, msg: p.Rewind) -> None:
    s = live.session
    s.playing = False
    await hub.call(live, slicing.settled)  # a training slice under way ends first
    step = await hub.call(live, s.rewind, msg.step)
    h = s.history
    conn.send(p.rewound(step, h.steps[-1], h.every, len(h), h.nbytes))
    await delivery.send_frame(hub, live)
    conn.send(p.state(s.state, s.step_count))


@handles(p.Regenerate)
async def _regenerate(hub: Hub, live: Live, conn: Connection, msg: p.Regenerate) -> None:
    s = live.session
    await hub.call(live, s.regenerate)
    conn.send(p.config_message(s.config.model_dump(), True))
    await delivery.send_dataset(hub, live)
    await delivery.send_frame(hub, live)
    conn.send(p.state(s.state, s.step_count))


@handles(p.SetParam, fallback="kind")
async def _set_param(hub: Hub, live: Live, conn: Connection, msg: p.SetParam) -> None:
    await hub.call(live, live.session.set_param, msg.kind, msg.layer, msg.index, msg.value)
    await delivery.frame_if_paused(hub, live)


@handles(p.Restore, fallback="weights")
async def _restore(hub: Hub, live: Live, conn: Connection, msg: p.Restore) -> None:
    s = live.session
    s.playing = False  # the restored state is paused: the page plays on once every layer is back
    await hub.call(live, s.restore, msg.layer, msg.weights, msg.biases, msg.unit_params, msg.step,
                   msg.network)
    if msg.frame:
        await delivery.send_frame(hub, live)
    conn.send(p.state(s.state, s.step_count))


@handles(p.LoadScene, fallback="name")
async def _load_scene(hub: Hub, live: Live, conn: Connection, msg: p.LoadScene) -> None:
    s = live.session
    await hub.call(live, s.load_scene, msg.name)
    conn.send(p.config_message(s.config.model_dump(), True, s.scene.describe() if s.scene else None))
    await delivery.send_full_state(hub, live)
    hub.ensure_runner(live)


@handles(p.View, fallback="unit", beside_stepping=True)
async def _view(hub: Hub, live: Live, conn: Connection, msg: p.View) -> None:
    changes = {k: getattr(msg, k) for k in msg.model_fields_set if k != "type"}
    await hub.call(live, lambda: live.session.set_view(**changes))
    await delivery.frame_if_paused(hub, live)


@handles(p.Inspect, fallback="x", beside_stepping=True)
async def _inspect(hub: Hub, live: Live, conn: Connection, msg: p.Inspect) -> None:
    result = await hub.call(live, live.session.inspect, msg.x, msg.y)
    conn.send(p.inspection(**result))


@handles(p.Lecture, fallback="what", beside_stepping=True)
async def _lecture(hub: Hub, live: Live, conn: Connection, msg: p.Lecture) -> None:
    await runner.start_lecture(hub, live, msg)


@handles(p.Present, beside_stepping=True)
async def _present(hub: Hub, live: Live, conn: Connection, msg: p.Present) -> None:
    await hub.rooms.present(live)


@handles(p.Fork)
async def _fork(hub: Hub, live: Live, conn: Connection, msg: p.Fork) -> None:
    raise p.ProtocolError(p.E_BAD_MESSAGE, "fork: only a viewer of a room can fork (hello with watch)",
                          "type")


@handles(p.Export, beside_stepping=True)
async def _export(hub: Hub, live: Live, conn: Connection, msg: p.Export) -> None:
    fmt = msg.format
    filename, content = await hub.call_sliced(live, lambda: live.session.export_steps(fmt))
    conn.send(p.export(msg.format, filename, content))
