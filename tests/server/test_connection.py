"""The per-socket layer (app/connection.py): the one-frame slot, the message order, the tap, the rate
limits on a fake clock, and reading the next well-formed message."""

from __future__ import annotations

import asyncio
import json
import struct

import numpy as np

from app import protocol as p
from app.connection import (
    FLOOD_FACTOR,
    AddressBuckets,
    Connection,
    TokenBucket,
    background,
    next_message,
)

from .helpers import assert_error
from .test_hub import Clock, FakeWS


async def _drain() -> None:
    """Let the connection's sender task run until its queue is empty."""
    for _ in range(5):
        await asyncio.sleep(0)


def _receiver(texts: list[str | None]):
    pending = list(texts)

    async def receive() -> str | None:
        return pending.pop(0) if pending else None
    return receive


def test_latest_frame_wins_holding_at_most_one_frame_in_order():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)  # sender not started: nothing leaves, as with a client that stops reading
        conn.send({"type": "state", "n": 1})
        assert conn.offer_frame(b"a") is False
        assert conn.offer_frame(b"b") is True and conn.offer_frame(b"c") is True
        conn.send({"type": "state", "n": 2})
        assert sum(1 for item in conn._queue if item is None) == 1 and conn.frames_dropped == 2
        conn.start()
        await _drain()
        assert ws.sent == [{"type": "state", "n": 1}, b"c", {"type": "state", "n": 2}]
        assert conn.frames_sent == 1
        await conn.close(1000)
    asyncio.run(go())


def test_the_tap_sees_every_message_and_frame_and_a_closed_connection_takes_nothing():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        tapped: list = []
        conn.tap = tapped.append
        conn.start()
        conn.send({"type": "state", "n": 1})
        conn.send_dumped({"type": "dataset"}, '{"type": "dataset"}')
        conn.offer_frame(b"f")
        await _drain()
        assert tapped == [{"type": "state", "n": 1}, {"type": "dataset"}, b"f"]
        await conn.close(1000)
        assert ws.closed_with == 1000
        conn.send({"type": "state", "n": 2})
        assert conn.offer_frame(b"g") is False
        assert len(tapped) == 3 and len(conn._queue) == 0
    asyncio.run(go())


def test_flush_and_close_sends_what_is_queued_then_closes_with_the_code():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        conn.send(p.error(p.E_IDLE, "idle"))
        await conn.flush_and_close(p.CLOSE_IDLE, "idle")
        assert_error(ws.sent[-1], p.E_IDLE)
        assert ws.closed_with == p.CLOSE_IDLE and conn.closed
    asyncio.run(go())


def test_token_bucket_allows_a_burst_then_refills_at_its_rate_up_to_the_burst():
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token at 2 per second
    assert [bucket.allow() for _ in range(2)] == [True, False]
    clock.now += 100  # a long pause refills to the burst, not beyond
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_token_bucket_floods_only_past_flood_factor_times_rate_plus_burst_drops_within_a_second():
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    for _ in range(3):
        assert bucket.allow()
    limit = FLOOD_FACTOR * 2 + 3
    for _ in range(limit):
        assert not bucket.allow()
    assert not bucket.flooding()  # exactly at the limit: a fast clicker, not a flood
    assert not bucket.allow()
    assert bucket.flooding()
    clock.now += 1.0  # a new second: the drops are counted afresh
    assert bucket.allow() and bucket.allow() and not bucket.allow()
    assert not bucket.flooding() and bucket.dropped == 1


def test_token_bucket_warns_at_most_once_a_second():
    clock = Clock()
    bucket = TokenBucket(rate=1, burst=1, clock=clock)
    assert bucket.warn() and not bucket.warn()
    clock.now += 0.9
    assert not bucket.warn()
    clock.now += 0.1
    assert bucket.warn()


def test_address_buckets_limit_each_address_alone_and_forget_refilled_ones():
    clock = Clock()
    guesses = AddressBuckets(rate=0.5, burst=2, clock=clock)
    assert guesses.has_token("10.0.0.1") and not guesses.buckets  # asking holds no memory
    guesses.take("10.0.0.1")
    guesses.take("10.0.0.1")
    assert not guesses.has_token("10.0.0.1")
    assert guesses.has_token("10.0.0.2")  # another address is not held back
    clock.now += 2.0  # one guess back at 0.5 per second
    assert guesses.has_token("10.0.0.1")
    guesses.prune()
    assert "10.0.0.1" in guesses.buckets  # not yet full again: still remembered
    clock.now += 2.0
    guesses.prune()
    assert not guesses.buckets


def test_next_message_answers_a_malformed_message_and_returns_the_next_good_one():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        conn.start()
        msg = await next_message(conn, _receiver(["not json", '{"type": "play"}']), lambda: True,
                                 lambda: False)
        assert isinstance(msg, p.Play)
        await _drain()
        assert len(ws.sent) == 1 and ws.sent[0]["type"] == "error" and not conn.closed
        await conn.close(1000)
    asyncio.run(go())


def test_next_message_skips_refused_messages_silently_until_one_is_admitted():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        conn.start()
        answers = [False, False, True]
        texts = ['{"type": "pause"}', '{"type": "reset"}', '{"type": "play"}']
        msg = await next_message(conn, _receiver(texts), lambda: answers.pop(0), lambda: False)
        assert isinstance(msg, p.Play)
        await _drain()
        assert ws.sent == [] and not conn.closed
        await conn.close(1000)
    asyncio.run(go())


def test_next_message_tells_a_flooding_client_then_closes_with_4003():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        conn.start()
        msg = await next_message(conn, _receiver(['{"type": "play"}']), lambda: False, lambda: True)
        assert msg is None and conn.closed
        assert ws.closed_with == p.CLOSE_FLOOD
        assert_error(ws.sent[-1], p.E_RATE_LIMITED)
    asyncio.run(go())


def test_next_message_is_none_once_the_socket_ends():
    async def go():
        conn = Connection(FakeWS())
        assert await next_message(conn, _receiver([None]), lambda: True, lambda: False) is None
        await conn.close(1000)
        assert await next_message(conn, _receiver(['{"type": "play"}']), lambda: True, lambda: False) is None
    asyncio.run(go())


def test_a_background_task_runs_to_its_end_and_its_result_is_kept():
    async def go():
        done = asyncio.Event()

        async def work() -> int:
            await asyncio.sleep(0)
            done.set()
            return 7
        task = background(work())
        await asyncio.wait_for(done.wait(), 5.0)
        assert await task == 7
    asyncio.run(go())


# --- hello.same: arrays of the last frame this socket was sent are left out ------------------------------
def _paused(output: int, unit: int) -> bytes:
    return p.encode_frame({"step": 1, "epoch": 0.0, "state": "paused"},
                          [p.FrameArray("output", np.full((2, 2), output, np.uint8), (0.0, 1.0)),
                           p.FrameArray("unit", np.full((2, 2), unit, np.uint8), (0.0, 1.0))])


def _same(frame: bytes) -> list[str]:
    return json.loads(frame[4:4 + struct.unpack_from("<I", frame)[0]]).get("same", [])


def test_a_same_socket_is_sent_only_the_arrays_its_last_frame_did_not_have():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        conn.same = True
        conn.start()
        conn.offer_frame(_paused(5, 1))
        await _drain()
        conn.offer_frame(_paused(5, 2))  # a hovered unit: the output map repeats
        await _drain()
        first, second = ws.sent
        assert _same(first) == [] and _same(second) == ["output"]
        assert p.decode_frame(second, p.decode_frame(first)[1])[1]["unit"].tolist() == [[2, 2], [2, 2]]
        await conn.close(1000)
    asyncio.run(go())


def test_the_reference_is_the_frame_the_socket_was_sent_not_one_replaced_before_it_left():
    async def go():
        ws = FakeWS()
        conn = Connection(ws)
        conn.same = True
        conn.start()
        conn.offer_frame(_paused(5, 1))
        await _drain()
        conn.offer_frame(_paused(6, 1))  # replaced before it left (latest frame wins)...
        conn.offer_frame(_paused(6, 2))  # ...by this one, whose output map only the replaced frame had
        await _drain()
        assert conn.frames_dropped == 1 and len(ws.sent) == 2
        got = ws.sent[1]
        assert _same(got) == []  # the client holds output 5: 6 must come whole
        assert p.decode_frame(got)[1]["output"].tolist() == [[6, 6], [6, 6]]
        await conn.close(1000)
    asyncio.run(go())


def test_a_new_socket_and_one_that_did_not_ask_get_whole_frames_and_the_tap_the_whole_frame():
    async def go():
        plain, fresh = FakeWS(), FakeWS()
        tapped: list = []
        a, b = Connection(plain), Connection(fresh)
        b.same = True
        a.tap = tapped.append  # a presenter's room gets what was offered, never a socket's leftovers
        for conn in (a, b):
            conn.start()
        frames = [_paused(5, 1), _paused(5, 2)]
        a.offer_frame(frames[0])
        await _drain()
        a.offer_frame(frames[1])
        b.offer_frame(frames[1])  # b's first frame: nothing sent before to refer to
        await _drain()
        assert plain.sent == frames and tapped == frames and fresh.sent == [frames[1]]
        for conn in (a, b):
            await conn.close(1000)
    asyncio.run(go())
