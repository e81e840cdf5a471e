"""What a new user tripped on (issue 10, section 6), pinned in the browser: xor-linear's ties shown as
undecided, the backprop scene's point (a real data point, snapped clicks, a ring on the plot, fixed decimals),
xor-learned's caption naming only real controls, and the activation gallery's "Train with it"."""

from __future__ import annotations

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
