"""app/slicing.py: a generator of pieces advanced a slice at a time, in the pool, waiting off it for work in
another process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

from app.config import SessionConfig
from app.fairpool import FairPool, Share
from app.protocol import decode_frame
from app.session import Session
from app.slicing import advance, drive, frame_steps, train_slice


def counting(pieces: int, log: list[int]):
    """``pieces`` pieces of work, each noted in ``log``; returns how many ran."""
    for i in range(pieces):
        log.append(i)
        yield
    return len(log)


def test_a_spent_budget_still_runs_one_piece_per_slice_and_the_last_returns_the_value():
    log: list[int] = []
    work = counting(3, log)
    outcomes = [advance(work, 0.0)[:2] for _ in range(4)]
    assert outcomes == [(False, None)] * 3 + [(True, 3)] and log == [0, 1, 2]


def test_an_ample_budget_runs_every_piece_in_one_slice():
    log: list[int] = []
    finished, value, cpu = advance(counting(50, log), 60.0)
    assert finished and value == 50 and cpu >= 0.0


def test_a_piece_that_yields_a_future_ends_its_slice_there():
    waiting = concurrent.futures.Future()

    def work():
        yield
        yield waiting
        yield
        return "after"

    gen = work()
    finished, value, _ = advance(gen, 60.0)
    assert not finished and value is waiting
    assert advance(gen, 60.0)[:2] == (True, "after")


def test_drive_waits_for_work_in_another_process_off_the_pool_and_returns_the_value():
    async def go():
        pool = FairPool(1)
        elsewhere = concurrent.futures.Future()
        pool_free = []

        def work():
            yield elsewhere
            return elsewhere.result() * 2

        async def meanwhile():
            # while drive waits for the future, the pool's one thread serves other calls
            pool_free.append(await pool.run(None, lambda: "served"))
            threading.Timer(0.01, elsewhere.set_result, args=(21,)).start()

        (finished, value, cpu), _ = await asyncio.gather(drive(pool, Share(), work(), 0.01), meanwhile())
        assert finished
        pool.shutdown()
        return value, cpu, pool_free

    value, cpu, pool_free = asyncio.run(go())
    assert value == 42 and cpu >= 0.0 and pool_free == ["served"]


def test_a_slice_that_trains_every_step_carries_on_with_the_frame_of_that_step():
    session = Session(SessionConfig(points=40, steps_per_frame=5))
    done, frame, _ = train_slice(session, 5, 60.0)
    assert done == 5 and isinstance(frame, bytes)
    assert decode_frame(frame)[0]["step"] == 5
    # a slice spent on its step hands back the generator that goes on making the frame
    done, work, _ = train_slice(session, 1, 0.0)
    assert done == 1 and work is not None and not isinstance(work, bytes)
    header, _ = decode_frame(asyncio.run(_finish(work)))
    assert header["step"] == 6


def test_a_slice_spent_before_the_frames_steps_are_done_has_no_frame_yet():
    session = Session(SessionConfig(points=40))
    done, work, _ = train_slice(session, 3, 0.0)  # the budget is checked after every step
    assert done == 1 and work is None and session.step_count == 1


async def _finish(work):
    pool = FairPool(1)
    try:
        _, value, _ = await drive(pool, Share(), work, 60.0)
    finally:
        pool.shutdown()
    return value


def test_frame_steps_encodes_the_sessions_current_frame():
    session = Session(SessionConfig(points=40))
    session.train(7)
    gen = frame_steps(session)
    while True:
        try:
            next(gen)
        except StopIteration as done:
            frame = done.value
            break
    header, _ = decode_frame(frame)
    assert header["step"] == 7 and header["weights"] == [w.round(4).tolist() for w in session.network.weights]


def test_drive_ends_unfinished_once_told_to_stop_and_takes_the_lock_for_each_slice_only():
    async def go():
        pool = FairPool(1)
        lock = asyncio.Lock()
        log: list[int] = []
        held: list[bool] = []

        def work():
            for i in range(100):
                log.append(i)
                held.append(lock.locked())
                yield
            return "all"

        outcome = await drive(pool, Share(), work(), 0.0, lock=lock, going=lambda: len(log) < 3)
        free_after = not lock.locked()
        pool.shutdown()
        return outcome, log, held, free_after

    (finished, value, _), log, held, free_after = asyncio.run(go())
    assert not finished and value is None and log == [0, 1, 2]  # one piece a slice: a spent budget
    assert all(held) and free_after
