"""The Redis bus on its own (app/redisbus.py), against a real redis-server: two buses stand for two
processes, and their callbacks record what reaches the rooms they would serve."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from app.redisbus import KEY_PREFIX, RedisBus

WAIT_S = 10.0  # turns a lost message into a failure; nothing here measures speed
CODE = "ABCDEF"


class Recorder:
    """The callbacks of one bus: what arrived, and the answers this process gives."""

    def __init__(self, viewers: dict[str, int] | None = None, fork: dict[str, Any] | None = None):
        self.messages: asyncio.Queue[tuple[str, str, bytes]] = asyncio.Queue()
        self.viewer_counts: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
        self.gone: list[str] = []
        self.viewers = viewers or {}
        self.fork = fork

    def bus(self, url: str) -> RedisBus:
        return RedisBus(url, on_message=lambda *m: self.messages.put_nowait(m), on_host_gone=self.gone.append,
                        on_viewers=lambda *v: self.viewer_counts.put_nowait(v),
                        viewers_of=self.viewers.get, fork_state=self.fork_state)

    async def fork_state(self, code: str) -> dict[str, Any]:
        if self.fork is None:
            raise LookupError("the room has ended")
        return self.fork


def run_buses(redis_url: str, test, host: Recorder | None = None, follower: Recorder | None = None):
    """Run ``test(host_bus, follower_bus, host, follower)`` with two started buses, closed after."""
    host, follower = host or Recorder(), follower or Recorder()

    async def go():
        a, b = host.bus(redis_url), follower.bus(redis_url)
        await a.start()
        await b.start()
        try:
            await a.redis.delete(a.key("room", CODE))  # each test starts from a code nobody holds
            await test(a, b, host, follower)
        finally:
            await a.close()
            await b.close()
    asyncio.run(go())


def test_a_code_is_claimed_by_one_process_only(redis_url):
    async def test(a, b, host, follower):
        assert await a.claim(CODE)
        assert not await b.claim(CODE) and not await a.claim(CODE)
        assert await a.redis.ttl(a.key("room", CODE)) > 0  # a dead host's claim expires
    run_buses(redis_url, test)


def test_a_follower_reads_the_latest_of_each_kind_then_gets_every_message_in_order(redis_url):
    async def test(a, b, host, follower):
        assert await b.follow(CODE) is None  # nobody hosts it yet
        await b.unfollow(CODE)
        assert await a.claim(CODE)
        await a.host(CODE)
        await a.publish(CODE, "config", b'{"type": "config", "n": 1}')
        await a.publish(CODE, "config", b'{"type": "config", "n": 2}')
        await a.publish(CODE, "frame", b"\x00\x01\xff")
        stored = await b.follow(CODE)
        assert stored is not None and stored["host"] == a.proc.encode()
        assert stored["config"] == b'{"type": "config", "n": 2}' and stored["frame"] == b"\x00\x01\xff"
        assert CODE in b.following
        await a.publish(CODE, "state", b'{"type": "state"}')
        await a.publish(CODE, "frame", b"\x02")
        got = [await asyncio.wait_for(follower.messages.get(), WAIT_S) for _ in range(2)]
        assert got == [(CODE, "state", b'{"type": "state"}'), (CODE, "frame", b"\x02")]
        assert host.messages.empty()  # the host does not follow its own room
    run_buses(redis_url, test)


def test_the_outlet_publishes_texts_under_their_kind_and_frames_as_frames(redis_url):
    async def test(a, b, host, follower):
        assert await a.claim(CODE)
        await a.publish(CODE, "config", b"{}")
        await b.follow(CODE)
        outlet = a.outlet(CODE)
        outlet.send_text('dataset\n{"type": "dataset"}')
        outlet.offer_frame(b"frame bytes")
        got = [await asyncio.wait_for(follower.messages.get(), WAIT_S) for _ in range(2)]
        assert got == [(CODE, "dataset", b'{"type": "dataset"}'), (CODE, "frame", b"frame bytes")]
        await outlet.close(1000)
    run_buses(redis_url, test)


def test_a_fork_request_gets_the_hosts_state_or_its_refusal(redis_url):
    state = {"config": {"hidden": [3]}, "parameters": [[0.5]], "view": {"unit": None}}
    host = Recorder(fork=state)

    async def test(a, b, host, follower):
        with pytest.raises(LookupError, match="not listening"):
            await b.fork(CODE)  # no process answers for the code
        assert await a.claim(CODE)
        await a.host(CODE)
        assert await b.fork(CODE) == state
        host.fork = None  # the room ended meanwhile
        with pytest.raises(LookupError, match="the room has ended"):
            await b.fork(CODE)
    run_buses(redis_url, test, host=host)


def test_a_heartbeat_tells_the_host_the_viewer_count_and_notices_a_vanished_host(redis_url):
    follower = Recorder(viewers={CODE: 3})

    async def test(a, b, host, follower):
        assert await a.claim(CODE)
        await a.host(CODE)
        await a.publish(CODE, "config", b"{}")
        assert await b.follow(CODE) is not None
        await b.heartbeat()
        assert await asyncio.wait_for(host.viewer_counts.get(), WAIT_S) == (CODE, b.proc, 3)
        assert follower.gone == []
        await a.redis.delete(a.key("room", CODE))  # as when the host's hash expires
        await b.heartbeat()
        assert follower.gone == [CODE]
    run_buses(redis_url, test, follower=follower)


def test_unhosting_publishes_the_last_room_message_then_deletes_the_hash(redis_url):
    async def test(a, b, host, follower):
        assert await a.claim(CODE)
        await a.host(CODE)
        await a.publish(CODE, "config", b"{}")
        await b.follow(CODE)
        last = json.dumps({"type": "room", "presenter": "ended"})
        await a.unhost(CODE, None, last)
        assert await asyncio.wait_for(follower.messages.get(), WAIT_S) == (CODE, "room", last.encode())
        assert not await a.redis.exists(a.key("room", CODE))
        assert a.key("room", CODE).startswith(KEY_PREFIX)
    run_buses(redis_url, test)
