"""Every server setting in one table (pydantic-settings; environment variables ``MLP_PLAYGROUND_<NAME>``).

The ``description`` of each field is its help text: ``mlp-playground --help`` prints them all.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "MLP_PLAYGROUND_"


class Settings(BaseSettings):
    """Server settings. Unknown ``MLP_PLAYGROUND_*`` variables are ignored; bad values stop start-up."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", min_length=1, description="Interface to listen on (0.0.0.0 for all).")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    workers: int = Field(1, ge=1, le=64, description="Server processes. Sessions live in one process, so a "
                                                     "reconnect resumes only if it reaches the same one.")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="Log level of the server.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Extra origins (scheme://host[:port], comma-separated) whose pages "
                                          "may open the WebSocket, besides the server's own origin.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Host names clients may use to reach the server (comma-separated; "
                                          "'*.example.org' for subdomains, '*' for any), against DNS "
                                          "rebinding. Loopback names and IP addresses are always allowed. "
                                          "Unset: requests on loopback must name localhost, others any "
                                          "host.")
    embed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins (scheme://host[:port], comma-separated, or '*' for any) "
                                          "whose pages may drive an embedded player by postMessage and "
                                          "receive its events, besides the server's own origin.")
    frame_ancestors: str = Field("*", min_length=1,
                                 description="CSP frame-ancestors: who may embed the page in a frame "
                                             "('*' = anyone, 'self' = no one else).")
    max_sessions: int = Field(64, ge=1, le=10_000, description="Most training sessions one process holds; "
                                                               "past it a new client gets 'server full'.")
    max_sessions_per_client: int = Field(32, ge=0, le=10_000, description="Most sessions one client address "
                                                                         "holds in one process (0 = no limit "
                                                                         "but max_sessions). A lecture hall "
                                                                         "behind one NAT address shares it.")
    grace_period: float = Field(30.0, gt=0, le=3600, description="Seconds a session waits for its client to "
                                                                 "reconnect with the resume token.")
    idle_timeout: float = Field(1800.0, gt=0, le=86_400, description="Seconds after which a paused session "
                                                                     "nobody touches is freed.")
    train_threads: int = Field(1, ge=1, le=64, description="Threads that train sessions (the bounded, fair "
                                                           "pool every session of a process shares). One "
                                                           "is fastest: Python's lock makes more contend; "
                                                           "use --workers for more cores.")
    slice_ms: float = Field(20.0, gt=0, le=1000, description="Longest training slice of one session before "
                                                             "others get their turn (fair share), in ms.")
    rate_limit: float = Field(60.0, gt=0, le=10_000, description="Control messages per second a session may "
                                                                 "send on average.")
    rate_burst: int = Field(120, ge=1, le=100_000, description="Control messages a session may send at once.")
    ws_compression: bool = Field(False, description="Compress WebSocket messages (permessage-deflate): "
                                                    "about half the bytes on slow networks, for ~0.7 ms of "
                                                    "server CPU per frame.")
    shutdown_timeout: float = Field(5.0, gt=0, le=600, description="Seconds the server waits on SIGTERM for "
                                                                   "its connections to close before cutting "
                                                                   "them off (uvicorn's graceful shutdown).")
    hello_timeout: float = Field(10.0, gt=0, le=600, description="Seconds a new socket has to send hello.")
    redis_url: str = Field("", description="Redis URL (redis://host:6379/0) through which broadcast rooms "
                                           "reach viewers on every worker and machine; empty = rooms stay in "
                                           "their process. Needs the 'redis' extra.")
    max_viewers: int = Field(1000, ge=1, le=100_000, description="Most room viewers (read-only sockets) one "
                                                                 "process serves.")
    node_name: str = Field("", max_length=64, description="This server's name in /healthz ('node'), so that "
                                                      "behind a load balancer you can tell which machine "
                                                      "answered; empty = the machine's host name.")
    debug_costs: bool = Field(False, description="Count the server's CPU by phase of a frame (training, "
                                                 "grid, maps, metrics, encoding, send, event loop) and "
                                                 "answer it at GET /debug/costs, for bench/load.py. Off: "
                                                 "no such route, nothing counted.")
    reduced_maps: Literal["auto", "off", "3/4", "1/2"] = Field(
        "auto", description="Maps of playing sessions under overload: 'auto' makes them coarser (3/4, then "
                            "1/2 of the side) while playing sessions get less than 8 frames/s, told to the "
                            "page, and full again when the load drops; 'off' always full; '3/4' or '1/2' "
                            "always that coarse while playing (a small box known to be busy).")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a Redis URL like redis://host:6379/0")
        return value

    @field_validator("node_name")
    @classmethod
    def _node_name(cls, value: str) -> str:
        # shown in JSON and log lines: one short token, never spaces or control characters
        value = value.strip()
        if value and not re.fullmatch(r"[A-Za-z0-9._:-]+", value):
            raise ValueError(f"{value!r}: use letters, digits and . _ : - only (like web-2, 10.0.0.11:8001)")
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower().rstrip(".") for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            name = host[2:] if host.startswith("*.") else host
            if host == "*":
                continue
            if ":" in name:
                raise ValueError(f"{host!r}: give host names without a port (the port is not compared)")
            if not name or name.startswith(".") or any(not (ch.isalnum() or ch in "-._") for ch in name):
                raise ValueError(f"{host!r} is not a host name like play.example.org, *.example.org or *")
        return value

    @field_validator("allowed_origins", "embed_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, sep, rest = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
                raise ValueError(f"{origin!r} is not an origin like https://example.org[:port]")
        return value

    @field_validator("embed_origins")
    @classmethod
    def _embed_origins(cls, value: list[str]) -> list[str]:
        if "*" in value:
            if len(value) > 1:
                raise ValueError("'*' allows every origin: give it alone, not in a list")
            return value
        return cls._origins(value)


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"
