"""The postMessage API of an embedded player (docs/embedding.md): a host page on a second loopback origin
embeds the player in an iframe and drives it; a host on an origin the settings do not allow is ignored and
hears nothing."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import app_server, free_port
from .helpers import WAIT_MS, wait_js

ALLOWED_HOST = "127.0.0.2"  # another loopback address: another origin, and another site for the browser

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>host</title></head>
<body>
<h1>Slides</h1>
<iframe id="player" src="{player}/?embed=1" width="960" height="540" style="border:0"></iframe>
<script>
  window.events = [];
  window.addEventListener("message", (e) => {{
    if (e.data && e.data.type === "mlp-playground") window.events.push({{ origin: e.origin, ...e.data }});
  }});
  window.drive = (message) => document.getElementById("player").contentWindow.postMessage(
    {{ type: "mlp-playground", ...message }}, "*");
</script>
</body></html>
"""


def serve_host(address: str, player: str) -> ThreadingHTTPServer:
    """A static host page on ``address``, embedding ``player``."""
    body = HOST_PAGE.format(player=player).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output quiet
            pass

    httpd = ThreadingHTTPServer((address, 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def hosts():
    """The player (its own server, allowing one embedder origin) and two host pages: allowed, refused."""
    port = free_port()
    player = f"http://127.0.0.1:{port}"
    allowed = serve_host(ALLOWED_HOST, player)
    refused = serve_host("127.0.0.1", player)  # same address as the player, another port: another origin
    allowed_origin = f"http://{ALLOWED_HOST}:{allowed.server_address[1]}"
    with app_server(port, "embed-server.log", embed_origins=allowed_origin):
        yield {"player": player, "allowed": f"{allowed_origin}/",
               "refused": f"http://127.0.0.1:{refused.server_address[1]}/"}
    for httpd in (allowed, refused):
        httpd.shutdown()
        httpd.server_close()

def open_host(browser, url: str):
    """The host page and the player's frame inside it, once the player has painted its first frame."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 700})
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    frame = page.frame_locator("#player")  # wait for the iframe element, then take its Frame
    frame.locator("body").wait_for()
    player = next(f for f in page.frames if f != page.main_frame)
    wait_js(player, "window.__mlp && window.__mlp.painted > 0")
    return ctx, page, player, errors


def events(page, kind: str) -> list[dict]:
    return page.evaluate(f"window.events.filter((e) => e.event === {json.dumps(kind)})")


def wait_event(page, kind: str, condition: str = "true") -> dict:
    """The first event of ``kind`` for which the JS ``condition`` (on ``e``) holds."""
    expression = (f"window.events.find((e) => e.event === {json.dumps(kind)} && ({condition})) || null")
    return wait_js(page, expression)


def round_trip(player) -> None:
    """Wait until the player's window has handled every message queued before this call: a message it
    posts to itself is handled after them."""
    player.evaluate("""() => new Promise((resolve) => {
        const token = Math.random().toString(36);
        const on = (e) => { if (e.data === token) { window.removeEventListener("message", on); resolve(); } };
        window.addEventListener("message", on);
        window.postMessage(token, location.origin);
    })""")


def test_a_host_page_on_an_allowed_origin_drives_the_player_and_hears_its_events(browser, hosts):
    ctx, page, player, errors = open_host(browser, hosts["allowed"])
    try:
        ready = wait_event(page, "ready")
        assert ready["origin"] == hosts["player"]
        assert ready["session"] == player.evaluate("window.__mlp.session")

        page.evaluate("drive({action: 'set', config: {learning_rate: 0.01}})")
        wait_event(page, "config", "e.config.learning_rate === 0.01")
        assert player.evaluate("window.__mlp.config.learning_rate") == 0.01

        page.evaluate("drive({action: 'step', n: 5})")
        assert wait_event(page, "state", "e.step === 5")["state"] == "paused"

        page.evaluate("drive({action: 'play'})")
        wait_event(page, "state", "e.state === 'playing'")
        wait_js(page, "window.events.filter((e) => e.event === 'frame' && e.step > 5).length >= 5")
        frames = [e for e in events(page, "frame") if e["step"] > 5]
        steps = [e["step"] for e in frames]
        assert steps == sorted(steps) and all(isinstance(e["train_loss"], float) for e in frames)

        page.evaluate("drive({action: 'pause'})")
        wait_event(page, "state", "e.state === 'paused' && e.step > 5")
        assert player.evaluate("window.__mlp.state") == "paused"

        page.evaluate("drive({action: 'reset'})")
        wait_event(page, "state", "e.step === 0")

        scenes = json.loads(urllib.request.urlopen(f"{hosts['player']}/api/scenes", timeout=5).read())
        other = next(s["name"] for s in scenes["scenes"] if s["name"] != scenes["default"])
        page.evaluate(f"drive({{action: 'load_scene', scene: {json.dumps(other)}}})")
        wait_js(player, f"window.__mlp.ui.scene === {json.dumps(other)}")

        page.evaluate("drive({action: 'teleport'})")
        error = wait_event(page, "error", "e.field === 'action'")
        assert "teleport" in error["message"] and "play" in error["message"]
        page.evaluate("drive({action: 'step', n: 0})")
        assert "n must be" in wait_event(page, "error", "e.field === 'n'")["message"]

        page.evaluate("drive({action: 'get_state'})")
        state = wait_event(page, "state", "e.config !== undefined")
        assert state["session"] == ready["session"] and state["state"] == "paused"
        assert {e["origin"] for e in page.evaluate("window.events")} == {hosts["player"]}
    finally:
        ctx.close()
    assert not errors, errors


def test_a_host_page_on_an_origin_not_allowed_is_ignored_and_hears_nothing(browser, hosts):
    ctx, page, player, errors = open_host(browser, hosts["refused"])
    try:
        page.evaluate("drive({action: 'step', n: 50})")
        page.evaluate("drive({action: 'play'})")
        page.evaluate("drive({action: 'get_state'})")
        round_trip(player)
        # a step answered by the server proves the socket works; had the host been heard, it would show 51
        player.evaluate("document.getElementById('embed-step').click()")
        wait_js(player, "window.__mlp.header && window.__mlp.header.step >= 1")
        assert player.evaluate("window.__mlp.header.step") == 1
        assert player.evaluate("window.__mlp.state") == "paused"
        # the player addresses its events to the allowed origins only: this host got not even "ready"
        assert page.evaluate("window.events") == []
    finally:
        ctx.close()
    assert not errors, errors



# embed.js's EmbedApi with a recording host window, built inside the player's frame
TARGETS_JS = """async ([allowed, hostOrigin]) => {
  const { EmbedApi, hostOriginOf } = await import('/static/js/embed.js');
  const posted = [];
  const api = new EmbedApi({ allowed, self: location.origin, hostOrigin,
    host: { postMessage: (message, origin) => posted.push(origin) }, actions: {} });
  api.emit('frame', { step: 1 });
  return { posted, seen: hostOriginOf(window) };
}"""


def test_the_player_addresses_its_events_to_the_host_origin_alone(browser, hosts):
    # addressed to every allowed origin and to its own, each event made Chromium warn in the host's console
    # about every address that was not the host's: a flood at one event per frame
    ctx, _page, player, errors = open_host(browser, hosts["allowed"])
    host = hosts["allowed"].rstrip("/")
    try:
        other = "http://192.0.2.7:8000"
        got = player.evaluate(TARGETS_JS, [[host, other], host])
        assert got["seen"] == host  # the browser tells the frame where it is embedded
        assert got["posted"] == [host]
        # a host the settings do not allow hears nothing, and nothing is posted at all
        assert player.evaluate(TARGETS_JS, [[other], host])["posted"] == []
    finally:
        ctx.close()
    assert not errors, errors
