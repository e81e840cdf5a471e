"""Readable from the back row (issue 10, section 3): the points of small sets are big enough to see at
1280x720, and units are named one way everywhere (h, the hidden layer as superscript, the unit as
subscript: h¹₂ is unit 2 of hidden layer 1; static/js/notation.js)."""

from __future__ import annotations

import re

from .helpers import wait_js

# the alpha of the points canvas at distance r from each train point's centre, in 8 directions
RING_JS = """(r) => {
  const c = document.getElementById('points');
  const scale = c.width / c.clientWidth;
  const d = window.__mlp.dataset;
  const [lo, hi] = d.box;
  const px = (v) => (v - lo) / (hi - lo) * c.clientWidth;
  const py = (v) => (hi - v) / (hi - lo) * c.clientWidth;
  const img = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return d.train.map(([x1, x2]) => Array.from({length: 8}, (_, k) => {
    const a = k * Math.PI / 4;
    const x = Math.round((px(x1) + r * Math.cos(a)) * scale);
    const y = Math.round((py(x2) + r * Math.sin(a)) * scale);
    return img[(y * c.width + x) * 4 + 3];
  }));
}"""

SUP = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
SUB = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")
UNIT = re.compile("h[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+[\u2080-\u2089]+")
TEXTS = "els => els.map(e => e.textContent)"
OTHER_NOTATIONS = re.compile(r"\bh\d+(\.\d+)?\b|of layer \d")


def unit(layer: int, j: int) -> str:
    return "h" + str(layer).translate(SUP) + str(j).translate(SUB)


def test_the_four_xor_points_are_drawn_with_at_least_a_5px_radius_at_1280x720(new_page):
    page = new_page("?scene=xor-by-hand", width=1280, height=720)
    wait_js(page, "window.__mlp.dataset && window.__mlp.dataset.train.length === 4")
    page.wait_for_timeout(200)
    rings = page.evaluate(RING_JS, 4.6)  # inside a 5 px disc (its edge is antialiased)
    assert all(a > 200 for ring in rings for a in ring), rings
    # and a disc, not a blot: nothing painted well outside it
    outside = page.evaluate(RING_JS, 9)
    assert all(a == 0 for ring in outside for a in ring), outside


def test_a_big_set_keeps_small_points_that_do_not_hide_the_map(new_page):
    page = new_page("?dataset=circle", width=1280, height=720)
    wait_js(page, "window.__mlp.dataset && window.__mlp.dataset.train.length > 100")
    page.wait_for_timeout(200)
    # 5 px from a centre is outside a 3 px point: a ring of all-opaque pixels there is rare (a neighbour)
    rings = page.evaluate(RING_JS, 5)
    full = sum(all(a > 200 for a in ring) for ring in rings)
    assert full < len(rings) / 10, (full, len(rings))


def test_the_backprop_tables_name_units_in_the_one_notation(new_page):
    page = new_page("?scene=backprop", width=1280, height=720)
    box = page.locator("#points").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    wait_js(page, "!!document.querySelector('#lecture .lec-units')")
    for _ in range(4):
        page.click("#lecture button:text('Next')")
    wait_js(page, "!!document.querySelector('#lecture .lec-links')")
    units = page.eval_on_selector_all("#lecture .lec-units tr td:nth-child(2)", TEXTS)
    assert units == [unit(1, 1), unit(1, 2), unit(1, 3), "y"], units
    links = page.eval_on_selector_all("#lecture .lec-links tr td:first-child", TEXTS)
    assert f"x\u2081 \u2192 {unit(1, 2)}" in links and f"{unit(1, 3)} \u2192 y" in links, links
    text = page.inner_text("#lecture")
    assert not OTHER_NOTATIONS.search(text), OTHER_NOTATIONS.search(text)


def test_the_dead_units_of_the_seeds_table_use_the_one_notation(new_page):
    page = new_page("?scene=xor-learned", width=1280, height=720)
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    cells = page.eval_on_selector_all("#lecture .lec-seeds tr td:nth-child(4)", TEXTS)
    named = [c for c in cells if c != "none"]
    assert named, cells  # some seeds end with a dead ReLU
    for cell in named:
        assert all(UNIT.fullmatch(u) for u in cell.split(", ")), cell
    assert not OTHER_NOTATIONS.search(page.inner_text("#lecture"))


def test_the_hovered_unit_is_captioned_in_the_one_notation(new_page):
    page = new_page("?hidden=3", width=1280, height=720)
    page.hover("button[aria-label='Hidden layer 1, unit 2']")
    page.wait_for_selector("#unit-caption:not([hidden])")
    caption = page.inner_text("#unit-caption")
    assert caption.startswith(unit(1, 2)), caption


def test_a_gallery_card_shows_its_verdict_in_view_when_focused_or_pointed_at(new_page):
    # sixteen verdicts do not fit beside the output plot in a slide: each shows, whole and on top, in the
    # line above the cards while its card is focused (keyboard) or pointed at
    page = new_page("?scene=activations&embed=1", width=960, height=540)
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    cards = page.locator("#lecture .lec-card")
    assert cards.count() == 16
    assert page.locator("#lecture .lec-verdict:visible").count() == 0
    lecture = page.locator("#lecture").bounding_box()
    for i in (0, 15):  # the first card and the last, bottom row
        card = cards.nth(i)
        verdict = card.locator(".lec-verdict")
        card.locator("button").focus()
        assert verdict.is_visible()
        box = verdict.bounding_box()
        bottom = min(lecture["y"] + lecture["height"], 540)
        assert box["y"] >= lecture["y"] and box["y"] + box["height"] <= bottom, box
        assert box["x"] >= lecture["x"] and box["x"] + box["width"] <= lecture["x"] + lecture["width"]
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        assert page.evaluate(f"document.elementFromPoint({cx}, {cy}).closest('.lec-verdict') !== null")
        # it does not cover the cards: it sits where the hint keeps room for it
        first = cards.nth(0).bounding_box()
        assert box["y"] + box["height"] <= first["y"] + 0.5, (box, first)
    page.locator("#lecture .lec-card").nth(3).hover()
    assert page.locator("#lecture .lec-verdict:visible").count() == 1
