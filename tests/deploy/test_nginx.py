"""docs/deploy.md's nginx configuration, run for real: nginx terminates TLS on loopback in front of a real
server, and the page and the WebSocket (with the browser's https Origin) go through it. The claims the page
makes about the origin check behind a proxy are checked the same way.

Needs an nginx binary (Debian's `nginx` package; or the path in MLP_PLAYGROUND_TEST_NGINX): skipped without.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from .test_wheel_install import stop

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
HOST = "play.example.org"  # the public name the documented configuration uses
HANG_GUARD_S = 60.0  # turns a hang into a failure; nothing here measures speed


def nginx_binary() -> str:
    found = os.environ.get("MLP_PLAYGROUND_TEST_NGINX") or shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if not found:
        pytest.skip("nginx is not installed (apt-get install nginx, or set MLP_PLAYGROUND_TEST_NGINX)")
    return found


def nginx_blocks() -> list[str]:
    """docs/deploy.md's nginx configurations: the one server first (test_fleet.py runs the fleet's)."""
    blocks = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert blocks and "server 127.0.0.1:8000;" in blocks[0], "docs/deploy.md should show the one server first"
    return blocks


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def localize(block: str, app_port: int, tls_port: int, plain_port: int, certs: Path) -> str:
    """The documented configuration with only the addresses and certificate paths moved to this machine."""
    replacements = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
        (r"listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;"),
        (r"listen 80;", f"listen 127.0.0.1:{plain_port};"),
        (r"ssl_certificate +\S+;", f"ssl_certificate {certs / 'cert.pem'};"),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {certs / 'key.pem'};"),
    ]
    for pattern, value in replacements:
        block, count = re.subn(pattern, value, block)
        assert count == 1, f"docs/deploy.md's nginx block no longer has exactly one {pattern!r}"
    return block


def main_config(http_body: str, work: Path) -> str:
    temp = "".join(f"    {kind}_temp_path {work / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\nmaster_process off;\npid {work / 'nginx.pid'};\n"
            f"error_log {work / 'error.log'} info;\n"
            f"events {{}}\nhttp {{\n    access_log off;\n{temp}{http_body}\n}}\n")


def self_signed(certs: Path) -> None:
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    f"/CN={HOST}", "-keyout", str(certs / "key.pem"), "-out", str(certs / "cert.pem")],
                   check=True, capture_output=True)


def wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode} before listening:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"nothing listens on {port} (hang guard):\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@contextlib.contextmanager
def running(cmd: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        wait_for_port(port, proc, log)
        yield
    finally:
        stop(proc, HANG_GUARD_S)


@contextlib.contextmanager
def stack(tmp_path: Path, app_env: dict[str, str], host_header: str | None = None) -> Iterator[int]:
    """The app on loopback behind the documented nginx; yields nginx's TLS port. ``host_header`` makes
    nginx rewrite Host to that name, as a misconfigured or second proxy would."""
    nginx = nginx_binary()
    app_port, tls_port, plain_port = free_port(), free_port(), free_port()
    self_signed(tmp_path / "certs")
    conf = tmp_path / "nginx.conf"
    documented = localize(nginx_blocks()[0], app_port, tls_port, plain_port, tmp_path / "certs")
    if host_header is not None:
        assert "proxy_set_header Host $http_host;" in documented
        documented = documented.replace("proxy_set_header Host $http_host;",
                                        f"proxy_set_header Host {host_header};")
    conf.write_text(main_config(documented, tmp_path))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MLP_PLAYGROUND_") and k != "FORWARDED_ALLOW_IPS"}
    # the public name, as docs/deploy.md's "The Host check" says to set it behind a proxy
    env.update({"MLP_PLAYGROUND_HOST": "127.0.0.1", "MLP_PLAYGROUND_PORT": str(app_port),
                "MLP_PLAYGROUND_LOG_LEVEL": "warning", "MLP_PLAYGROUND_ALLOWED_HOSTS": HOST, **app_env})
    with running([sys.executable, "-m", "app"], app_port, tmp_path / "app.log", env), \
            running([nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                    tls_port, tmp_path / "nginx.log"):
        yield tls_port


def tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # our own throwaway certificate
    return ctx


def https_get(port: int, path: str) -> tuple[int, bytes]:
    """GET through nginx as a browser at https://play.example.org would send it."""
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", headers={"Host": HOST})
    with urllib.request.urlopen(request, context=tls_context(), timeout=HANG_GUARD_S) as r:
        return r.status, r.read()


def websocket_status(port: int) -> str:
    """'welcome' if a page of https://play.example.org gets its session through nginx, else the refusal."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD_S)
    try:
        with ws_connect(f"wss://{HOST}/ws", sock=sock, ssl=tls_context(), server_hostname=HOST,
                        additional_headers={"Origin": f"https://{HOST}"}, open_timeout=HANG_GUARD_S) as ws:
            ws.send(json.dumps({"type": "hello"}))
            while True:
                message = ws.recv(timeout=HANG_GUARD_S)
                if isinstance(message, str):
                    return json.loads(message)["type"]
    except InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


def syntax_errors(body: str, work: Path) -> str:
    """nginx -t's complaint about an http block's ``body`` ("" when it passes)."""
    conf = work / "syntax.conf"
    conf.write_text(main_config(body, work))
    proc = subprocess.run([nginx_binary(), "-t", "-p", str(work), "-c", str(conf), "-e",
                           str(work / "error.log")], capture_output=True, text=True, check=False)
    return "" if proc.returncode == 0 else proc.stderr


def test_the_documented_server_block_passes_nginx_syntax_check(tmp_path):
    self_signed(tmp_path / "certs")
    assert syntax_errors(localize(nginx_blocks()[0], 8000, 8443, 8080, tmp_path / "certs"), tmp_path) == ""


def test_page_and_websocket_work_through_the_documented_nginx_with_tls(tmp_path):
    with stack(tmp_path, {}) as port:
        status, body = https_get(port, "/")
        assert status == 200 and b"<html" in body.lower()
        assert json.loads(https_get(port, "/healthz")[1])["status"] == "ok"
        # nginx on the same machine: uvicorn trusts its X-Forwarded-Proto, the https origin matches
        assert websocket_status(port) == "welcome"


def test_without_the_public_name_in_allowed_hosts_the_proxied_page_is_refused_400(tmp_path):
    # the Host check (DNS rebinding): on loopback, a name the server was not told of gets 400
    with stack(tmp_path, {"MLP_PLAYGROUND_ALLOWED_HOSTS": "other.example.org"}) as port:
        with pytest.raises(urllib.error.HTTPError) as info:
            https_get(port, "/")
        assert info.value.code == 400 and b"MLP_PLAYGROUND_ALLOWED_HOSTS" in info.value.read()
        assert websocket_status(port) == "refused 403"


def test_behind_an_untrusted_proxy_address_the_socket_still_works(tmp_path):
    # What happens in Docker, where nginx connects from the bridge gateway: uvicorn does not trust its
    # X-Forwarded-Proto, but the origin check compares host and port only, so the https page's socket
    # is accepted anyway.
    with stack(tmp_path, {"FORWARDED_ALLOW_IPS": "172.17.0.1"}) as port:
        assert websocket_status(port) == "welcome"


def test_a_rewritten_host_refuses_the_socket_unless_the_origin_is_named(tmp_path):
    with stack(tmp_path, {}, host_header="mlp_playground") as port:
        assert websocket_status(port) == "refused 403"


def test_naming_the_public_origin_lets_the_socket_through_any_proxy(tmp_path):
    env = {"FORWARDED_ALLOW_IPS": "172.17.0.1", "MLP_PLAYGROUND_ALLOWED_ORIGINS": f"https://{HOST}",
           "MLP_PLAYGROUND_ALLOWED_HOSTS": f"{HOST},mlp_playground"}
    with stack(tmp_path, env, host_header="mlp_playground") as port:
        assert websocket_status(port) == "welcome"
