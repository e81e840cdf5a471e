"""Presenting from the page: the share panel's "Present to the room" opens a room and shows its code, the
viewer link and a QR code big enough for a lecture hall; a phone's view of it (a screenshot decoded by
zxing-cpp) opens the viewer link, which watches the presenter's training and can fork it."""

from __future__ import annotations

import io
import itertools
import json

import pytest

from .helpers import header_where, screenshot, wait_js

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

BOX_JS = """(id) => { const r = document.getElementById(id).getBoundingClientRect();
  return {x: r.x, y: r.y, w: r.width, h: r.height}; }"""


def start_presenting(page) -> str:
    page.click(".share summary")
    assert page.text_content("#present-start").strip() == "Present to the room"
    page.click("#present-start")
    wait_js(page, "document.getElementById('present-dialog').open "
                  "&& document.getElementById('present-qr').complete "
                  "&& document.getElementById('present-qr').naturalWidth > 0")
    return page.text_content("#present-code").strip()


def scan(page) -> list[str]:
    """What a phone pointed at the screen reads: every QR code in a screenshot of the viewport."""
    shot = Image.open(io.BytesIO(page.screenshot())).convert("L")
    return [r.text for r in zxingcpp.read_barcodes(shot) if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_present_to_the_room_shows_a_scannable_qr_whose_link_watches_and_forks(new_page, base_url):
    presenter = new_page("?dataset=xor&seed=3")
    code = start_presenting(presenter)
    assert len(code) == 6
    assert "present=1" in presenter.url  # a reload keeps presenting
    screenshot(presenter, "present-dialog.png")
    (link,) = scan(presenter)
    assert link == f"{base_url}/?watch={code}"
    assert presenter.text_content("#present-link") == link  # the same link in text, for typing it
    # large enough to scan from a seat: >= 40% of the viewport's smaller side, code in big type, link below
    qr = presenter.evaluate(BOX_JS, "present-qr")
    assert qr["w"] >= 0.4 * 720 and abs(qr["w"] - qr["h"]) < 1
    size = "parseFloat(getComputedStyle(document.getElementById('present-code')).fontSize)"
    assert presenter.evaluate(size) >= 40
    assert presenter.evaluate(BOX_JS, "present-link")["y"] >= qr["y"] + qr["h"]
    # served on 127.0.0.1, the link works on this machine only: the dialog says how to reach the room
    assert presenter.is_visible("#present-warning")
    assert "--host 0.0.0.0" in presenter.text_content("#present-warning")

    viewer = new_page(link.removeprefix(f"{base_url}/"))
    wait_js(viewer, "document.body.classList.contains('watching')")
    assert viewer.evaluate("window.__mlp.config.dataset") == "xor"
    assert not viewer.is_visible("#present-start")  # a viewer presents nothing
    wait_js(presenter, "/1 viewer\\b/.test(document.getElementById('present-status').textContent)")

    presenter.focus("#present-close")
    presenter.keyboard.press("Space")  # presses the focused button; the page's Space (play) stays behind
    wait_js(presenter, "!document.getElementById('present-dialog').open")  # back to the network
    assert presenter.evaluate("window.__mlp.state") == "paused"
    assert not presenter.evaluate("document.getElementById('present-dialog').open")
    presenter.click("#play")
    first = header_where(viewer, "h.step > 0")["step"]
    header_where(viewer, f"h.step > {first}")  # the viewer follows the presenter's training
    presenter.click("#play")
    wait_js(presenter, "window.__mlp.state === 'paused'")
    wait_js(viewer, "window.__mlp.state === 'paused'")
    step = presenter.evaluate("window.__mlp.step")
    header = header_where(viewer, f"h.step === {step}")  # the same step as the presenter's
    weights = json.dumps(header["weights"])

    viewer.click("#room-fork")
    wait_js(viewer, "!document.body.classList.contains('watching') && window.__mlp.session")
    forked = header_where(viewer, "h.step === 0")
    assert json.dumps(forked["weights"]) == weights  # the fork starts from the presenter's weights
    assert viewer.is_visible("#present-start") or viewer.evaluate(
        "!document.getElementById('present-start').hidden")  # a forked viewer may present in turn

    # the banner brings the QR back, and so does the share panel's button
    presenter.click("#room-qr")
    wait_js(presenter, "document.getElementById('present-dialog').open")
    presenter.keyboard.press("Escape")
    wait_js(presenter, "!document.getElementById('present-dialog').open")
    assert presenter.text_content("#present-start").strip() == "Show the room's QR code"
    presenter.click("#present-start")
    wait_js(presenter, "document.getElementById('present-dialog').open")
    assert presenter.text_content("#present-code").strip() == code  # the same room, not a new one


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (960, 540)])
def test_the_present_dialog_fits_the_screen_and_its_qr_scans_at_projector_sizes(new_page, width, height):
    page = new_page("?dataset=circle", width=width, height=height)
    code = start_presenting(page)
    screenshot(page, f"present-dialog-{width}x{height}.png")
    for part in ("present-dialog", "present-code", "present-qr", "present-link", "present-warning",
                 "present-close"):
        box = page.evaluate(BOX_JS, part)
        assert box["x"] >= 0 and box["y"] >= 0, part
        assert box["x"] + box["w"] <= width and box["y"] + box["h"] <= height, part
    assert page.evaluate(BOX_JS, "present-qr")["w"] >= 0.4 * min(width, height)
    assert [link.rsplit("=", 1)[1] for link in scan(page)] == [code]


def test_a_viewer_on_a_phone_sees_the_presenters_output_first(new_page):
    presenter = new_page("?scene=xor-by-hand")
    code = start_presenting(presenter)
    phone = new_page(f"?watch={code}", width=390, height=844)
    wait_js(phone, "document.body.classList.contains('watching')")
    header_where(phone, "h.step === 0")
    screenshot(phone, "present-viewer-phone.png")
    plot = phone.evaluate(BOX_JS, "plot")
    # the whole output plot on the phone's first screen, not off to the right of a desktop layout
    assert plot["x"] >= 0 and plot["x"] + plot["w"] <= 390, plot
    assert plot["y"] >= 0 and plot["y"] + plot["h"] <= 844, plot
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to scroll sideways to
    # and it shows the presenter's map: the boundary canvas is painted
    painted = phone.evaluate("""(() => { const c = document.getElementById('boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
        return n / (d.length / 4); })()""")
    assert painted > 0.99
    # below it the network, then the scene's panel, one after the other: nothing drawn over anything else
    boxes = [phone.evaluate(BOX_JS, part) for part in ("plot", "diagram", "lecture")]
    for upper, lower in itertools.pairwise(boxes):
        assert upper["y"] + upper["h"] <= lower["y"] + 1, (upper, lower)


def test_a_viewer_sees_the_scene_panel_of_the_presenter_without_a_read_only_notice(new_page):
    presenter = new_page("?scene=xor-by-hand")
    wait_js(presenter, "document.getElementById('lecture').dataset.loaded === '1'")
    code = start_presenting(presenter)
    viewer = new_page(f"?watch={code}")
    wait_js(viewer, "document.getElementById('lecture').dataset.loaded === '1' "
                    "&& document.querySelectorAll('#lecture .lec-matrix').length >= 6")
    cells = "[...document.querySelectorAll('#lecture .lec-matrix td')].map((c) => c.textContent)"
    assert viewer.evaluate(cells) == presenter.evaluate(cells)
    assert not viewer.is_visible("#notice"), viewer.text_content("#notice-text")  # was: "lecture: read-only"
    # the presenter trains a step: the presenter's panel asks again, and the viewer's follows
    before = json.dumps(viewer.evaluate(cells))
    presenter.click("#present-close")
    presenter.locator("body").focus()
    presenter.keyboard.press("s")
    changed = f"(() => {{ const c = {cells}; return JSON.stringify(c) !== {json.dumps(before)} && c; }})()"
    assert wait_js(viewer, changed) == wait_js(presenter, changed)
