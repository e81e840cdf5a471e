"""Helpers the browser tests share: waiting on page state, reading the boundary canvas, screenshots."""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
WAIT_MS = 20_000  # upper bound for one awaited page state, so a broken page fails instead of hanging


def wait_js(page, expression: str, timeout_ms: int = WAIT_MS):
    """Poll a JS expression until it is truthy and return its value.

    Playwright's wait_for_function evaluates strings with eval(), which the page's Content-Security-Policy
    (script-src 'self') forbids; page.evaluate runs through the debugger protocol and is not affected, so
    the tests keep the real policy on.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never satisfied: {expression}")
        page.wait_for_timeout(40)


def wait_frame(page, after: int = 0) -> dict:
    """Wait until the page has painted more than ``after`` frames; returns the last frame header."""
    wait_js(page, f"window.__mlp && window.__mlp.painted > {after}")
    return page.evaluate("window.__mlp.header")


DIGEST_JS = """(() => {
    const c = document.getElementById('boundary');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261 >>> 0;
    for (let i = 0; i < d.length; i += 1) { h ^= d[i]; h = Math.imul(h, 16777619) >>> 0; }
    return `${c.width}x${c.height}:${h}`;
})()"""


def boundary_digest(page) -> str:
    """A digest (FNV-1a) of the boundary canvas pixels: it changes when the painted map changes."""
    return page.evaluate(DIGEST_JS)


def header_where(page, condition: str) -> dict:
    """Wait until the last frame header ``h`` satisfies the JS ``condition``; returns that header."""
    return wait_js(page, "(() => { const h = window.__mlp && window.__mlp.header; "
                         f"return h && ({condition}) ? h : null; }})()")


def screenshot(page, name: str) -> Path:
    """Save a screenshot under artifacts/e2e/ (the committed pictures of docs/ come from
    scripts/screenshots.py)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
