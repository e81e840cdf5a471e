"""Command line: ``mlp-playground [--host H] [--port P] [--workers N] [--log-level L]``.

Argument parsing only: the settings table (app/settings.py) holds every option, read from the environment
(``MLP_PLAYGROUND_*``); flags override it. ``--help`` lists every setting with its variable and help text.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from app.settings import Settings, env_name

FLAGS = ("host", "port", "workers", "log_level")
EXIT_BAD_SETTING = 2


def settings_help() -> str:
    """The settings table for ``--help``: variable, default and help text of every setting."""
    lines = ["settings (environment variables; the flags above override them):"]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        lines.append(f"  {env_name(name)} (default: {default!r})")
        lines.append(f"      {info.description}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlp-playground", description="Serve MLP Playground: train small networks in the browser.",
        epilog=settings_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", help="TCP port (default 8000)")
    parser.add_argument("--workers", help="server processes (default 1)")
    parser.add_argument("--log-level", dest="log_level", help="critical, error, warning, info or debug")
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment with the given flags on top (ValidationError names the bad one)."""
    overrides = {k: getattr(args, k) for k in FLAGS if getattr(args, k) is not None}
    return Settings(**overrides)


def describe_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]) if err.get("loc") else "?"
        flag = f"--{name.replace('_', '-')} / " if name in FLAGS else ""
        lines.append(f"mlp-playground: invalid setting {flag}{env_name(name)}: {err['msg']} "
                     f"(got {err.get('input')!r})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args)
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        return EXIT_BAD_SETTING
    serve(settings)
    return 0


# Sessions run in parallel on the training pool's threads; a BLAS that also spreads one matrix product over
# every core oversubscribes them, and its spinning threads steal the cores from the other sessions' work.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def serve(settings: Settings) -> None:
    for name in BLAS_THREAD_VARIABLES:  # before NumPy loads its BLAS; worker processes inherit them
        os.environ.setdefault(name, "1")
    import uvicorn

    from app.wsprotocol import BoundedWebSocketProtocol

    common = {"host": settings.host, "port": settings.port, "log_level": settings.log_level,
              "ws": BoundedWebSocketProtocol, "ws_max_size": 64 * 1024, "lifespan": "on",
              "ws_per_message_deflate": settings.ws_compression,
              "timeout_graceful_shutdown": settings.shutdown_timeout}
    if settings.workers > 1:
        # worker processes build their own app from the environment: pass the flags on through it
        for name, value in settings.model_dump().items():
            if name in FLAGS:
                os.environ[env_name(name)] = str(value)
        uvicorn.run("app.server:create_app", factory=True, workers=settings.workers, **common)
        return
    from app.server import create_app

    uvicorn.run(create_app(settings), **common)
