"""app/costs.py: the server's CPU by phase. Each phase gets the CPU burnt in it (checked against the thread's
own clock read around the burn, and against getrusage), pauses between pieces go to nobody, the parts add
up to the process's CPU, and GET /debug/costs is off unless the setting turns it on."""

from __future__ import annotations

import asyncio
import resource
import threading
import time

import pytest
from starlette.testclient import TestClient

from app import costs
from app.server import create_app
from app.settings import Settings

from .helpers import Reader


@pytest.fixture
def counting():
    """Counting on, from zero, with this thread as the event loop's; off and cleared afterwards."""
    costs.stop()
    costs.start()
    yield
    costs.stop()


def burn(seconds: float) -> float:
    """Spin on the CPU for about ``seconds`` of this thread's CPU time; returns the CPU time it took by
    getrusage (RUSAGE_THREAD), a clock the module does not read."""
    before = resource.getrusage(resource.RUSAGE_THREAD)
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        x += sum(range(200))
    after = resource.getrusage(resource.RUSAGE_THREAD)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def phases_of(other_thread_work) -> dict[str, float]:
    """Run ``other_thread_work`` in a new thread (as the pool does) and return the phases counted."""
    t = threading.Thread(target=other_thread_work)
    t.start()
    t.join()
    return costs.report()["phases_s"]


def test_a_phase_gets_the_cpu_burnt_in_it_and_no_other_phase_does(counting):
    used = {}

    def work():
        costs.switch("metrics")
        used["metrics"] = burn(0.05)
        costs.switch("encode")
        used["encode"] = burn(0.02)
        costs.switch(None)

    phases = phases_of(work)
    # getrusage ticks in scheduler time (about 1-4 ms): the two clocks agree within a few ms
    assert phases["metrics"] == pytest.approx(used["metrics"], abs=0.006)
    assert phases["encode"] == pytest.approx(used["encode"], abs=0.006)
    assert phases["metrics"] > 2 * phases["encode"]
    assert all(phases[p] == 0.0 for p in ("train", "grid", "maps", "params", "send"))


def test_pauses_between_pieces_are_charged_to_nobody(counting):
    def pieces():
        costs.switch("grid")
        burn(0.02)
        yield
        burn(0.02)  # resumes in "grid" without switching again

    def work():
        run = costs.metered(pieces(), "maps")
        next(run)
        burn(0.06)  # another session's work on the thread, between two pieces of this one
        with pytest.raises(StopIteration):
            next(run)

    phases = phases_of(work)
    assert phases["grid"] == pytest.approx(0.04, abs=0.006)
    assert phases["maps"] < 0.002  # only the few microseconds before the first switch
    assert phases["other"] >= 0.05  # the burn between the pieces went to the rest of the thread


def test_each_piece_resumes_in_the_phase_the_last_one_ended_in_and_the_caller_gets_its_own_back(counting):
    def pieces():
        yield
        costs.switch("metrics")
        yield
        burn(0.03)  # still metrics: no switch in this piece
        return "done"

    def work():
        costs.switch("train")
        burn(0.02)
        run = costs.metered(pieces(), "maps")
        for _ in run:
            pass
        burn(0.02)  # the caller's "train" again, after the pieces
        costs.switch(None)

    phases = phases_of(work)
    assert phases["metrics"] == pytest.approx(0.03, abs=0.006)
    assert phases["train"] == pytest.approx(0.04, abs=0.006)


def test_metered_work_returns_its_value(counting):
    def pieces():
        yield
        return 42

    run = costs.metered(pieces(), "maps")
    next(run)
    with pytest.raises(StopIteration) as done:
        next(run)
    assert done.value.value == 42


def test_the_parts_add_up_to_the_process_cpu(counting):
    async def main():
        def work():
            costs.switch("train")
            burn(0.02)
            costs.switch(None)
            burn(0.01)  # not in a phase: "other"

        await asyncio.to_thread(work)
        burn(0.01)  # the event loop's own work
        return costs.report()

    costs.stop()

    async def started():
        costs.start()  # on the loop: this loop's thread is "event loop"
        return await main()

    r = asyncio.run(started())
    parts = r["phases_s"]
    assert set(parts) == {*costs.PHASES, "event loop", "other"}
    assert sum(parts.values()) == pytest.approx(r["cpu_s"], rel=1e-9, abs=1e-9)
    assert parts["train"] == pytest.approx(0.02, abs=0.006)
    assert parts["event loop"] >= 0.009
    assert r["event_loop"] in ("asyncio", "uvloop")


def test_a_send_is_charged_unless_it_waited_while_other_tasks_ran(counting):
    async def quick():
        burn(0.02)  # the send's own work, not yielding

    async def waits():
        await asyncio.sleep(0)  # the socket was full: other tasks run meanwhile
        burn(0.02)

    async def neighbour():
        burn(0.03)

    async def main():
        costs.start()
        await costs.sending(quick())
        quick_send = costs.report()["phases_s"]["send"]
        other = asyncio.ensure_future(neighbour())
        await costs.sending(waits())
        await other
        return quick_send, costs.report()["phases_s"]["send"]

    costs.stop()
    quick_send, after = asyncio.run(main())
    assert quick_send == pytest.approx(0.02, abs=0.006)
    assert after == quick_send  # the waiting send and its neighbour's work: charged to nobody


def test_off_nothing_is_counted_and_work_is_not_wrapped():
    costs.stop()

    def pieces():
        yield

    work = pieces()
    assert costs.metered(work, "grid") is work
    assert costs.switch("grid") is None
    burn(0.01)
    costs.frame_made()
    r = costs.report()
    assert not r["enabled"] and r["frames_made"] == 0
    assert all(r["phases_s"][p] == 0.0 for p in costs.PHASES)


def test_debug_costs_route_is_off_by_default():
    with TestClient(create_app(Settings())) as client:
        assert client.get("/debug/costs").status_code == 404
        assert "debug" not in client.get("/healthz").text
    assert not costs.enabled()


def test_debug_costs_counts_a_played_frame_by_phase():
    with TestClient(create_app(Settings(debug_costs=True))) as client, \
            client.websocket_connect("/ws") as socket:
        r = Reader(socket)
        r.hello()
        r.send(type="play")
        for _ in range(3):
            r.until("frame")
        r.send(type="pause")
        r.send(type="step", n=5)
        r.until("frame")
        body = client.get("/debug/costs").json()
    assert not costs.enabled()  # the app's shutdown turned counting off again
    assert body["enabled"] and body["frames_made"] >= 2 and body["frames_sent"] >= 2
    parts = body["phases_s"]
    # (not "send": the test client's socket hands every message through a queue, a wait each time)
    for phase in ("train", "grid", "maps", "metrics", "params", "encode", "event loop"):
        assert parts[phase] > 0, phase
    assert sum(parts.values()) == pytest.approx(body["cpu_s"], rel=1e-9, abs=1e-9)
