"""How evenly docs/deploy.md's nginx route cookie spreads a class over the processes of a fleet. Prints,
asserts nothing.

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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
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
from collections.abc import Iterator
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--browsers", type=int, default=300)
    parser.add_argument("--classes", type=int, default=20)
    args = parser.parse_args()
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
