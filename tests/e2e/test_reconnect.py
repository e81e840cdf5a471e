"""When the connection drops on the server side, the page reconnects with its token and resumes."""

from __future__ import annotations

from .helpers import header_where, wait_js


def test_the_page_reconnects_and_resumes_the_same_session(page, proxy):
    page.click("#play")
    header_where(page, "h.step >= 100")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    session = page.evaluate("window.__mlp.session")
    # the step the pause stopped at (the state message's), not the last frame's: under load the last
    # frame drawn may predate the pause
    step = page.evaluate("window.__mlp.step")

    assert proxy.drop_all() >= 1
    wait_js(page, "window.__mlp.statusLog.includes('reconnecting')")
    wait_js(page, "window.__mlp.status === 'open' && window.__mlp.statusLog.at(-1) === 'open'")
    assert page.evaluate("window.__mlp.session") == session
    assert page.evaluate("window.__mlp.resumed") is True
    # the resumed session trains on from where it was, not from step 0
    page.locator("body").focus()
    page.keyboard.press("s")
    header_where(page, f"h.step === {step + 1}")


def test_a_reload_resumes_the_session_but_an_edited_address_starts_afresh(page, base_url):
    page.locator("body").focus()
    page.keyboard.press("s")
    header_where(page, "h.step === 1")
    session = page.evaluate("window.__mlp.session")
    page.reload()
    header_where(page, "h.step === 1")
    assert page.evaluate("window.__mlp.session") == session
    assert page.evaluate("window.__mlp.resumed") is True
    page.goto(f"{base_url}/?dataset=xor&seed=3")
    header_where(page, "h.step === 0")
    assert page.evaluate("window.__mlp.session") != session
    assert page.evaluate("window.__mlp.config.dataset") == "xor"
