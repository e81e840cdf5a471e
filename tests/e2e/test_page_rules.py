"""Rules of the page model: the output a dataset's problem type brings, the live fields that keep a scene in
the link, and notices that name what was wrong with a link in readable length."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from app.config import MAX_SEED

from .helpers import header_where, wait_js


def _pair(page) -> tuple[str, str]:
    c = page.evaluate("window.__mlp.config")
    return c["output"], c["loss"]


def _choose_dataset(page, name: str) -> None:
    page.click(f'#datasets .dataset[data-name="{name}"]')
    # the server's confirmation: its dataset message for the new set
    wait_js(page, f"window.__mlp.config.dataset === '{name}' && window.__mlp.dataset "
                  f"&& window.__mlp.dataset.regression === {str(name.startswith('reg-')).lower()}")


def test_regression_dataset_switches_to_linear_squared_error_unless_chosen(new_page):
    page = new_page()
    assert _pair(page) == ("tanh", "squared_error")
    _choose_dataset(page, "reg-plane")
    wait_js(page, "window.__mlp.config.output === 'linear'")
    assert _pair(page) == ("linear", "squared_error")
    assert page.input_value("#output") == "linear+squared_error"
    # back to classification: the pair the regression set replaced
    _choose_dataset(page, "circle")
    wait_js(page, "window.__mlp.config.output === 'tanh'")
    assert _pair(page) == ("tanh", "squared_error")

    # the user's own choice of an output that fits regression stays
    page.select_option("#output", "sigmoid+cross_entropy")
    wait_js(page, "window.__mlp.config.output === 'sigmoid'")
    page.select_option("#output", "tanh+squared_error")
    wait_js(page, "window.__mlp.config.output === 'tanh'")
    _choose_dataset(page, "reg-gauss")
    header_where(page, "h.step === 0")
    assert _pair(page) == ("tanh", "squared_error")

    # a link: without an output the regression pair, with one the link's choice
    page = new_page("?dataset=reg-plane")
    wait_js(page, "window.__mlp.config.output === 'linear'")
    assert _pair(page) == ("linear", "squared_error")
    page = new_page("?dataset=reg-plane&output=tanh&loss=squared_error")
    header_where(page, "h.step === 0")
    assert _pair(page) == ("tanh", "squared_error")


def test_changing_momentum_in_a_scene_keeps_scene_in_link(new_page):
    page = new_page("?scene=softmax")
    assert page.evaluate("window.__mlp.config.optimizer") == "adam"
    session = page.evaluate("window.__mlp.session")
    page.fill("#beta1", "0.8")
    page.press("#beta1", "Enter")
    wait_js(page, "window.__mlp.config.beta1 === 0.8")
    # a live field: the same network trains on, so the link still names the scene (and the new beta1)
    query = parse_qs(urlsplit(page.url).query)
    assert query["scene"] == ["softmax"] and query["beta1"] == ["0.8"]
    shared = parse_qs(urlsplit(page.get_attribute("#open-full", "href")).query)
    assert shared["scene"] == ["softmax"]
    assert page.evaluate("window.__mlp.ui.scene") == "softmax"
    assert page.evaluate("window.__mlp.session") == session


def test_a_long_seed_is_clipped_and_named_out_of_bounds(new_page):
    page = new_page("?seed=" + "5" * 5000)
    text = page.inner_text("#notice-text")
    assert f"(must be >= 0 and <= {MAX_SEED})" in text, text
    assert "seed=" + "5" * 40 + "\u2026 (5,000 characters)" in text, text
    assert len(text) < 300, text
    assert page.evaluate("window.__mlp.config.seed") == 0


def test_hide_notice_lists_the_valid_controls(new_page):
    page = new_page("?hide=nothing,learning_rate")
    text = page.inner_text("#notice-text")
    assert "hide=nothing (no such control; the controls are " in text, text
    for name in ("activation", "learning_rate", "play", "data", "regions"):
        assert name in text.split("the controls are ", 1)[1], (name, text)
    assert not page.is_visible("#learning_rate")  # the valid name of the same list is applied
