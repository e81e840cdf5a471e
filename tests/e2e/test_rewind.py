"""Rewind on the page (issue 12): the loss chart is the scrubber. A click shows the network at a kept step,
the chart keeps the whole run with a line at that step, and continuing retraces the original run."""

from __future__ import annotations

import pytest

from .helpers import screenshot, wait_js

pytestmark = pytest.mark.e2e

CHART = "document.getElementById('loss-chart')"


def _train(page, steps):
    page.click("#play")
    wait_js(page, f"window.__mlp.header && window.__mlp.header.step >= {steps}", timeout_ms=60_000)
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    page.wait_for_timeout(700)  # the chart redraws at most twice a second


def _curve(page):
    return page.evaluate(f"(() => {{ const d = {CHART}.data[0]; return [d.x.slice(), d.y.slice()]; }})()")


def test_a_click_on_the_loss_chart_shows_the_network_at_that_step_and_keeps_the_curve(new_page):
    page = new_page("?optimizer=adam&steps_per_frame=10", width=1280, height=720)
    _train(page, 400)
    latest = page.evaluate("window.__mlp.header.step")
    steps_before, _ = _curve(page)
    box = page.locator("#loss-chart").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    wait_js(page, "!document.getElementById('rewind-badge').hidden")
    shown = int(page.evaluate("document.getElementById('rewind-badge').dataset.step"))
    assert 0 < shown < latest
    wait_js(page, f"window.__mlp.header.step === {shown}")
    assert page.evaluate("window.__mlp.state") == "paused"
    wait_js(page, f"({CHART}.layout.shapes || []).length === 1")
    assert page.evaluate(f"{CHART}.layout.shapes[0].x0") == shown
    steps_after, _ = _curve(page)
    assert steps_after[-1] == steps_before[-1]  # the run's future is still drawn
    badge = page.locator("#rewind-badge").text_content()
    assert f"Step {shown:,}" in badge and f"of {latest:,}" in badge
    screenshot(page, "rewind.png")


def test_continue_from_a_rewound_step_retraces_the_original_curve(new_page):
    page = new_page("?optimizer=adam&steps_per_frame=10", width=1280, height=720)
    _train(page, 300)
    first_steps, first_loss = _curve(page)
    original = dict(zip(first_steps, first_loss, strict=True))
    page.focus("#loss-chart")
    page.keyboard.press("Home")  # the slider's start: step 0
    wait_js(page, "window.__mlp.header.step === 0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_js(page, "window.__mlp.header.step === 20")
    page.click("#rewind-badge .rewind-continue")
    beyond = first_steps[-1] + 20
    wait_js(page, f"window.__mlp.header && window.__mlp.header.step >= {beyond}", timeout_ms=60_000)
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    page.wait_for_timeout(700)
    steps, loss = _curve(page)
    again = dict(zip(steps, loss, strict=True))
    common = [s for s in again if s in original and s > 20]
    assert len(common) >= 5
    assert all(again[s] == original[s] for s in common)
    assert page.locator("#rewind-badge").is_hidden()
    assert page.evaluate(f"({CHART}.layout.shapes || []).length") == 0


def test_the_chart_is_a_keyboard_slider_with_its_value_announced(new_page):
    page = new_page("?steps_per_frame=10", width=1280, height=720)
    _train(page, 100)
    chart = page.locator("#loss-chart")
    assert chart.get_attribute("role") == "slider"
    page.focus("#loss-chart")
    latest = page.evaluate("window.__mlp.header.step")
    page.keyboard.press("ArrowLeft")
    wait_js(page, f"window.__mlp.header.step < {latest}")
    now = page.evaluate("window.__mlp.header.step")
    assert chart.get_attribute("aria-valuenow") == str(now)
    assert chart.get_attribute("aria-valuetext") == f"step {now:,} of {latest:,}"
    page.keyboard.press("End")
    wait_js(page, f"window.__mlp.header.step === {latest}")
    assert page.locator("#rewind-badge").is_hidden()

