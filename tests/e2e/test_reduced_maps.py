"""Reduced maps under overload, on the page: a server pinned at half resolution (MLP_PLAYGROUND_REDUCED_MAPS,
the same frames an overloaded one makes) sends a playing network's maps at half their side; the page paints
them (read back against the frame's values), says so in a notice, and paints the full maps and drops the
notice once paused."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from .conftest import app_server, free_port
from .helpers import WAIT_MS, header_where, screenshot, wait_js
from .test_pixels import FrameTap, expected_map, target_to_t


@pytest.fixture(scope="module")
def pinned_url():
    port = free_port()
    with app_server(port, "reduced-maps.log", reduced_maps="1/2"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(browser, pinned_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.tap = FrameTap(page)
    page.goto(f"{pinned_url}/?scene=playground")
    yield page
    ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# the boundary and every thumbnail canvas in one go: no frame is painted in between
READ_ALL_JS = """() => [document.querySelector('#boundary'),
                       ...document.querySelectorAll('.hidden-unit canvas')].map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = '';
    for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
    return { w: c.width, h: c.height, b64: btoa(s) };
})"""


def shown_frame(page, tap: FrameTap) -> dict:
    """Read the boundary and thumbnail canvases back and find the received frame they show; its header
    (frames decoded as the page decodes them: a paused frame may leave out arrays it names ``same``)."""
    for _ in range(50):
        canvases = [np.frombuffer(base64.b64decode(c["b64"]), np.uint8).reshape(c["h"], c["w"], 4)
                    for c in page.evaluate(READ_ALL_JS)]
        rgba, thumbs = canvases[0], canvases[1:]
        info = {"w": rgba.shape[1], "h": rgba.shape[0]}
        count = len(tap.frames)
        for index in range(count - 1, max(count - 20, 0) - 1, -1):
            header, arrays = tap.decoded(index)
            out = next(a for a in header["arrays"] if a["name"] == "output")
            if arrays["output"].shape != rgba.shape[:2]:
                continue
            want = expected_map(arrays["output"], out["range"], target_to_t(-1, 1))
            if np.abs(rgba[..., :3].astype(int) - want).max() > 1:
                continue
            t = next(a for a in header["arrays"] if a["name"] == "thumbnails")
            if all(got.shape[:2] == arrays["thumbnails"][k].shape and np.abs(
                    got[..., :3].astype(int) - expected_map(arrays["thumbnails"][k], t["range"],
                                                            lambda v: v)).max() <= 1
                   for k, got in enumerate(thumbs)):
                return {**header, "canvas": (info["w"], info["h"]), "thumb_canvas": thumbs[0].shape[:2]}
        page.wait_for_timeout(100)  # painted between two frames the tap has not seen yet: look again
    raise AssertionError("the boundary and thumbnail canvases show none of the frames received")


def test_a_playing_networks_half_resolution_maps_are_painted_from_their_values_with_a_notice(page):
    wait_js(page, "window.__mlp && window.__mlp.painted > 0")
    if page.evaluate("window.__mlp.state") != "playing":
        page.click("#play")
    header_where(page, "h.reduced && h.state === 'playing'")
    wait_js(page, "window.__mlp.painted > 3")
    shown = shown_frame(page, page.tap)
    assert shown["reduced"] == {"grid": 50, "full": 100, "reason": "server setting"}
    assert shown["canvas"] == (50, 50) and shown["thumb_canvas"] == (12, 12)
    notice = page.locator("#reduced-maps")
    assert notice.is_visible()
    assert notice.inner_text() == "Maps at half resolution (server setting)"
    assert "50 \u00d7 50 grid instead of 100 \u00d7 100" in notice.get_attribute("title")
    # the notice sits over the map's lower left corner, inside the plot, and covers no more than a strip
    box, plot = notice.bounding_box(), page.locator("#boundary").bounding_box()
    assert plot["x"] <= box["x"] and box["x"] + box["width"] <= plot["x"] + plot["width"]
    bottom = plot["y"] + plot["height"]
    assert bottom - plot["height"] / 2 < box["y"] and box["y"] + box["height"] <= bottom
    assert box["height"] < 0.15 * plot["height"]
    screenshot(page, "reduced-maps-playing.png")

    page.click("#play")  # paused: the full maps, no notice
    wait_js(page, "window.__mlp.state === 'paused'")
    header_where(page, "h.state === 'paused'")
    wait_js(page, "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    shown = shown_frame(page, page.tap)
    assert shown["state"] == "paused" and shown["grid"] == 100 and "reduced" not in shown
    assert shown["canvas"] == (100, 100) and shown["thumb_canvas"] == (24, 24)
    assert not notice.is_visible()
    screenshot(page, "reduced-maps-paused.png")


def test_the_notice_names_a_busy_server_and_the_resolution_in_words(page):
    wait_js(page, "window.__mlp && window.__mlp.painted > 0")
    words = page.evaluate("""async () => {
        const m = await import('/static/js/views/resolution.js');
        return [m.describeReduced({grid: 50, full: 100, reason: 'server busy'}),
                m.describeReduced({grid: 75, full: 100, reason: 'server busy'}),
                m.describeReduced({grid: 10, full: 15, reason: 'server busy'})];
    }""")
    assert [w["text"] for w in words] == ["Maps at half resolution: the server is busy",
                                          "Maps at 3/4 resolution: the server is busy",
                                          "Maps at 10 \u00d7 10 instead of 15 \u00d7 15: the server is busy"]
    assert "until the load drops" in words[0]["title"]
