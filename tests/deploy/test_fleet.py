"""docs/deploy.md's recipe for several machines behind one load balancer, run for real.

Two single-worker servers play two machines on their own loopback addresses (all of 127/8 is loopback on
Linux), with the same port, the documented settings file and one password-protected redis-server; nginx runs
the documented configuration in front of them, connecting to them from an address of its own (the
balancer's machine). Only the addresses, the name of each process, the port, the certificate paths and the
grace period are the test's; it adds to nginx a log of where each request went and a page of another site
(slides embedding the player). Every check goes through nginx as a browser would (a cookie jar, an https
Origin; Chromium for the embedded player) and reads each machine's own /healthz to see where sessions landed.

Needs nginx and redis-server (Debian's packages; scripts/test installs them) and the redis extra: skipped
without.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from app import protocol as p

from .test_nginx import HOST, main_config, nginx_binary, self_signed, syntax_errors, tls_context
from .test_wheel_install import stop

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
HANG_GUARD_S = 60.0  # turns a hang into a failure; nothing here measures speed
MACHINES = ("127.0.0.2", "127.0.0.3")  # the doc's 10.0.0.11 and 10.0.0.12
BALANCER = "127.0.0.9"  # the doc's 10.0.0.5: the address nginx's connections to the machines come from
DOC_BALANCER, DOC_REDIS = "10.0.0.5", "10.0.0.20:6379"
HALL = "127.0.0.1"  # one address for many browsers: a lecture hall behind NAT
SMALL = {"points": 40, "grid": 20, "thumbnail": 8}  # cheap sessions: the test is about routing, not training
COOKIE = "mlp_route"
SLIDES = "slides.example.com"  # another site, whose slides embed the player
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TLS = tls_context()  # made once: loading the system's certificates costs more than a request


def fleet_block() -> str:
    blocks = [b for b in re.findall(r"```nginx\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
              if f"map $cookie_{COOKIE}" in b]
    assert len(blocks) == 1, "docs/deploy.md should show one nginx configuration for several machines"
    return blocks[0]


def documented_env() -> dict[str, str]:
    """The settings file every machine gets, as docs/deploy.md shows it."""
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
              if b.startswith("# /etc/mlp-playground.env")]
    assert len(blocks) == 1, "docs/deploy.md should show the settings file /etc/mlp-playground.env once"
    return dict(line.split("=", 1) for line in blocks[0].splitlines() if line and not line.startswith("#"))


def localize(block: str, backends: list[str], tls_port: int, plain_port: int, certs: Path) -> str:
    """The documented configuration with the upstream's machines, the listening ports and the certificate
    paths moved to this machine; nothing else changes."""
    servers = re.compile(r"(?:    server \d+\.\d+\.\d+\.\d+:\d+;[^\n]*\n)+")
    assert len(servers.findall(block)) == 1, "the upstream should list its machines in one run of lines"
    block = servers.sub("".join(f"    server {b};\n" for b in backends), block)
    replacements = [
        (r"listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;"),
        (r"listen 80;", f"listen 127.0.0.1:{plain_port};"),
        (r"ssl_certificate +\S+;", f"ssl_certificate {certs / 'cert.pem'};"),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {certs / 'key.pem'};"),
    ]
    for pattern, value in replacements:
        block, count = re.subn(pattern, value, block)
        assert count == 1, f"docs/deploy.md's fleet block no longer has exactly one {pattern!r}"
    return block


def free_port(address: str = "127.0.0.1") -> int:
    with socket.create_server((address, 0)) as s:
        return s.getsockname()[1]


def wait_until_listening(address: str, port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode} before listening:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"nothing listens on {address}:{port} (hang guard):\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


@dataclass
class Machine:
    """One application machine: a single-worker server on its own address."""

    name: str
    address: str
    port: int
    log: Path
    proc: subprocess.Popen = field(repr=False)

    def health(self) -> dict[str, Any]:
        """Its own /healthz, straight, not through the balancer."""
        url = f"http://{self.address}:{self.port}/healthz"
        with urllib.request.urlopen(url, timeout=HANG_GUARD_S) as r:
            return json.loads(r.read())


@dataclass
class Fleet:
    port: int  # nginx's https port
    machines: dict[str, Machine]
    routes: Path  # nginx's log of every request: its path, the route cookie it carried, the machine

    def routed(self, path: str) -> list[tuple[str, str]]:
        """The route cookie ("-": none) and the machine of every request for ``path`` so far."""
        lines = [line.split(" ") for line in self.routes.read_text().splitlines()]
        return [(cookie, machine) for uri, cookie, machine in lines if uri == path]

    def sessions(self) -> dict[str, int]:
        return {name: m.health()["sessions"] for name, m in self.machines.items()}


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A redis-server with the documented URL's password; yields that URL moved to this machine."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(server):
        pytest.skip("redis-server is not installed (apt-get install redis-server; scripts/test installs it)")
    pytest.importorskip("redis", reason="the servers need the redis extra (pip install '.[redis]')")
    url = documented_env()["MLP_PLAYGROUND_REDIS_URL"]
    assert DOC_REDIS in url, "the documented Redis URL should name Redis's machine"
    password = urllib.parse.urlsplit(url).password
    assert password, "the documented Redis URL should carry a password: Redis listens on the network"
    port = free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    with log.open("w") as out:
        proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--requirepass",
                                 password, "--save", "", "--appendonly", "no"], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_until_listening("127.0.0.1", port, proc, log)
        yield url.replace(DOC_REDIS, f"127.0.0.1:{port}")
    finally:
        stop(proc, HANG_GUARD_S)


def start_machine(name: str, address: str, port: int, redis_url: str, work: Path) -> Machine:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MLP_PLAYGROUND_") and k != "FORWARDED_ALLOW_IPS"}
    documented = documented_env()
    assert documented["FORWARDED_ALLOW_IPS"] == DOC_BALANCER, "the machines should trust the balancer only"
    env.update(documented)
    env.update({
        "MLP_PLAYGROUND_HOST": address,  # the doc's 0.0.0.0: here two machines share one loopback
        "MLP_PLAYGROUND_PORT": str(port), "MLP_PLAYGROUND_NODE_NAME": name,
        "MLP_PLAYGROUND_REDIS_URL": redis_url, "FORWARDED_ALLOW_IPS": BALANCER,
        "MLP_PLAYGROUND_LOG_LEVEL": "warning",
        # parked sessions outlive the module, so that the session counts each test reads stay exact
        "MLP_PLAYGROUND_GRACE_PERIOD": "600",
    })
    log = work / f"{name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app"], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=ROOT)
    return Machine(name, address, port, log, proc)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, redis_server) -> Iterator[Fleet]:
    nginx = nginx_binary()
    work = tmp_path_factory.mktemp("fleet")
    port = free_port(MACHINES[0])  # one port on every machine, as the doc's 8001 on each
    machines = {name: start_machine(name, address, port, redis_server, work)
                for name, address in zip(("m1", "m2"), MACHINES, strict=True)}
    tls_port, plain_port = free_port(), free_port()
    self_signed(work / "certs")
    body = localize(fleet_block(), [f"{m.address}:{m.port}" for m in machines.values()], tls_port,
                    plain_port, work / "certs")
    # the balancer is a machine of its own: its connections to the machines come from its address; it
    # logs where it sent what; and it serves another site's slides, which embed the player
    certs = work / "certs"
    slides = (f"server {{\n    listen 127.0.0.1:{tls_port} ssl;\n    server_name {SLIDES};\n"
              f"    ssl_certificate {certs / 'cert.pem'};\n    ssl_certificate_key {certs / 'key.pem'};\n"
              f"    location = / {{\n        default_type text/html;\n        return 200 '<!doctype html>"
              f"<title>Slides</title><iframe src=\"https://{HOST}:{tls_port}/?embed=1\" width=\"960\" "
              f"height=\"540\"></iframe>';\n    }}\n}}\n")
    conf = work / "nginx.conf"
    routes = work / "routes.log"
    log = (f"    log_format routes '$uri $cookie_{COOKIE} $upstream_addr';\n"
           f"    access_log {routes} routes;\n")
    conf.write_text(main_config(f"    proxy_bind {BALANCER};\n{body}{slides}", work).replace(
        "    access_log off;\n", log))
    balancer = None
    try:
        for m in machines.values():
            wait_until_listening(m.address, m.port, m.proc, m.log)
        with (work / "nginx.log").open("w") as out:
            balancer = subprocess.Popen([nginx, "-p", str(work), "-c", str(conf), "-e",
                                         str(work / "error.log")], stdout=out, stderr=subprocess.STDOUT)
        wait_until_listening("127.0.0.1", tls_port, balancer, work / "nginx.log")
        yield Fleet(tls_port, machines, routes)
        for m in machines.values():
            if m.proc.poll() is None:
                assert "Traceback" not in m.log.read_text(), m.log.read_text()[-3000:]
    finally:
        if balancer is not None:
            stop(balancer, HANG_GUARD_S)
        for m in machines.values():
            stop(m.proc, HANG_GUARD_S)


class Browser:
    """A browser as nginx sees it: an address and a cookie jar (``cookies=False``: one that refuses them,
    as in a frame of another site with third-party cookies blocked)."""

    def __init__(self, fleet: Fleet, sockets: contextlib.ExitStack, address: str = HALL,
                 cookies: bool = True):
        self.fleet, self.sockets, self.address, self.keeps_cookies = fleet, sockets, address, cookies
        self.jar: dict[str, str] = {}
        self.set_cookies: list[str] = []  # every Set-Cookie header it was sent

    def _cookie(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())} if self.jar else {}

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.fleet.port, timeout=HANG_GUARD_S,
                                           source_address=(self.address, 0), context=TLS)
        try:
            conn.request("GET", path, headers={"Host": HOST, **self._cookie()})
            r = conn.getresponse()
            body = r.read()
            for header in r.headers.get_all("Set-Cookie") or []:
                self.set_cookies.append(header)
                if self.keeps_cookies:
                    name, _, value = header.split(";", 1)[0].partition("=")
                    self.jar[name.strip()] = value.strip()
            return r.status, body
        finally:
            conn.close()

    def open_page(self) -> None:
        status, body = self.get("/")
        assert status == 200 and b"<html" in body.lower()

    def node(self) -> str:
        """The process that answers this browser's requests, by the /healthz nginx passes on."""
        status, body = self.get("/healthz")
        assert status == 200
        return json.loads(body)["node"]

    def socket(self) -> ClientConnection:
        sock = socket.create_connection(("127.0.0.1", self.fleet.port), timeout=HANG_GUARD_S,
                                        source_address=(self.address, 0))
        # closed at the latest when the test ends; a close waits at most 2 s for the server's answer
        return self.sockets.enter_context(ws_connect(
            f"wss://{HOST}/ws", sock=sock, ssl=TLS, server_hostname=HOST, max_size=None,
            additional_headers={"Origin": f"https://{HOST}", **self._cookie()}, open_timeout=HANG_GUARD_S,
            close_timeout=2))

    def session(self, **hello: Any) -> tuple[ClientConnection, dict[str, Any]]:
        """A socket and its welcome (what follows the welcome is left to read)."""
        ws = self.socket()
        ws.send(json.dumps({"type": "hello", "config": SMALL, **hello}))
        return ws, recv(ws, "welcome")


def recv(ws: ClientConnection, kind: str, limit: int = 2000) -> dict[str, Any]:
    """The next message of ``kind`` ("frame": a binary frame's header), skipping others."""
    for _ in range(limit):
        m = ws.recv(timeout=HANG_GUARD_S)  # a hang guard, not a speed requirement
        if kind == "frame" and isinstance(m, bytes):
            return p.decode_frame(m)[0]
        if isinstance(m, str) and json.loads(m)["type"] == kind:
            return json.loads(m)
    raise AssertionError(f"no {kind} in {limit} messages")


def step_to(ws: ClientConnection, n: int) -> dict[str, Any]:
    """Train ``n`` steps; returns the header of the frame at that step (its weights are the page's)."""
    ws.send(json.dumps({"type": "step", "n": n}))
    frame = None
    for _ in range(2000):
        m = ws.recv(timeout=HANG_GUARD_S)
        if isinstance(m, bytes):
            frame = p.decode_frame(m)[0]
        elif json.loads(m)["type"] == "state" and json.loads(m)["step"] == n:
            assert frame is not None and frame["step"] == n
            return frame
    raise AssertionError(f"no state at step {n}")


def drop(ws: ClientConnection) -> None:
    """The connection breaks (wifi gone): no close frame, the server learns it from the socket."""
    with contextlib.suppress(OSError):
        ws.socket.shutdown(socket.SHUT_RDWR)
    ws.close()


@pytest.fixture
def new_browser(fleet) -> Iterator[Any]:
    """Makes browsers; their sockets are closed when the test ends."""
    with contextlib.ExitStack() as sockets:
        yield lambda address=HALL, cookies=True: Browser(fleet, sockets, address, cookies)


def browsers_on(new_browser: Any, name: str, count: int) -> list[Browser]:
    """``count`` fresh browsers that nginx routes to machine ``name`` (new cookies until they do)."""
    found = []
    for _ in range(100):  # each fresh browser lands on either machine: 100 misses in a row are no chance
        b = new_browser()
        b.open_page()
        if b.node() == name:
            found.append(b)
            if len(found) == count:
                return found
    raise AssertionError(f"no {count} browsers routed to {name} in 100")


# --- the tests, in the order a fleet's life goes: the last one kills a machine ----------------------------


def test_the_documented_fleet_configuration_passes_nginx_syntax_check(tmp_path):
    self_signed(tmp_path / "certs")
    body = localize(fleet_block(), ["10.0.0.11:8001", "10.0.0.12:8001"], 8443, 8080, tmp_path / "certs")
    assert syntax_errors(body, tmp_path) == ""


def test_a_browser_gets_one_route_cookie_and_sticks_to_one_machine_across_dropped_sockets(fleet, new_browser):
    b = new_browser()
    b.open_page()
    (cookie,) = b.set_cookies
    assert re.fullmatch(rf"{COOKIE}=[0-9a-f]{{32}}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned",
                        cookie), cookie
    home = b.node()
    assert home in fleet.machines
    before = fleet.sessions()
    ws, welcome = b.session()
    assert welcome["resumed"] is False
    step_to(ws, 5)
    assert fleet.sessions() == {**before, home: before[home] + 1}  # the session lives where the page did
    for _ in range(4):
        drop(ws)
        ws, again = b.session(token=welcome["token"])
        assert again["resumed"] is True and again["session"] == welcome["session"]
        assert recv(ws, "state")["step"] == 5
        assert b.node() == home
    ws.close()
    assert b.set_cookies == [cookie]  # set once, on the first answer; sent back ever since
    assert fleet.sessions() == {**before, home: before[home] + 1}


def test_twenty_browsers_behind_one_address_spread_over_both_machines(fleet, new_browser):
    before = fleet.sessions()
    landed: Counter[str] = Counter()
    sockets = []
    for _ in range(20):
        b = new_browser(HALL)
        b.open_page()
        node = b.node()
        ws, welcome = b.session()
        assert welcome["resumed"] is False
        sockets.append(ws)
        landed[node] += 1
    after = fleet.sessions()
    # each machine holds the sessions of the browsers nginx routed to it
    assert {name: after[name] - before[name] for name in after} == {name: landed[name] for name in after}
    # with an even split, a machine gets fewer than 2 of 20 once in 25,000 runs; by address: all 20 on one
    assert min(landed[name] for name in fleet.machines) >= 2, landed
    for ws in sockets:
        ws.close()


def test_a_browser_that_refuses_the_cookie_is_routed_by_its_address_and_still_resumes(fleet, new_browser):
    b = new_browser("127.0.0.7", cookies=False)
    b.open_page()
    nodes = {b.node() for _ in range(6)}
    assert len(nodes) == 1 and len(b.set_cookies) == 7  # offered a cookie every time, sent none back
    ws, welcome = b.session()
    step_to(ws, 3)
    drop(ws)
    ws, again = b.session(token=welcome["token"])
    assert again["resumed"] is True and recv(ws, "state")["step"] == 3
    ws.close()


def test_a_viewer_on_one_machine_watches_a_presenter_on_the_other_through_redis(fleet, new_browser):
    (presenter,) = browsers_on(new_browser, "m1", 1)
    (viewer,) = browsers_on(new_browser, "m2", 1)
    pres, _ = presenter.session()
    recv(pres, "state")
    pres.send(json.dumps({"type": "present"}))
    code = recv(pres, "room")["code"]
    pres.send(json.dumps({"type": "play"}))
    watch = viewer.socket()
    watch.send(json.dumps({"type": "hello", "watch": code}))
    assert recv(watch, "room")["presenter"] == "connected"
    assert recv(watch, "welcome")["token"] is None
    steps = [recv(watch, "frame")["step"] for _ in range(6)]
    assert steps == sorted(steps) and steps[-1] > steps[0]  # live frames, trained on m1
    for _ in range(500):  # m2's heartbeat through Redis: the presenter learns of its viewer
        if recv(pres, "room")["viewers"] == 1:
            break
    else:
        raise AssertionError("the presenter never counted the viewer on the other machine")
    assert fleet.machines["m1"].health()["rooms"] == 1 and fleet.machines["m2"].health()["viewers"] == 1
    drop(watch)
    drop(pres)


def test_the_machines_see_each_browsers_own_address_not_the_balancers(fleet, new_browser):
    # Per-address limits (here: wrong room codes) must count students, not the balancer they come
    # through: FORWARDED_ALLOW_IPS names the balancer, so uvicorn takes X-Forwarded-For from it.
    guesser = new_browser("127.0.0.5")
    guesser.open_page()
    answers = []
    for _ in range(40):
        ws = guesser.socket()
        ws.send(json.dumps({"type": "hello", "watch": "ZZZZZZ"}))
        answers.append(recv(ws, "error")["code"])
        ws.close()
        if answers[-1] == p.E_RATE_LIMITED:
            break
    assert answers[-1] == p.E_RATE_LIMITED and set(answers[:-1]) == {p.E_UNKNOWN_ROOM}, answers
    neighbour = new_browser("127.0.0.6")
    neighbour.jar = dict(guesser.jar)  # the same machine (limits count per process), another address
    assert neighbour.node() == guesser.node()
    ws = neighbour.socket()
    ws.send(json.dumps({"type": "hello", "watch": "ZZZZZZ"}))
    assert recv(ws, "error")["code"] == p.E_UNKNOWN_ROOM
    ws.close()


def test_a_real_browser_in_another_sites_slides_keeps_its_cookie_and_machine_with_third_party_cookies_blocked(
        fleet):
    # Chromium, the player in an iframe of another site, where the route cookie is a third-party cookie,
    # with third-party cookies blocked: `Partitioned` keeps it (without, this browser stores none), and
    # every visit's socket carries it to one machine
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    resolve = f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP {SLIDES} 127.0.0.1"
    before = fleet.sessions()
    sockets_before = len(fleet.routed("/ws"))
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=[*CHROMIUM_ARGS, resolve, "--ignore-certificate-errors",
                                           "--test-third-party-cookie-phaseout"])
        try:
            context = browser.new_context()
            page = context.new_page()
            for visit in range(1, 4):
                page.goto(f"https://{SLIDES}:{fleet.port}/")
                deadline = time.monotonic() + HANG_GUARD_S
                while sum(fleet.sessions().values()) < sum(before.values()) + visit:  # the player's session
                    assert time.monotonic() < deadline, "the embedded player never opened its session"
                    time.sleep(0.1)
            cookies = [c for c in context.cookies() if c["name"] == COOKIE]
        finally:
            browser.close()
    (cookie,) = cookies
    assert cookie["domain"] == HOST and cookie["secure"] and cookie["httpOnly"]
    # kept in the jar of the slides' site
    assert cookie["sameSite"] == "None" and cookie["partitionKey"] == "https://example.com"
    sockets = fleet.routed("/ws")[sockets_before:]
    assert [c for c, _ in sockets] == [cookie["value"]] * 3  # every visit's socket carried it
    (machine,) = {m for _, m in sockets}
    home = next(name for name, m in fleet.machines.items() if machine == f"{m.address}:{m.port}")
    assert fleet.sessions() == {**before, home: before[home] + 3}


def test_a_killed_machines_browsers_reconnect_to_the_other_and_put_their_network_back(fleet, new_browser):
    doomed, survivor = fleet.machines["m1"], fleet.machines["m2"]
    browsers = browsers_on(new_browser, "m1", 3)
    pages = []
    for b in browsers:
        ws, welcome = b.session()
        pages.append((b, ws, welcome, step_to(ws, 7)))
    before = survivor.health()["sessions"]
    doomed.proc.send_signal(signal.SIGKILL)  # the machine is gone: no close frames, no goodbye
    doomed.proc.wait(timeout=HANG_GUARD_S)
    for b, ws, welcome, frame in pages:
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=HANG_GUARD_S)
        # the page reconnects with its token, through nginx, and reaches the other machine
        ws, again = b.session(token=welcome["token"])
        # a fresh session: the page shows its notice and sends back the network of its last frame
        assert again["resumed"] is False and again["token"] != welcome["token"]
        layers = len(frame["weights"])
        for layer in range(layers):
            ws.send(json.dumps({"type": "restore", "step": 7, "layer": layer, "frame": layer == layers - 1,
                                "weights": frame["weights"][layer], "biases": frame["biases"][layer]}))
        restored = recv(ws, "frame")
        while restored["step"] != 7:  # the fresh session's greeting frame (step 0) comes first
            restored = recv(ws, "frame")
        assert restored["weights"] == frame["weights"] and recv(ws, "state")["step"] == 7
        ws.close()
        assert b.node() == "m2"
        b.open_page()  # the page itself still loads, its cookie still naming the dead machine
    assert survivor.health()["sessions"] == before + len(browsers)
    assert "Traceback" not in survivor.log.read_text()
