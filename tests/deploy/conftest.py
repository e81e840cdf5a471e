"""The deploy tests: the Dockerfile, its build context, the installed wheel and docs/deploy.md."""

from __future__ import annotations


def pytest_configure(config):
    # `slow` marks the wheel-install test (a fresh virtual environment and a real server), so that
    # `-m "not slow"` skips it locally; CI runs it.
    config.addinivalue_line(
        "markers", "slow: builds and installs the wheel and serves from it (deselect with -m 'not slow')")
