"""A server that goes away and comes back: while it is down the page says so and takes no clicks; after a
restart (every session gone) the page rebuilds its session and restores the network it last received."""

from __future__ import annotations

import re

import pytest

from .conftest import page_factory
from .helpers import boundary_digest, header_where, screenshot, wait_js

# Controls that talk to the session, one of each kind: transport, top-bar settings, data column, diagram.
SESSION_CONTROLS = ["#play", "#step", "#reset", "#learning_rate", "#output", "#activation", "#regenerate",
                    "#seed", "#add-layer", "#remove-layer", "#scene", "#datasets .dataset",
                    ".layer-head button", "#nodes .hidden-unit", "#export-json"]


@pytest.fixture
def open_page(browser, restartable_server):
    """A page on the restartable server; page errors fail the test."""
    with page_factory(browser, restartable_server.url) as make:
        yield make()


def _press(page, key: str, times: int = 1) -> None:
    page.locator("body").focus()
    for _ in range(times):
        page.keyboard.press(key)


def _params(page) -> dict:
    return page.evaluate("(() => { const h = window.__mlp.header; return {step: h.step, weights: h.weights, "
                         "biases: h.biases, unit_params: h.unit_params, train_loss: h.train_loss}; })()")


def _wait_restored(page, step: int) -> str:
    wait_js(page, "window.__mlp.status === 'open'", timeout_ms=60_000)
    restored = f"document.getElementById('notice-text').textContent.includes('restored at step {step:,}')"
    try:
        wait_js(page, restored)
    except AssertionError:
        raise AssertionError(f"notice: {page.inner_text('#notice-text')!r}; "
                             f"log: {page.evaluate('window.__mlp.statusLog')}") from None
    header_where(page, f"h.step === {step}")
    return page.inner_text("#notice-text")


def test_server_down_disables_controls_and_drops_clicks(open_page, restartable_server):
    page = open_page
    _press(page, "s")
    header_where(page, "h.step === 1")
    restartable_server.stop()
    wait_js(page, "window.__mlp.status !== 'open'")
    assert page.get_attribute("#play", "aria-pressed") == "false"
    for selector in SESSION_CONTROLS:
        disabled = page.eval_on_selector_all(selector, "els => els.length > 0 && els.every(e => e.disabled)")
        assert disabled, f"{selector} is still enabled while the server is down"
    assert page.inner_text("#status") in ("reconnecting", "connecting")
    # clicks and keys while down go nowhere: no editor opens, nothing is kept to replay after the restart
    _press(page, "s", 3)
    _press(page, " ")
    link = page.evaluate("window.__mlp.links[0]")
    box = page.locator("#diagram").bounding_box()
    page.mouse.click(box["x"] + (link["x0"] + link["x1"]) / 2, box["y"] + (link["y0"] + link["y1"]) / 2)
    assert page.is_hidden("#editor")
    screenshot(page, "server-down.png")

    restartable_server.start()
    _wait_restored(page, 1)
    page.wait_for_timeout(1500)  # a replayed step or play would have arrived by now
    assert page.evaluate("window.__mlp.header.step") == 1
    assert page.evaluate("window.__mlp.step") == 1 and page.evaluate("window.__mlp.state") == "paused"
    assert page.is_enabled("#step") and page.is_enabled("#learning_rate")


def test_restart_restores_trained_weights_and_step(open_page, restartable_server):
    page = open_page
    page.click("#play")
    header_where(page, "h.step >= 150")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    # one step more: a frame and a state of the same step, the network as the page last received it
    step = page.evaluate("window.__mlp.step") + 1
    _press(page, "s")
    header_where(page, f"h.step === {step}")
    wait_js(page, f"window.__mlp.step === {step}")
    before = _params(page)
    session = page.evaluate("window.__mlp.session")

    restartable_server.restart()
    text = _wait_restored(page, step)
    after = _params(page)
    assert page.evaluate("window.__mlp.session") != session  # a new session on the new server...
    assert "server restarted" in text
    # ...with the weights the frames carried (4 decimals), the step and so the same loss
    assert after["weights"] == before["weights"]
    assert after["biases"] == before["biases"]
    assert after["unit_params"] == before["unit_params"]
    assert after["train_loss"] == pytest.approx(before["train_loss"], rel=1e-3)
    assert page.inner_text("#stepcount") == f"{step:,}"
    screenshot(page, "server-restarted.png")
    # and it trains on from there
    _press(page, "s")
    header_where(page, f"h.step === {step + 1}")


def test_restart_restores_hand_edited_weight(open_page, restartable_server):
    page = open_page
    link = page.evaluate("window.__mlp.links.find((L) => L.l === 1)")
    box = page.locator("#diagram").bounding_box()
    page.mouse.click(box["x"] + (link["x0"] + link["x1"]) / 2, box["y"] + (link["y0"] + link["y1"]) / 2)
    page.fill("#editor-fields input", "2.5")
    page.keyboard.press("Enter")
    path = f"h.weights[1][{link['i']}][{link['j']}]"
    header_where(page, f"{path} === 2.5")

    restartable_server.restart()
    _wait_restored(page, 0)
    assert page.evaluate(f"(() => {{ const h = window.__mlp.header; return {path}; }})()") == 2.5


def test_a_network_playing_when_the_server_restarted_plays_on_from_its_step(open_page, restartable_server):
    page = open_page
    page.click("#play")
    header_where(page, "h.step >= 100")
    restartable_server.restart()
    wait_js(page, "window.__mlp.status === 'open'", timeout_ms=60_000)
    text = wait_js(page, "(() => { const t = document.getElementById('notice-text').textContent; "
                         "return t.includes('restored at step') ? t : null; })()")
    restored = int(re.search(r"restored at step ([\d,]+)", text).group(1).replace(",", ""))
    assert restored >= 100
    wait_js(page, "window.__mlp.state === 'playing'")
    assert page.get_attribute("#play", "aria-pressed") == "true"
    header_where(page, f"h.step > {restored + 50}")


THUMBS_DIGEST_JS = """(() => {
    let h = 2166136261 >>> 0;
    for (const c of document.querySelectorAll('.hidden-unit canvas')) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 1) { h ^= d[i]; h = Math.imul(h, 16777619) >>> 0; }
    }
    return h;
})()"""


def test_a_restart_gives_back_the_very_maps_the_page_showed_of_a_wide_network(browser, restartable_server):
    # docs/protocol.md, "Parameters as one array": the page sends back the float32 values its maps were
    # drawn from (9 significant digits; a 64 x 64 layer still fits one message), so the restored session's
    # output map and thumbnails are the same pixels (4 decimals moved some cells by a level)
    with page_factory(browser, restartable_server.url) as make:
        page = make("?hidden=64,64&activation=tanh&seed=4")
        _press(page, "s", 20)
        header_where(page, "h.step === 20")
        wait_js(page, "window.__mlp.step === 20")
        page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        before = (boundary_digest(page), page.evaluate(THUMBS_DIGEST_JS), _params(page))
        restartable_server.restart()
        _wait_restored(page, 20)
        page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        after = (boundary_digest(page), page.evaluate(THUMBS_DIGEST_JS), _params(page))
    assert after[0] == before[0]  # the output map, pixel for pixel
    assert after[1] == before[1]  # every hidden unit's thumbnail
    assert after[2]["weights"] == before[2]["weights"] and after[2]["biases"] == before[2]["biases"]
