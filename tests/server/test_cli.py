"""The command line: help text for every setting, flags over the environment, bad settings exit 2 naming
them, the options uvicorn gets, BLAS kept to one thread."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest
import uvicorn

from app import cli
from app import protocol as p
from app.settings import Settings
from app.wsprotocol import BoundedWebSocketProtocol

from .live import ROOT


def test_every_setting_has_help_text_shown_by_help(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"MLP_PLAYGROUND_{name.upper()}" in out and field.description in out
    assert "--host" in out and "--port" in out and "--workers" in out


def test_flags_override_the_environment(monkeypatch):
    monkeypatch.setenv("MLP_PLAYGROUND_PORT", "9000")
    args = cli.build_parser().parse_args(["--port", "9100", "--host", "0.0.0.0"])
    s = cli.load_settings(args)
    assert (s.port, s.host) == (9100, "0.0.0.0")


@pytest.mark.parametrize(("argv", "env", "named"), [
    (["--port", "70000"], {}, "MLP_PLAYGROUND_PORT"),
    (["--workers", "zero"], {}, "MLP_PLAYGROUND_WORKERS"),
    ([], {"MLP_PLAYGROUND_GRACE_PERIOD": "-3"}, "MLP_PLAYGROUND_GRACE_PERIOD"),
    ([], {"MLP_PLAYGROUND_LOG_LEVEL": "loud"}, "MLP_PLAYGROUND_LOG_LEVEL"),
])
def test_invalid_setting_stops_start_up_with_exit_2_naming_it(monkeypatch, capsys, argv, env, named):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert cli.main(argv) == cli.EXIT_BAD_SETTING
    err = capsys.readouterr().err
    assert named in err and "invalid setting" in err and "Traceback" not in err


def test_python_dash_m_app_is_the_same_command():
    out = subprocess.run([sys.executable, "-m", "app", "--port", "0"], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 2 and "MLP_PLAYGROUND_PORT" in out.stderr


SERVE_AND_REPORT = """
import os, sys
import uvicorn
def report(*args, **kwargs):
    import numpy
    a = numpy.ones((300, 300))
    a @ a  # a product big enough for a multi-threaded BLAS to start its threads
    print(os.environ.get("OPENBLAS_NUM_THREADS"), len(os.listdir("/proc/self/task")))
uvicorn.run = report
from app.cli import main
main(["--port", "8123"])
"""


@pytest.mark.parametrize(("env", "want"), [({}, "1"), ({"OPENBLAS_NUM_THREADS": "2"}, "2")])
def test_the_server_keeps_blas_to_one_thread_unless_told_otherwise(monkeypatch, env, want):
    # sessions run side by side on the training pool; a BLAS spreading each product over every core
    # would oversubscribe the cores and its spinning threads would slow the other sessions down
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", SERVE_AND_REPORT], cwd=ROOT, capture_output=True, text=True,
                         env={**clean, **env}, check=True)
    value, threads = out.stdout.split()
    assert value == want
    if want == "1":
        assert threads == "1"  # no BLAS worker threads beside the main one


def test_uvicorn_gets_the_settings_and_the_protocols_message_bound_under_its_own_parameter_names():
    settings = Settings(host="0.0.0.0", port=9001, log_level="warning", ws_compression=True,
                        shutdown_timeout=2.5)
    options = cli.server_options(settings)
    assert options == {"host": "0.0.0.0", "port": 9001, "log_level": "warning",
                       "ws": BoundedWebSocketProtocol, "ws_max_size": p.MAX_MESSAGE_BYTES, "lifespan": "on",
                       "ws_per_message_deflate": True, "timeout_graceful_shutdown": 2.5}
    # a misspelt option would reach uvicorn.run as an unknown keyword only when the server starts
    assert set(options) <= set(inspect.signature(uvicorn.run).parameters)


def test_the_default_install_brings_uvloop_and_httptools_and_uvicorn_picks_them():
    import tomllib  # function-local: only this test reads pyproject.toml

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    named = {d.split(">")[0].split(";")[0].split("[")[0].strip() for d in deps}
    assert {"uvloop", "httptools"} <= named
    pytest.importorskip("uvloop", reason="installed by `pip install .`; this environment predates it")
    pytest.importorskip("httptools", reason="installed by `pip install .`; this environment predates it")
    from app.server import create_app  # function-local: builds an app, which the tests above need not

    config = uvicorn.Config(create_app(Settings()), **cli.server_options(Settings()))
    config.load()
    assert config.http_protocol_class.__module__.endswith("httptools_impl")
    assert config.ws_protocol_class is BoundedWebSocketProtocol  # ours, whatever else is installed
    loop = config.get_loop_factory()()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
