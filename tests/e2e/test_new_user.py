"""What a new user tripped on (issue 10, section 6), pinned in the browser: xor-linear's ties shown as
undecided, the backprop scene's point (a real data point, snapped clicks, a ring on the plot, fixed decimals),
xor-learned's caption naming only real controls, and the activation gallery's "Train with it"."""

from __future__ import annotations

import re

import pytest

from app.scenes import SCENES

from .helpers import header_where, screenshot, wait_js


def test_xor_linear_at_its_optimum_shows_four_undecided_points_not_25_percent(new_page):
    page = new_page("?scene=xor-linear&steps_per_frame=500")
    page.click("#play")
    header_where(page, "h.step >= 3000 && h.train_undecided === 4")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    h = page.evaluate("window.__mlp.header")
    text = wait_js(page, f"window.__mlp.painted && window.__mlp.header.step === {h['step']} "
                         "&& document.getElementById('accuracy').textContent")
    assert h["train_accuracy"] == 0 and h["train_undecided"] == 4
    assert "undecided: 4" in text and text.startswith("0.0% train"), text
    screenshot(page, "xor-linear-undecided.png")


FIXED = r"/^-?\d+\.\d{4}$/"


def test_backprop_opens_on_a_ringed_data_point_with_non_zero_gradients_in_fixed_decimals(new_page):
    page = new_page("?scene=backprop")
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    text = wait_js(page, "document.querySelector('#lecture .lec-backprop p')?.textContent")
    assert "x = (1, 1)" in text  # was (0, 0): zero inputs, every first-layer gradient 0
    # the ring sits on the data point (1, 1) of the plot
    ring = wait_js(page, "(() => { const r = document.getElementById('bp-point-ring'); "
                         "return r && !r.hidden && r.getBoundingClientRect().toJSON(); })()")
    lo, hi = page.evaluate("window.__mlp.header.box")
    area = page.locator("#points").bounding_box()
    assert abs(ring["x"] + ring["width"] / 2 - (area["x"] + (1 - lo) / (hi - lo) * area["width"])) <= 1
    assert abs(ring["y"] + ring["height"] / 2 - (area["y"] + (hi - 1) / (hi - lo) * area["height"])) <= 1
    # step to the gradients: every number in the tables has four decimals, and the gradients are not all 0
    for _ in range(3):
        page.click(".lec-controls button:nth-child(2)")
    wait_js(page, "document.querySelector('#lecture .lec-stage').textContent === 'gradients'")
    cells = page.evaluate("[...document.querySelectorAll('#lecture .lec-units td:nth-child(n+3), "
                          "#lecture .lec-links td:nth-child(n+2)')]"
                          ".map((c) => c.textContent).filter(Boolean)")
    assert len(cells) > 20
    bad = page.evaluate(f"(cells) => cells.filter((c) => !{FIXED}.test(c))", cells)
    assert not bad, bad
    grads = page.evaluate("[...document.querySelectorAll('#lecture .lec-links td:nth-child(3)')]"
                          ".map((c) => +c.textContent)")
    assert grads and all(g != 0 for g in grads), grads
    labels = page.evaluate("[...document.querySelectorAll('.bp-overlay .bp-label')]"
                           ".map((e) => e.textContent)")
    assert labels and all(re.fullmatch(r"\S+ -?\d+\.\d{4}", t) for t in labels), labels
    screenshot(page, "backprop-default-point.png")


def quoted_controls(caption: str) -> list[str]:
    """The names a caption puts in single quotes ('Check', 'Load'), besides scene titles ('XOR by hand')."""
    titles = {s.title for s in SCENES.values()}
    # a quote opens and closes outside words: "unit's" and "h'(a)" are no quotes
    return [q for q in re.findall(r"(?<![A-Za-z])'([^']+?)'(?![A-Za-z])", caption) if q not in titles]


CAPTIONED = [name for name, s in SCENES.items() if quoted_controls(s.caption)]


@pytest.mark.parametrize("name", CAPTIONED)
def test_every_control_a_scene_caption_names_is_on_the_page(new_page, name):
    page = new_page(f"?scene={name}")
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    names = page.evaluate("[...document.querySelectorAll('button, label, summary')]"
                          ".filter((e) => e.getClientRects().length)"
                          ".map((e) => e.textContent.trim().toLowerCase())")
    for control in quoted_controls(SCENES[name].caption):
        assert control.lower() in names, f"{name}'s caption names '{control}', which the page does not show"


def test_the_gallerys_train_with_it_trains_with_the_output_and_the_transport_in_view(new_page):
    # Since the merged layout the panel shares the first screen with the output plot and the page itself
    # does not scroll (the gallery's last row fits a 1280x520 window): "Train with it" must leave the
    # transport and the output in view while the network trains with the chosen unit.
    page = new_page("?scene=activations", width=1280, height=520)
    wait_js(page, "document.querySelectorAll('#lecture .lec-card button').length > 5")
    card = page.locator("#lecture .lec-card[data-unit='sine'] button")
    card.scroll_into_view_if_needed()
    card.click()
    wait_js(page, "window.__mlp.config.activation === 'sine' && window.__mlp.state === 'playing'")
    header_where(page, "h.step > 0")
    height = page.viewport_size["height"]
    for sel in ("#play", "#plot"):
        box = page.locator(sel).bounding_box()
        assert box["y"] >= 0 and box["y"] + min(box["height"], 200) <= height, (sel, box)
    screenshot(page, "gallery-train-with-it.png")
