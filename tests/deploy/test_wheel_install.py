"""What the Docker image would do, without a container engine: build the wheel from the build context that
.dockerignore lets through, install it (not editable) into a fresh virtual environment, and run the
Dockerfile's exact CMD with the Dockerfile's ENV (only the port moved to a free one), as uid 1000 when the
tests run as root. Then /healthz, the page and every asset the page loads, the Dockerfile's HEALTHCHECK
command, and a clean exit on SIGTERM.

Slow (a virtual environment and a pip install): deselect with ``-m "not slow"``; CI runs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from app.settings import ENV_PREFIX

from .assets import EXPECTED_TYPES, links_of
from .dockerfile import DockerIgnore, Stage, final_stage

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WHEEL_EXTRAS = "redis"  # the Dockerfile installs the redis client beside the wheel (test_dockerfile.py)
# Upper bounds that only turn a hang into a failure; nothing here measures speed.
HANG_GUARD_S = 120.0
REQUEST_TIMEOUT_S = 10.0


@dataclass
class Install:
    root: Path  # world-readable scratch directory holding everything below
    venv: Path
    wheel: Path
    home: Path  # the image user's home, owned by that user; the server's working directory
    stage: Stage  # the Dockerfile's final stage
    drop_to_image_uid: bool  # we are root and the venv's Python is usable by the image's uid

    def run_as(self) -> dict:
        """subprocess arguments that switch to the image's uid, as USER does in the container."""
        if not self.drop_to_image_uid:
            return {}
        uid, gid = self.stage.user()
        return {"user": uid, "group": gid if gid is not None else uid, "extra_groups": []}

    def env(self, port: int) -> dict[str, str]:
        """A container's environment: the image's ENV on a clean base, the venv first on PATH (where pip puts
        /usr/local/bin in the image), only the port moved."""
        env = {"PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home),
               "LANG": "C.UTF-8"}
        env.update(self.stage.env())
        env[f"{ENV_PREFIX}PORT"] = str(port)
        return env


def stop(proc: subprocess.Popen, wait_s: float = HANG_GUARD_S) -> None:
    """End a server the test started: SIGTERM, then SIGKILL if it is still there after ``wait_s``."""
    proc.terminate()
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def image_python_version(stage: Stage) -> str:
    match = re.fullmatch(r"(?:docker\.io/)?(?:library/)?python:(\d+\.\d+)[-.\w]*", stage.base)
    assert match, f"the final stage's base {stage.base!r} is not an official python:X.Y image"
    return match.group(1)


def interpreter_for(stage: Stage) -> tuple[str, bool]:
    """A Python of the image's X.Y version (if there is one) to make the venv from, and whether the image's
    uid can run it.
    (A Python under a root-only home, like a pyenv in /root, cannot run as uid 1000; a system one can.)"""
    version = image_python_version(stage)
    found = (sys.executable, shutil.which(f"python{version}"), f"/usr/local/bin/python{version}",
             f"/usr/bin/python{version}")
    candidates = dict.fromkeys(c for c in found if c and os.access(c, os.X_OK))
    probe = "import sys, venv; print('%d.%d' % sys.version_info[:2])"
    matching = [c for c in candidates
                if subprocess.run([c, "-c", probe], capture_output=True, text=True).stdout.strip() == version]
    if not matching:
        matching = [sys.executable]  # another version still proves the wheel; the image pins its own
    if os.geteuid() != 0:
        return matching[0], False  # already unprivileged
    uid, gid = stage.user()
    for candidate in matching:
        try:
            as_image_user = subprocess.run([candidate, "-c", probe], capture_output=True, cwd="/", user=uid,
                                           group=gid if gid is not None else uid, extra_groups=[])
        except PermissionError:
            continue
        if as_image_user.returncode == 0:
            return candidate, True
    return matching[0], False


def build_requirements_met() -> bool:
    """Whether this interpreter already has the build backend pyproject.toml asks for, so the wheel can be
    built without pip's isolated build environment (which would download it again on every run)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]:
        req = Requirement(spec)
        try:
            if not req.specifier.contains(version(req.name), prereleases=True):
                return False
        except PackageNotFoundError:
            return False
    return True


@pytest.fixture(scope="module")
def install() -> Iterator[Install]:
    stage = final_stage(ROOT / "Dockerfile")
    python, drop = interpreter_for(stage)
    # not under pytest's tmp_path: that is private to root, and the server may run as the image's uid
    root = Path(tempfile.mkdtemp(prefix="mlp-playground-deploy-"))
    try:
        root.chmod(0o755)
        context = root / "context"
        for rel in DockerIgnore((ROOT / ".dockerignore").read_text()).context_files(ROOT):
            (context / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, context / rel)
        wheels = root / "wheels"
        isolation = ["--no-build-isolation"] if build_requirements_met() else []
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "--wheel-dir",
             str(wheels), str(context)])
        (wheel,) = wheels.glob("mlp_playground-*.whl")
        venv = root / "venv"
        # a bare venv filled by this interpreter's pip (--python): as fresh as one made with ensurepip, and
        # quicker; --no-compile skips byte-compiling plotly's thousands of modules, which nothing here needs
        run([python, "-m", "venv", "--without-pip", str(venv)])
        run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
             "--no-compile", "--disable-pip-version-check", f"{wheel}[{WHEEL_EXTRAS}]"])
        run(["chmod", "-R", "a+rX", str(root)])  # readable by the image's uid whatever the umask
        home = root / "home"
        home.mkdir()
        result = Install(root=root, venv=venv, wheel=wheel, home=home, stage=stage, drop_to_image_uid=drop)
        if drop:
            ids = result.run_as()
            os.chown(home, ids["user"], ids["group"])
        yield result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    # the image binds every interface, so the port must be free on all of them
    with socket.create_server(("", 0)) as s:
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as r:
            return r.status, r.headers.get("content-type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.read()


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    env: dict[str, str]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def serve(install: Install) -> Iterator[Server]:
    """The Dockerfile's CMD, as the container would start it, up until /healthz answers."""
    port = free_port()
    env = install.env(port)
    cmd = install.stage.cmd()
    program = shutil.which(cmd[0], path=env["PATH"])
    assert program and Path(program).is_relative_to(install.venv), \
        f"CMD {cmd[0]!r} must come from the installed wheel, found {program}"
    log = install.root / f"server-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([program, *cmd[1:]], env=env, cwd=install.home, stdout=out,
                                stderr=subprocess.STDOUT, **install.run_as())
    server = Server(proc=proc, base=f"http://127.0.0.1:{port}", env=env, log=log)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        if server.proc.poll() is not None:
            pytest.fail(f"the server exited with {server.proc.returncode} before /healthz answered:\n"
                        f"{server.log_tail()}")
        with contextlib.suppress(OSError):
            status, _, _ = get(server.base + "/healthz")
            if status == 200:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"/healthz never answered (hang guard):\n{server.log_tail()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server(install: Install) -> Iterator[Server]:
    with serve(install) as s:
        yield s


def checkout_files(folder: str) -> set[str]:
    """Every file under the checkout's `folder`, relative to it, without byte-code."""
    return {p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_installed_package_is_the_wheel_not_the_checkout_and_carries_every_page_file(install):
    probe = ("import app, app.server as s; print(app.__file__); print(s.PACKAGE_DIR); print(s.STATIC_DIR); "
             "print(s.TEMPLATES_DIR)")
    out = run([str(install.venv / "bin" / "python"), "-c", probe], cwd=install.home,
              env=install.env(8000)).stdout.split()
    assert all(Path(p).is_relative_to(install.venv / "lib") for p in out), out
    installed, static, templates = (Path(p) for p in out[1:])
    # the checkout keeps the page's folders at its top level; the wheel carries them inside the package
    assert (static, templates) == (installed / "static", installed / "templates")
    for folder, shipped_as in (("static", static), ("templates", templates), ("app", installed)):
        source = checkout_files(folder)
        shipped = {p.relative_to(shipped_as).as_posix() for p in shipped_as.rglob("*") if p.is_file()}
        assert source, f"{folder}/ is empty in the checkout"
        missing = sorted(source - shipped)
        assert not missing, f"{folder}/ files the wheel lacks (pyproject packages, package-data): {missing}"


def test_the_installed_wheel_can_reach_redis_as_the_image_can(install):
    out = subprocess.run([str(install.venv / "bin" / "python"), "-c", "import redis.asyncio; print('ok')"],
                         capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_healthz_answers_ok_from_the_dockerfile_cmd_and_env(server):
    status, content_type, body = get(server.base + "/healthz")
    assert status == 200 and content_type.startswith("application/json")
    assert json.loads(body)["status"] == "ok"


def test_the_page_and_every_asset_it_loads_answer_200_with_their_type(server):
    page = server.base + "/"
    seen: dict[str, str] = {}
    queue = [page]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        assert urlsplit(url).netloc == urlsplit(page).netloc, \
            f"the page loads {url} from another origin: it must work offline, from this server alone"
        status, content_type, body = get(url)
        assert status == 200, f"{url} answered {status}: {body[:200]!r}"
        seen[url] = content_type
        if url == page:
            assert content_type.startswith("text/html"), content_type
        else:
            suffix = Path(urlsplit(url).path).suffix
            assert suffix in EXPECTED_TYPES, f"{url}: no expected content type for {suffix!r} (add one)"
            mime = content_type.split(";")[0].strip().lower()
            assert mime in EXPECTED_TYPES[suffix], f"{url} served as {content_type!r}"
            assert body, f"{url} is empty"
        queue.extend(links_of(url, content_type, body))
    paths = {urlsplit(u).path for u in seen}
    assert any(p.endswith(".css") for p in paths), f"the page loads no stylesheet: {sorted(paths)}"
    # the crawl reached into the module graph, not just the page's own tags
    modules = {p for p in paths if p.endswith(".js")}
    assert len(modules) > 2, f"too few modules reached: {sorted(modules)}"


def test_the_dockerfile_healthcheck_command_passes_against_the_running_server(server, install):
    _, command = install.stage.healthcheck()
    proc = subprocess.run(command, env=server.env, cwd=install.home, capture_output=True, text=True,
                          timeout=HANG_GUARD_S, check=False, **install.run_as())
    assert proc.returncode == 0, proc.stderr


def test_sigterm_closes_sockets_with_going_away_exits_and_the_healthcheck_then_fails(install):
    with serve(install) as server, ws_connect(server.base.replace("http", "ws", 1) + "/ws",
                                              open_timeout=REQUEST_TIMEOUT_S) as ws:
        ws.send(json.dumps({"type": "hello"}))
        while True:  # past the welcome and whatever the session sends first
            message = ws.recv(timeout=HANG_GUARD_S)
            if isinstance(message, str) and json.loads(message)["type"] == "welcome":
                break
        server.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=HANG_GUARD_S)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001  # going away, not an abort
        try:
            code = server.proc.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server ignored SIGTERM (hang guard):\n{server.log_tail()}")
        # uvicorn re-raises the signal once it has shut down, so "killed by SIGTERM" is the clean ending
        # (exit status 143 in docker ps); anything else is a crash
        assert code in (0, -signal.SIGTERM), f"exit status {code} after SIGTERM:\n{server.log_tail()}"
        _, command = install.stage.healthcheck()
        proc = subprocess.run(command, env=server.env, cwd=install.home, capture_output=True, text=True,
                              timeout=HANG_GUARD_S, check=False, **install.run_as())
        assert proc.returncode != 0, "the HEALTHCHECK passed with no server listening"


def test_the_server_runs_without_root_privileges(server, install):
    if os.geteuid() == 0 and not install.drop_to_image_uid:
        pytest.skip("running as root and no Python of the image's version is usable by the image's uid "
                    "(e.g. only a pyenv Python under /root): cannot run the server as that uid here")
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    real_uid = int(re.search(r"^Uid:\s+(\d+)", status, flags=re.MULTILINE).group(1))
    assert real_uid != 0
    if install.drop_to_image_uid:
        assert real_uid == install.stage.user()[0]
