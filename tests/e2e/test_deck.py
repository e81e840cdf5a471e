"""The player inside a real slide deck (issue 10, section 3): a reveal.js deck (the npm package, used by the
tests only) on another loopback origin, 1280x720, with the player as a 960x540 iframe on a slide and as a
full-slide background iframe. Inside each frame the scene's panel and the output plot are in view together,
nothing is covered and nothing overlaps (the same measure as tests/e2e/test_layout.py)."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import app_server, free_port
from .helpers import ARTIFACTS, WAIT_MS, wait_js
from .layout_probe import assert_fits, measure
from .npm_assets import package_dir

DECK_HOST = "127.0.0.3"  # another loopback address: another origin and another site than the player
SCENES = ["xor-by-hand", "backprop", "activations"]

DECK = """<!doctype html>
<html><head><meta charset="utf-8"><title>Lecture 4: neural networks</title>
<link rel="stylesheet" href="/reveal.js/dist/reveal.css">
<link rel="stylesheet" href="/reveal.js/dist/theme/white.css">
</head><body>
<div class="reveal"><div class="slides">
  <section><h2>Lecture 4</h2><p>Multilayer perceptrons</p></section>
{slides}
</div></div>
<script src="/reveal.js/dist/reveal.js"></script>
<script>Reveal.initialize({{ width: 1280, height: 720, margin: 0, hash: true, transition: "none" }});</script>
</body></html>
"""
SLIDE = """  <section id="frame-{name}">
    <iframe src="{player}/?scene={name}&amp;embed=1" width="960" height="540" style="border:0"
      title="MLP Playground: {name}"></iframe></section>
  <section id="background-{name}" data-background-iframe="{player}/?scene={name}&amp;embed=1"
    data-background-interactive></section>"""


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """The deck served from a temp dir (reveal.js beside it) and a player that lets that origin frame it."""
    root = tmp_path_factory.mktemp("deck")
    (root / "reveal.js").symlink_to(package_dir("reveal.js"), target_is_directory=True)
    httpd = ThreadingHTTPServer((DECK_HOST, 0), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://{DECK_HOST}:{httpd.server_address[1]}"
    port = free_port()
    player = f"http://127.0.0.1:{port}"
    slides = "\n".join(SLIDE.format(name=name, player=player) for name in SCENES)
    (root / "index.html").write_text(DECK.format(slides=slides))
    with app_server(port, "deck-server.log", embed_origins=origin, max_sessions="100"):
        yield f"{origin}/index.html"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output quiet
        pass


def open_slide(browser, url: str, slide: str):
    """The deck at 1280x720 on ``slide`` (an id), and the player frame shown there, once it has painted."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    wait_js(page, "window.Reveal && Reveal.isReady()")
    # as a lecturer gets there: by moving to the slide (reveal.js starts a slide's iframes when it shows it)
    go = "(id) => { const i = Reveal.getIndices(document.getElementById(id)); Reveal.slide(i.h, i.v); }"
    page.evaluate(go, slide)
    wait_js(page, f"Reveal.getCurrentSlide().id === {slide!r}")
    selector = (f"#{slide} iframe" if slide.startswith("frame-")
                else ".backgrounds .slide-background.present iframe")
    page.wait_for_selector(selector, state="visible")
    handle = page.query_selector(selector)
    frame = handle.content_frame()
    wait_js(frame, "window.__mlp && window.__mlp.painted > 0")
    return ctx, page, frame, handle, errors


def settle(frame, name: str) -> None:
    wait_js(frame, "document.getElementById('lecture').dataset.loaded === '1'")
    if name != "backprop":
        wait_js(frame, "!!document.querySelector('#lecture .js-plotly-plot .main-svg')")
    else:  # the panel at its largest, as test_layout measures it
        box = frame.locator("#points").bounding_box()
        frame.page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
        wait_js(frame, "!!document.querySelector('#lecture .lec-units')")
        for _ in range(4):
            frame.click("#lecture button:text('Next')")
        frame.click("#lecture .lec-check-button")
        wait_js(frame, "!!document.querySelector('#lecture .lec-check')")
    frame.wait_for_timeout(300)


@pytest.mark.parametrize("name", SCENES)
@pytest.mark.parametrize("kind", ["frame", "background"])
def test_the_player_fits_its_slide_in_a_reveal_deck(browser, deck, kind, name):
    ctx, page, frame, handle, errors = open_slide(browser, deck, f"{kind}-{name}")
    try:
        settle(frame, name)
        box = handle.bounding_box()
        m = measure(frame)
        if kind == "frame":  # the iframe shows whole on the deck's 1280x720 screen, at its own size
            assert box["x"] >= 0 and box["y"] >= 0, box
            assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 720, box
            assert (round(box["width"]), round(box["height"])) == (960, 540), box
            assert (m["viewport"]["w"], m["viewport"]["h"]) == (960, 540)
            shown = None
        else:  # the background covers the screen (reveal.js makes it a few pixels larger): what shows of it
            assert box["x"] <= 0 and box["y"] <= 0, box
            assert box["x"] + box["width"] >= 1280 and box["y"] + box["height"] >= 720, box
            shown = {"x": -box["x"], "y": -box["y"], "w": 1280, "h": 720}
        (ARTIFACTS / "deck").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "deck" / f"{kind}-{name}.png"))
        assert_fits(m, name, embedded=True, shown=shown)
    finally:
        ctx.close()
    assert not errors, errors
