"""Presenter broadcast in the browser: ?present=1 shows a room code and viewer link, ?watch=CODE streams the
presenter's frames read-only, "Fork" makes a private session from the presenter's weights; and a stored token
the server does not hold starts a fresh session from the link with a notice."""

from __future__ import annotations

import json

from .helpers import header_where, screenshot, wait_js


def present(new_page):
    page = new_page("?present=1&dataset=xor&seed=3")
    code = wait_js(page, "(() => { const c = document.getElementById('room-code'); "
                         "return c && !c.hidden && c.textContent; })()")
    return page, code


def test_a_viewer_watches_the_presenters_frames_read_only(new_page):
    presenter, code = present(new_page)
    link = presenter.input_value("#room-link")
    assert link.endswith(f"/?watch={code}")
    viewer = new_page(f"?watch={code}")
    wait_js(viewer, "document.body.classList.contains('watching')")
    assert "read-only" in viewer.text_content("#room-text")
    assert viewer.evaluate("window.__mlp.session") is None
    assert viewer.evaluate("window.__mlp.config.dataset") == "xor"  # the presenter's, not the link's
    # controls are out of reach while watching
    assert viewer.evaluate("getComputedStyle(document.getElementById('play')).pointerEvents") == "none"
    presenter.click("#play")
    first = header_where(viewer, "h.step > 0")["step"]
    header_where(viewer, f"h.step > {first}")  # live: the viewer's frames follow the presenter's training
    presenter.click("#play")
    wait_js(presenter, "window.__mlp.state === 'paused'")
    wait_js(viewer, "window.__mlp.state === 'paused'")
    assert f"watch={code}" in viewer.url  # a reload rejoins the room
    wait_js(presenter, "/1 viewer\\b/.test(document.getElementById('room-text').textContent)")
    screenshot(presenter, "room-presenter.png")
    screenshot(viewer, "room-viewer.png")


def test_fork_turns_the_viewer_into_a_private_session_from_the_presenters_weights(new_page):
    presenter, code = present(new_page)
    presenter.locator("body").focus()
    for _ in range(3):
        presenter.keyboard.press("s")
    weights = json.dumps(header_where(presenter, "h.step === 3")["weights"])
    viewer = new_page(f"?watch={code}")
    header_where(viewer, "h.step === 3")
    viewer.click("#room-fork")
    wait_js(viewer, "!document.body.classList.contains('watching') && window.__mlp.session")
    header = header_where(viewer, "h.step === 0")
    assert json.dumps(header["weights"]) == weights  # the presenter's weights, at the fork's own step 0
    assert "watch=" not in viewer.url and "own copy" in viewer.text_content("#notice-text")
    viewer.locator("body").focus()
    viewer.keyboard.press("s")
    header_where(viewer, "h.step === 1")
    assert presenter.evaluate("window.__mlp.header.step") == 3  # the presenter's session is untouched


def test_a_stored_token_the_server_does_not_hold_starts_fresh_from_the_link_with_a_notice(browser, base_url):
    ctx = browser.new_context()
    try:
        query = "?dataset=xor&seed=3"
        stored = json.dumps({"token": "held-by-another-process", "key": query})
        ctx.add_init_script(f"sessionStorage.setItem('mlp-playground.token', {json.dumps(stored)});")
        page = ctx.new_page()
        page.goto(f"{base_url}/{query}")
        header_where(page, "h.step === 0")
        wait_js(page, "window.__mlp.session")
        assert page.evaluate("window.__mlp.resumed") is False
        assert page.evaluate("window.__mlp.config.dataset") == "xor"
        assert "fresh session" in page.text_content("#notice-text")
        assert page.is_visible("#notice")
    finally:
        ctx.close()
