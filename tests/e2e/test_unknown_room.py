"""A stale room link (issue 11, item 6): the server builds no session for a wrong code and closes with
4004; the page says so, reconnects without the code and trains a session of its own from the link."""

from __future__ import annotations

from .helpers import screenshot, wait_js


def test_a_stale_room_link_ends_in_a_session_of_ones_own_with_a_notice(new_page):
    page = new_page("?watch=ZZZZZZ&dataset=xor&seed=3")
    wait_js(page, "Boolean(window.__mlp.session) && !document.body.classList.contains('watching')")
    assert page.evaluate("window.__mlp.config.dataset") == "xor"  # the link's settings, not a room's
    assert "watch=" not in page.url
    assert "no room" in page.text_content("#notice-text")
    page.locator("body").focus()
    page.keyboard.press("s")
    wait_js(page, "window.__mlp.header && window.__mlp.header.step === 1")
    screenshot(page, "stale-room-link.png")
