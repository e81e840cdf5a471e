"""Embed mode (issue 10, section 3): the slide shows the step counter and a network, not the tools to build
one: +/- layers and units, init and the per-layer selects appear only when the link asks with edit=1."""

from __future__ import annotations

from .helpers import header_where, wait_js

STRUCTURE = ["#add-layer", "#remove-layer", "#init", ".layer-head .units button", ".layer-head select"]


def visible(page, selector: str) -> list[bool]:
    return [page.locator(selector).nth(i).is_visible() for i in range(page.locator(selector).count())]


def test_the_embedded_player_shows_the_step_counter_and_it_counts(new_page):
    page = new_page("?embed=1&scene=xor-learned", width=960, height=540)
    counter = page.locator("#stepcount")
    assert counter.is_visible()
    box = counter.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 540 and box["x"] + box["width"] <= 960
    page.click("#embed-step")
    header_where(page, "h.step >= 1")
    wait_js(page, "document.getElementById('stepcount').textContent === String(window.__mlp.header.step)")
    assert int(counter.inner_text()) >= 1


def test_the_embedded_player_hides_structure_editing(new_page):
    page = new_page("?embed=1&hidden=4,2", width=960, height=540)
    assert page.locator(".layer-head select").count() == 2  # built, only not shown
    for selector in STRUCTURE:
        assert not any(visible(page, selector)), selector
    assert page.locator("#diagram .node").first.is_visible()  # the network itself is shown


def test_an_embed_link_with_edit_shows_structure_editing_and_keeps_it_in_the_share_link(new_page):
    page = new_page("?embed=1&edit=1&hidden=4,2", width=960, height=540)
    for selector in STRUCTURE:
        assert all(visible(page, selector)) and visible(page, selector), selector
    assert "edit=1" in page.evaluate("location.search")
    assert not page.is_visible("#notice")  # edit= is a known key, not an "ignored invalid link value"
