"""A fleet's two figures that one machine's benchmarks cannot give. Prints, asserts nothing.

1. How evenly docs/deploy.md's nginx route cookie spreads a class over the processes of a fleet.
2. ``--redis``: what one presenter's room costs Redis when its viewers sit on other processes.

Spread:
The documented `map` and `upstream` blocks run in a real nginx, verbatim but for the upstream's `server`
lines, which become P stand-in processes on loopback addresses 127.0.0.2, 127.0.0.3, ... (tiny HTTP servers
in this process that answer with their address: the routing is nginx's alone). Each of N browsers makes its
first request without a cookie, keeps the `Set-Cookie` nginx answers, and is counted on the process its next
request (with the cookie) reaches, as a page's WebSocket would. Repeated for T classes, it prints how many
browsers the fullest process got (mean and worst over the classes) against the even share N / P, and each
process's share of all browsers.

    python3 bench/fleet.py [--processes 8] [--browsers 300] [--classes 20]

Needs nginx (Debian's package). The shares depend on the upstream's addresses (nginx hashes them onto its
ring), so real machines' addresses give other, similar, figures.

Redis: a presenter playing the default scene on one server, one viewer of its room on each of F other
servers (``--followers``), all sharing a redis-server of their own; over ``--seconds`` it prints the frames
the room published (Redis's count of PUBLISH calls), their size as the viewers received them, and Redis's
network bytes in and out per published frame and per second, against the rule of docs/deploy.md (in: each
frame twice, published and kept for late joiners; out: once per following process).

    python3 bench/fleet.py --redis [--followers 2] [--seconds 6]

Needs redis-server and the redis extra.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "deploy.md"
COOKIE = "mlp_route"


def routing_blocks() -> str:
    """The documented fleet configuration's maps and upstream (everything before its first `server {`)."""
    blocks = [b for b in re.findall(r"```nginx\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
              if f"map $cookie_{COOKIE}" in b]
    if len(blocks) != 1:
        sys.exit("docs/deploy.md should show one nginx configuration for several machines")
    return blocks[0].split("\nserver {", 1)[0]


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def config(processes: list[str], port: int, work: Path) -> str:
    routing, count = re.subn(r"(?:    server \d+\.\d+\.\d+\.\d+:\d+;[^\n]*\n)+",
                             "".join(f"    server {p};\n" for p in processes), routing_blocks())
    if count != 1:
        sys.exit("the documented upstream should list its machines in one run of `server` lines")
    temp = "".join(f"    {kind}_temp_path {work / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # the documented location's cookie header, on plain http: TLS changes nothing about the routing
    return (f"daemon off;\nmaster_process off;\npid {work / 'nginx.pid'};\nerror_log {work / 'error.log'};\n"
            f"events {{}}\nhttp {{\n    access_log off;\n{temp}{routing}\n"
            f"server {{\n    listen 127.0.0.1:{port};\n    location / {{\n"
            f"        proxy_pass http://mlp_playground;\n"
            f"        add_header Set-Cookie $mlp_route_cookie always;\n    }}\n}}\n}}\n")


@contextlib.contextmanager
def stand_ins(addresses: list[str], port: int) -> Iterator[None]:
    """HTTP servers on ``addresses`` that answer every request with their own address."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        me = writer.get_extra_info("sockname")[0].encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(me), me))
        await writer.drain()
        writer.close()

    async def serve() -> None:
        servers = [await asyncio.start_server(answer, a, port) for a in addresses]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    ready.wait(30)
    yield


def get(conn: http.client.HTTPConnection, cookie: str | None) -> tuple[str, str | None]:
    """The process that answered, and the route cookie nginx set (None: none set)."""
    conn.request("GET", "/", headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    r = conn.getresponse()
    body = r.read().decode()
    set_cookie = r.getheader("Set-Cookie")
    return body, set_cookie.split(";", 1)[0].split("=", 1)[1] if set_cookie else None


def redis_cost(followers: int, seconds: float) -> None:
    # function-local: only this phase needs the optional redis package, the app's servers and a client
    import redis
    from appserver import Server
    from websockets.asyncio.client import ClientConnection, connect

    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).is_file():
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                             "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        with contextlib.suppress(redis.ConnectionError):
            client.ping()
            break
        time.sleep(0.05)
    url = f"redis://127.0.0.1:{port}/0"
    servers = [Server(redis_url=url) for _ in range(1 + followers)]

    async def message(ws: ClientConnection, kind: str) -> Any:
        """The next message of ``kind``: a frame's bytes, or a JSON message."""
        while True:
            m = await ws.recv()
            if kind == "frame" and isinstance(m, bytes):
                return m
            if isinstance(m, str) and json.loads(m)["type"] == kind:
                return json.loads(m)

    async def drain(ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            while True:
                await ws.recv()

    def counters() -> tuple[int, int, int]:
        stats, calls = client.info("stats"), client.info("commandstats")
        return (stats["total_net_input_bytes"], stats["total_net_output_bytes"],
                calls.get("cmdstat_publish", {}).get("calls", 0))

    async def run() -> None:
        host, *others = servers
        async with connect(host.url, origin=f"http://127.0.0.1:{host.port}", max_size=None) as pres:
            await pres.send(json.dumps({"type": "hello"}))
            await message(pres, "state")
            await pres.send(json.dumps({"type": "present"}))
            code = (await message(pres, "room"))["code"]
            await pres.send(json.dumps({"type": "play"}))
            viewers = [await connect(s.url, origin=f"http://127.0.0.1:{s.port}", max_size=None)
                       for s in others]
            for v in viewers:
                await v.send(json.dumps({"type": "hello", "watch": code}))
                await message(v, "frame")
            sizes: list[int] = []

            async def count(v: ClientConnection) -> None:
                while True:
                    sizes.append(len(await message(v, "frame")))

            readers: list[Awaitable[None]] = [drain(pres), *(count(v) for v in viewers)]
            tasks = [asyncio.ensure_future(r) for r in readers]
            before, start = counters(), time.monotonic()
            await asyncio.sleep(seconds)
            after, elapsed = counters(), time.monotonic() - start
            for t in tasks:
                t.cancel()
            for v in viewers:
                await v.close()
        bytes_in, bytes_out, frames = (a - b for a, b in zip(after, before, strict=True))
        size = statistics.mean(sizes) if sizes else float("nan")
        print(f"one presenter (default scene), {followers} following processes, {elapsed:.1f} s:")
        print(f"  published {frames / elapsed:.1f} frames/s of {size / 1000:.1f} KB")
        rows = (("in: ", bytes_in, 2), ("out:", bytes_out, followers))
        for name, total, times in rows:
            per_frame, per_second = total / frames / 1000, total / elapsed / 1e6
            print(f"  Redis {name} {per_frame:.1f} KB per frame ({per_second:.2f} MB/s); "
                  f"the rule, {times} x frame: {times * size / 1000:.1f} KB")

    try:
        asyncio.run(run())
    finally:
        for s in servers:
            s.stop()
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--browsers", type=int, default=300)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--redis", action="store_true", help="measure a room's Redis traffic instead")
    parser.add_argument("--followers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    if args.redis:
        redis_cost(args.followers, args.seconds)
        return
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).is_file():
        sys.exit("nginx is not installed (apt-get install nginx)")
    if not 1 <= args.processes <= 250:
        sys.exit("--processes: 1 to 250 (one loopback address each)")
    addresses = [f"127.0.0.{2 + i}" for i in range(args.processes)]
    backend_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp, stand_ins(addresses, backend_port):
        work = Path(tmp)
        (work / "nginx.conf").write_text(config([f"{a}:{backend_port}" for a in addresses], port, work))
        proc = subprocess.Popen([nginx, "-p", str(work), "-c", str(work / "nginx.conf"), "-e",
                                 str(work / "error.log")], stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(300):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if proc.poll() is not None:
                    sys.exit(f"nginx exited: {proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.05)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            fullest, total = [], Counter[str]()
            for _ in range(args.classes):
                landed = Counter[str]()
                for _ in range(args.browsers):
                    _, cookie = get(conn, None)  # the page: no cookie yet, nginx sets one
                    where, again = get(conn, cookie)  # the WebSocket, with it
                    assert cookie and again is None, "nginx should set the cookie once, then route by it"
                    landed[where] += 1
                fullest.append(max(landed.values()))
                total.update(landed)
        finally:
            proc.terminate()
            proc.wait(30)
    even = args.browsers / args.processes
    print(f"{args.browsers} browsers over {args.processes} processes, {args.classes} classes "
          f"(even share {even:.1f}):")
    mean = statistics.mean(fullest)
    print(f"  fullest process: mean {mean:.1f} ({mean / even:.2f}x the even share), "
          f"worst {max(fullest)} ({max(fullest) / even:.2f}x)")
    shares = ", ".join(f"{total[a] / (args.browsers * args.classes):.3f}" for a in addresses)
    print(f"  share of all browsers per process: {shares} (even: {1 / args.processes:.3f})")


if __name__ == "__main__":
    main()
