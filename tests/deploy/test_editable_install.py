"""The editable install (`pip install -e .`, what scripts/test does) serves the page from the checkout's
top-level static/ and templates/, which sit beside the package there rather than inside it as in a wheel.

A copy of the package's files is installed editable into a fresh virtual environment that sees this
interpreter's packages (so nothing but the project itself is installed), and its `mlp-playground` runs from
another directory. Slow (a pip install): deselect with ``-m "not slow"``; CI runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .test_wheel_install import HANG_GUARD_S, build_requirements_met, free_port, get, run, stop

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("pyproject.toml", "README.md", "app", "static", "templates")


@dataclass
class Editable:
    checkout: Path  # the copy that was installed editable
    venv: Path
    elsewhere: Path  # the server's working directory: not the checkout, so nothing is found through cwd


@pytest.fixture(scope="module")
def editable() -> Iterator[Editable]:
    root = Path(tempfile.mkdtemp(prefix="mlp-playground-editable-"))
    try:
        checkout = root / "checkout"
        checkout.mkdir()
        for name in PROJECT_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, checkout / name)
        venv = root / "venv"
        run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
        isolation = ["--no-build-isolation"] if build_requirements_met() else []
        run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
             "--no-deps", "--no-compile", "--disable-pip-version-check", *isolation, "-e", str(checkout)])
        elsewhere = root / "elsewhere"
        elsewhere.mkdir()
        yield Editable(checkout=checkout, venv=venv, elsewhere=elsewhere)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def base_url(editable: Editable) -> Iterator[str]:
    port = free_port()
    program = editable.venv / "bin" / "mlp-playground"
    log = editable.elsewhere / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(program), "--port", str(port)], cwd=editable.elsewhere, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz never answered (hang guard):\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield base
    finally:
        stop(proc, HANG_GUARD_S)


def test_the_editable_install_imports_the_checkout_and_finds_its_top_level_page_folders(editable):
    probe = "import app, app.server as s; print(app.__file__); print(s.STATIC_DIR); print(s.TEMPLATES_DIR)"
    out = run([str(editable.venv / "bin" / "python"), "-c", probe], cwd=editable.elsewhere).stdout.split()
    assert [Path(p) for p in out] == [editable.checkout / "app" / "__init__.py", editable.checkout / "static",
                                     editable.checkout / "templates"]


@pytest.mark.parametrize(("path", "mime", "source"), [
    ("/", "text/html", None),
    ("/static/js/controller.js", "text/javascript", "static/js/controller.js"),
    ("/static/css/playground.css", "text/css", "static/css/playground.css"),
])
def test_the_editable_install_serves_the_page_its_modules_and_its_styles(base_url, editable, path, mime,
                                                                        source):
    status, content_type, body = get(base_url + path)
    assert status == 200, f"{path} answered {status}: {body[:200]!r}"
    assert content_type.split(";")[0].strip() == mime
    if source is None:
        assert b'<script type="module"' in body and b"/static/js/" in body
    else:
        assert body == (editable.checkout / source).read_bytes()


def test_an_edit_in_the_checkout_is_served_without_reinstalling(base_url, editable):
    css = editable.checkout / "static" / "css" / "playground.css"
    css.write_text(css.read_text() + "\n/* edited in place */\n")
    status, _, body = get(base_url + "/static/css/playground.css")
    assert status == 200 and body.endswith(b"/* edited in place */\n")
