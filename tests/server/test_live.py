"""A real uvicorn process driven by the ``websockets`` client: frames, backpressure, reconnect, origins,
the size limit, "server full" and SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app import protocol as p

from .helpers import assert_error
from .live import LiveServer, recv_json, run


@pytest.fixture(scope="module")
def server():
    s = LiveServer(grace_period=30)
    yield s
    s.stop()


async def recv_frame(ws) -> tuple[dict, dict, bytes]:
    while True:
        m = await ws.recv()
        if isinstance(m, bytes):
            header, arrays = p.decode_frame(m)
            return header, arrays, m


async def greet(ws, **fields) -> dict:
    """Send hello; returns the welcome once the state that ends the greeting has arrived."""
    await ws.send(json.dumps({"type": "hello", **fields}))
    welcome = await recv_json(ws, "welcome")
    welcome["first_state"] = await recv_json(ws, "state")
    return welcome


def test_playing_streams_frames_with_rising_steps(server):
    async def go():
        async with connect(server.url, origin=server.origin) as ws:
            await greet(ws)
            await ws.send(json.dumps({"type": "play"}))
            steps = []
            for _ in range(10):
                header, arrays, raw = await recv_frame(ws)
                steps.append(header["step"])
                assert len(raw) <= 16 * 1024 and arrays["output"].shape == (100, 100)
            assert steps == sorted(steps) and steps[-1] > steps[0]
    run(go())


def test_client_that_stops_reading_gets_fewer_newer_frames(server):
    async def go():
        before = server.health()["frames_dropped"]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window fills quickly
        sock.connect(("127.0.0.1", server.port))
        async with connect(server.url, sock=sock, max_queue=1) as ws:
            await greet(ws)
            await ws.send(json.dumps({"type": "configure", "config": {"steps_per_frame": 10, "grid": 200}}))
            await ws.send(json.dumps({"type": "play"}))
            await recv_frame(ws)
            # stop reading: the socket buffers fill, the server keeps one frame and replaces it
            for _ in range(200):
                await asyncio.sleep(0.05)
                if server.health()["frames_dropped"] >= before + 3:
                    break
            assert server.health()["frames_dropped"] >= before + 3
            # reading again: frames resume, with steps far ahead of the dropped ones
            first, _, _ = await recv_frame(ws)
            last = first
            for _ in range(400):
                last, _, _ = await recv_frame(ws)
                if last["step"] > first["step"] + 50:
                    break
            assert last["step"] > first["step"] + 50
    run(go())


def test_reconnect_with_token_resumes_the_session_and_its_steps(server):
    async def go():
        async with connect(server.url) as ws:
            w = await greet(ws)
            await ws.send(json.dumps({"type": "step", "n": 33}))
            assert (await recv_json(ws, "state"))["step"] == 33
        async with connect(server.url) as ws:
            w2 = await greet(ws, token=w["token"])
            assert w2["session"] == w["session"] and w2["resumed"] is True
            assert w2["first_state"]["step"] == 33
    run(go())


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.com", "other-port",
                                    "garbage"])
def test_foreign_origins_are_refused_with_403(server, origin):
    if origin == "other-port":
        origin = f"http://127.0.0.1:{server.port + 1}"

    async def go():
        with pytest.raises(InvalidStatus) as info:
            async with connect(server.url, origin=origin):
                pass
        assert info.value.response.status_code == 403
    run(go())


def test_oversize_message_closes_with_1009(server):
    async def go():
        async with connect(server.url) as ws:
            await greet(ws)
            await ws.send(json.dumps({"type": "configure", "config": {"pad": "x" * 70_000}}))
            with pytest.raises(ConnectionClosed) as info:
                for _ in range(100):
                    await ws.recv()
            assert info.value.rcvd.code == p.CLOSE_TOO_BIG
    run(go())


@pytest.mark.parametrize(("payload", "text", "code"), [
    (b"\x00\x01", False, p.CLOSE_UNSUPPORTED_DATA),
    (b'{"type": "step", "x": "\xff\xfe"}', True, p.CLOSE_INVALID_PAYLOAD),
])
def test_binary_and_invalid_utf8_messages_close_the_socket(server, payload, text, code):
    async def go():
        async with connect(server.url) as ws:
            await greet(ws)
            await ws.send(payload, text=text)
            with pytest.raises(ConnectionClosed) as info:
                for _ in range(100):
                    await ws.recv()
            assert info.value.rcvd.code == code
    run(go())


def test_server_full_then_sigterm_closes_every_socket_with_1001():
    server = LiveServer(max_sessions=1)
    try:
        async def go():
            async with connect(server.url) as first:
                await greet(first)
                await first.send(json.dumps({"type": "play"}))
                await recv_frame(first)
                async with connect(server.url) as second:
                    await second.send(json.dumps({"type": "hello"}))
                    assert_error(json.loads(await second.recv()), p.E_SERVER_FULL, mentions="server full")
                    with pytest.raises(ConnectionClosed) as info:
                        await second.recv()
                    assert info.value.rcvd.code == p.CLOSE_TRY_AGAIN_LATER
                server.proc.send_signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed) as info:
                    for _ in range(100_000):
                        await first.recv()
                assert info.value.rcvd.code == p.CLOSE_GOING_AWAY
        run(go())
        # the requirement: exit within 10 s; uvicorn re-raises the signal after its clean shutdown
        assert server.proc.wait(timeout=10) in (0, -signal.SIGTERM)
    finally:
        server.stop()
