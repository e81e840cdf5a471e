"""app/handlers.py: one handler per client message type, the dispatch's answers to failures, and which
messages run beside a 'step n' in progress."""

from __future__ import annotations

import asyncio
import typing

import pytest
from pydantic import BaseModel

from app import handlers
from app import protocol as p
from app.config import SessionConfig
from app.connection import Connection
from app.handlers import HANDLERS
from app.hub import Hub, Live
from app.session import Session
from app.settings import Settings

from .helpers import assert_error
from .test_hub import FakeWS

# ~1 ms a step (as in test_bounded): a 'step 300' lasts many slices
MEDIUM = {"hidden": [32, 32, 32], "activation": "relu", "points": 400, "train_ratio": 1.0, "batch_size": 400}


def client_message_classes() -> set[type[BaseModel]]:
    """The members of the discriminated union the parser builds client messages from."""
    union = typing.get_args(p.ClientMessage)[0]
    return set(typing.get_args(union))


def attached(hub: Hub, config: dict | None = None) -> tuple[Live, FakeWS]:
    live = Live(id="s1", token="t1", session=Session(SessionConfig(**(config or {"points": 40}))))
    hub.sessions[live.id] = live
    ws = FakeWS()
    live.conn = Connection(ws)
    live.conn.start()
    return live, ws


async def answers(ws: FakeWS, kind: str, count: int = 1) -> list[dict]:
    """The first ``count`` JSON messages of type ``kind`` the client got (waiting for them)."""
    for _ in range(2000):
        got = [m for m in ws.sent if isinstance(m, dict) and m.get("type") == kind]
        if len(got) >= count:
            return got
        await asyncio.sleep(0.005)
    raise AssertionError(f"no {kind} message; got {ws.sent}")


def handle_all(config: dict | None, *messages: BaseModel) -> list[dict]:
    """Handle ``messages`` in turn on a fresh session, each answered by an error; those errors."""
    async def go() -> list[dict]:
        hub = Hub(Settings())
        live, ws = attached(hub, config)
        for msg in messages:
            await hub.handle(live, msg)
        errors = await answers(ws, "error", len(messages))  # a lecture panel answers in the background
        await hub.shutdown()
        return errors
    return asyncio.run(go())


def test_every_client_message_type_has_a_handler():
    classes = client_message_classes()
    assert {cls.model_fields["type"].annotation.__args__[0] for cls in classes} == set(p.CLIENT_TYPES)
    assert set(HANDLERS) == classes


def test_a_second_handler_for_a_message_type_is_refused_naming_it():
    with pytest.raises(ValueError, match="Play has a handler already"):
        handlers.handles(p.Play)(HANDLERS[p.Play].handler)


def test_a_field_error_of_the_engine_reaches_the_wire_with_its_field():
    # Network.set_param raises FieldIndexError("index", ...) and FieldError("kind" / "value", ...)
    errors = handle_all(None,
                        p.SetParam(type="set_param", kind="weight", layer=0, index=[9, 0], value=1.0),
                        p.SetParam(type="set_param", kind="slope", layer=0, index=0, value=1.0),
                        p.SetParam(type="set_param", kind="bias", layer=5, index=0, value=1.0))
    assert_error(errors[0], p.E_INVALID_VALUE, "index", mentions="out of range")
    assert_error(errors[1], p.E_INVALID_VALUE, "kind", mentions="'slope'")
    assert_error(errors[2], p.E_INVALID_VALUE, "layer", mentions="0..2")


def test_a_field_error_from_the_data_generator_names_the_config_field_behind_it():
    # blobs with 6 classes need 6 points: make_dataset's FieldError("n") is the config's "points"
    errors = handle_all(None, p.Configure(type="configure", config={"dataset": "blobs", "classes": 6,
                                                                    "points": 4}))
    assert_error(errors[0], p.E_INVALID_CONFIG, "points", mentions="6 classes need at least 6 points")


def test_restore_names_the_part_that_does_not_fit():
    bad_weights = p.Restore(type="restore", step=3, layer=0, weights=[[1.0]], biases=[0.0] * 4)
    bad_slope = p.Restore(type="restore", step=3, layer=0, weights=[[0.0] * 4] * 2, biases=[0.0] * 4,
                          unit_params={"slope": [0.1]})
    errors = handle_all({"points": 40, "activation": "prelu"}, bad_weights, bad_slope)
    assert_error(errors[0], p.E_INVALID_VALUE, "weights", mentions="shape")
    assert_error(errors[1], p.E_INVALID_VALUE, "unit_params", mentions="finite numbers")


def test_an_error_naming_no_field_of_the_message_reports_the_messages_own_field():
    # the lecture's own refusal names no field of the message: the panel asked for ("what") is at fault
    errors = handle_all(None, p.Lecture(type="lecture", what="universality"))
    assert_error(errors[0], p.E_INVALID_VALUE, "what", mentions="1-D data")


def test_an_internal_failure_is_an_internal_error_and_the_session_lives_on():
    async def go() -> tuple[list[dict], int]:
        hub = Hub(Settings())
        live, ws = attached(hub)

        def broken(fmt: str):
            raise RuntimeError("a bug, not the client's fault")

        live.session.export_steps = broken  # type: ignore[method-assign]
        await hub.handle(live, p.Export(type="export", format="json"))
        await hub.handle(live, p.Step(type="step", n=2))
        state = (await answers(ws, "state"))[-1]
        await hub.shutdown()
        return [m for m in ws.sent if isinstance(m, dict) and m.get("type") == "error"], state["step"]

    errors, step = asyncio.run(go())
    assert_error(errors[0], p.E_INTERNAL, None)
    assert "a bug" not in errors[0]["message"] and step == 2


def test_a_message_that_only_reads_the_session_leaves_a_step_in_progress_running():
    async def go() -> tuple[bool, int]:
        hub = Hub(Settings(train_threads=1, slice_ms=1))
        live, ws = attached(hub, MEDIUM)
        await hub.handle(live, p.Step(type="step", n=300))
        while live.session.step_count == 0:
            await asyncio.sleep(0.001)
        await hub.handle(live, p.Inspect(type="inspect", x=(0.1, 0.2)))
        running = live.stepper is not None and not live.stepper.done()
        await answers(ws, "inspection")
        final = (await answers(ws, "state"))[-1]
        await hub.shutdown()
        return running, final["step"]

    running, step = asyncio.run(go())
    assert running and step == 300


def test_a_message_that_changes_the_session_ends_a_step_in_progress_first():
    async def go() -> tuple[int, int]:
        hub = Hub(Settings(train_threads=1, slice_ms=1))
        live, _ = attached(hub, MEDIUM)
        await hub.handle(live, p.Step(type="step", n=1000))
        while live.session.step_count == 0:
            await asyncio.sleep(0.001)
        await hub.handle(live, p.SetParam(type="set_param", kind="bias", layer=0, index=0, value=0.5))
        stopped = live.session.step_count
        await asyncio.sleep(0.05)
        later = live.session.step_count
        await hub.shutdown()
        return stopped, later

    stopped, later = asyncio.run(go())
    assert 0 < stopped < 1000 and later == stopped


def test_a_panel_refused_for_a_field_of_the_request_names_that_field():
    # insight.InsightError is a FieldError naming the lecture request's own field
    errors = handle_all(None, p.Lecture(type="lecture", what="folding", layer=5))
    assert_error(errors[0], p.E_INVALID_VALUE, "layer", mentions="layer must be from 0")
