"""The fair pool: whoever has used the least CPU goes next; a heavy caller cannot crowd out light ones."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.fairpool import FairPool, Share


class FakeCPU:
    """A CPU clock that advances only when a job says it worked (one pool thread: no races)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def work(self, seconds: float, log: list, name: str):
        def job():
            self.now += seconds
            log.append(name)
            return name
        return job


def gate(pool: FairPool):
    """Occupy the pool's only thread until the returned event is set, so that calls queue up behind it."""
    release, started = threading.Event(), threading.Event()

    def hold():
        started.set()
        release.wait(5)

    return release, started, pool.run(None, hold)


def test_a_share_that_used_more_cpu_waits_behind_shares_that_used_less():
    async def main():
        cpu, log = FakeCPU(), []
        pool = FairPool(1, cost=cpu)
        heavy, light_a, light_b = Share(), Share(), Share()
        await pool.run(heavy, cpu.work(10.0, log, "heavy"))  # heavy has used 10 s of CPU
        release, started, held = gate(pool)
        await asyncio.to_thread(started.wait, 5)
        calls = [pool.run(heavy, cpu.work(10.0, log, "heavy")),
                 pool.run(light_a, cpu.work(1.0, log, "a")),
                 pool.run(light_b, cpu.work(1.0, log, "b"))]
        release.set()
        await held
        await asyncio.gather(*calls)
        pool.shutdown()
        return log

    assert asyncio.run(main()) == ["heavy", "a", "b", "heavy"]


def test_busy_shares_get_equal_cpu_whatever_the_size_of_their_calls():
    # One share's calls cost 10 s of (fake) CPU, two others' 1 s; each queues its next call as soon as one
    # ends, like a runner that is behind its schedule. Every call also takes a few real milliseconds, so
    # that a share's next call is queued while another share's runs. A FIFO pool would give the heavy
    # share 100 of the 120 s; a fair one about 40 to each.
    async def main():
        cpu = FakeCPU()
        pool = FairPool(1, cost=cpu)
        names, size = ("heavy", "light1", "light2"), {"heavy": 10.0, "light1": 1.0, "light2": 1.0}
        used = dict.fromkeys(names, 0.0)
        shares = {name: Share() for name in names}

        def work(name):
            def job():
                time.sleep(0.004)  # real time only: the pool thread lets the loop queue the next calls
                cpu.now += size[name]
            return job

        async def runner(name):
            while cpu.now < 120.0:
                await pool.run(shares[name], work(name))
                used[name] += size[name]

        await asyncio.gather(*(runner(name) for name in names))
        pool.shutdown()
        return used

    used = asyncio.run(main())
    assert used["heavy"] <= 60.0 and min(used["light1"], used["light2"]) >= 25.0, used


def test_a_share_that_sat_idle_gets_no_credit_for_the_time_it_did_not_use():
    async def main():
        cpu, log = FakeCPU(), []
        pool = FairPool(1, cost=cpu)
        busy, idle = Share(), Share()
        for _ in range(5):
            await pool.run(busy, cpu.work(10.0, log, "busy"))
        await pool.run(idle, cpu.work(1.0, log, "idle"))
        pool.shutdown()
        return pool.vtime, idle.finish

    vtime, finish = asyncio.run(main())
    # it starts at the pool's virtual time (40: the last busy call's start), not at 0
    assert vtime == 40.0 and finish == 41.0


def test_an_exception_in_a_call_reaches_its_caller_and_the_pool_goes_on():
    async def main():
        pool = FairPool(1)

        def boom():
            raise ValueError("layer 3: bad weight")

        with pytest.raises(ValueError, match="layer 3"):
            await pool.run(Share(), boom)
        result = await pool.run(Share(), lambda: 42)
        pool.shutdown()
        return result

    assert asyncio.run(main()) == 42


def test_a_call_whose_caller_gave_up_while_it_waited_is_not_run():
    async def main():
        pool = FairPool(1)
        ran = []
        release, started, held = gate(pool)
        await asyncio.to_thread(started.wait, 5)
        waiting = pool.run(Share(), lambda: ran.append("late"))
        waiting.cancel()
        after = pool.run(Share(), lambda: ran.append("next"))
        release.set()
        await held
        await after
        pool.shutdown()
        return ran

    assert asyncio.run(main()) == ["next"]


def test_shutdown_cancels_queued_calls_and_refuses_new_ones():
    async def main():
        pool = FairPool(1)
        release, started, held = gate(pool)
        await asyncio.to_thread(started.wait, 5)
        queued = pool.run(Share(), lambda: "never")
        pool.shutdown()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await queued
        with pytest.raises(RuntimeError, match="shut down"):
            pool.run(Share(), lambda: None)
        return await held

    asyncio.run(main())


def test_calls_that_finish_while_the_loop_is_busy_are_handed_over_with_one_wake():
    async def main():
        loop = asyncio.get_running_loop()
        pool = FairPool(1)
        wakes = []
        real = loop.call_soon_threadsafe

        def counting(callback, *args):
            wakes.append(callback)
            return real(callback, *args)

        loop.call_soon_threadsafe = counting
        done = threading.Event()
        calls = [pool.run(Share(), lambda i=i: i) for i in range(49)]
        calls.append(pool.run(Share(), done.set))
        done.wait(5)  # the loop is busy (blocked here) while all fifty finish
        results = await asyncio.gather(*calls)
        pool.shutdown()
        return results, len(wakes)

    results, wakes = asyncio.run(main())
    assert results == [*range(49), None] and wakes == 1


def test_a_pool_needs_at_least_one_thread():
    with pytest.raises(ValueError, match="threads"):
        FairPool(0)
