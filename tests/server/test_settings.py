"""The settings table (app/settings.py): defaults, the MLP_PLAYGROUND_ environment prefix, validation of
allowed origins. The command line that fills it: test_cli.py."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_defaults_serve_loopback_port_8000(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(f"MLP_PLAYGROUND_{name.upper()}", raising=False)
    s = Settings()
    assert (s.host, s.port, s.workers, s.frame_ancestors) == ("127.0.0.1", 8000, 1, "*")


def test_environment_variables_with_the_prefix_set_settings(monkeypatch):
    monkeypatch.setenv("MLP_PLAYGROUND_MAX_SESSIONS", "5")
    monkeypatch.setenv("MLP_PLAYGROUND_ALLOWED_ORIGINS", "https://a.example, http://b.example:8080/")
    s = Settings()
    assert s.max_sessions == 5 and s.allowed_origins == ["https://a.example", "http://b.example:8080"]


def test_an_allowed_origin_must_look_like_one():
    with pytest.raises(ValidationError, match="allowed_origins"):
        Settings(allowed_origins="evil.example/path")
