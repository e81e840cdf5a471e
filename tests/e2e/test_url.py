"""URL state: a copied link reproduces the start; embed=1 and hide= shape the page; bad values are named."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from .helpers import header_where, screenshot, wait_js


def step0_loss(page) -> float:
    page.locator("body").focus()
    page.keyboard.press("r")
    return header_where(page, "h.step === 0")["train_loss"]


def test_a_copied_link_gives_the_same_config_and_first_frame_loss(browser, new_page):
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("button.dataset[data-name='xor']")
    wait_js(page, "window.__mlp.config.dataset === 'xor'")
    page.fill("#seed", "7")
    page.press("#seed", "Enter")
    wait_js(page, "window.__mlp.config.seed === 7")
    page.select_option("#learning_rate", "0.1")
    page.click("button[aria-label='Add a unit to hidden layer 2']")
    wait_js(page, "window.__mlp.config.hidden[1] === 3 && window.__mlp.config.learning_rate === 0.1")
    page.click("#play")
    header_where(page, "h.step >= 50")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    loss = step0_loss(page)
    config = page.evaluate("window.__mlp.config")

    page.click(".share summary")
    page.click("#copy-link")
    link = page.evaluate("navigator.clipboard.readText()")
    query = parse_qs(urlsplit(link).query)
    assert query["dataset"] == ["xor"] and query["seed"] == ["7"] and query["hidden"] == ["4,3"]

    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        second = other.new_page()
        second.goto(link)
        first = header_where(second, "h.step === 0")
        assert second.evaluate("window.__mlp.config") == config
        assert first["train_loss"] == loss
        assert second.evaluate("window.__mlp.session") != page.evaluate("window.__mlp.session")
    finally:
        other.close()


def test_embed_shows_only_the_network_and_the_output(new_page):
    page = new_page("?embed=1&activation=relu&hidden=6,6&regions=1&steps_per_frame=50",
                    width=960, height=540)
    # the top bar shrinks to the embed strip: transport, step counter, "open full"
    for hidden in (".brand", ".topbar .transport", "#learning_rate", ".col.data", ".footer", ".share"):
        assert not page.is_visible(hidden), hidden
    for shown in ("#diagram", "#boundary", "#open-full", "#embed-play", "#stepcount"):
        assert page.is_visible(shown), shown
    full = page.get_attribute("#open-full", "href")
    assert "embed" not in parse_qs(urlsplit(full).query)
    # the output map fits in the frame: nothing the viewer needs is cut off at 960 x 540
    box = page.locator("#boundary").bounding_box()
    assert box["y"] + box["height"] <= 540 and box["x"] + box["width"] <= 960
    page.click("#embed-play")  # the small transport of embed mode drives the session too
    header_where(page, "h.step >= 800")
    page.click("#embed-play")
    wait_js(page, "window.__mlp.state === 'paused'")
    screenshot(page, "embed.png")  # docs/screenshot-embed.png: scripts/screenshots.py


def test_hide_removes_the_named_control_everywhere(new_page):
    page = new_page("?hide=activation")
    assert not page.is_visible("#activation")
    assert page.locator(".layer-head select").count() == 2
    assert not page.locator(".layer-head select").first.is_visible()
    assert page.is_visible("#learning_rate")
    assert "hide=activation" in page.url


def test_hiding_the_data_column_gives_its_room_to_the_network(new_page):
    page = new_page("?hide=data")
    assert not page.is_visible(".col.data")
    assert page.locator("#diagram").bounding_box()["x"] < 40


def test_invalid_query_values_are_ignored_with_a_notice_naming_them(new_page):
    page = new_page("?learning_rate=abc&hidden=4,999&bogus=1&activation=relu&hide=nothing")
    assert page.is_visible("#notice")
    text = page.inner_text("#notice-text")
    for name in ("learning_rate=abc", "hidden=4,999", "bogus=1", "hide=nothing"):
        assert name in text, (name, text)
    config = page.evaluate("window.__mlp.config")
    assert config["activation"] == "relu"  # the valid value of the same link is kept
    assert config["learning_rate"] == 0.03
    assert "learning_rate=abc" not in page.url and "bogus" not in page.url


def test_a_scene_link_reproduces_the_scenes_hand_set_weights(browser, new_page, base_url):
    page = new_page()
    page.select_option("#scene", "xor-by-hand")
    wait_js(page, "window.__mlp.config.dataset === 'xor4'")
    assert "scene=xor-by-hand" in page.url
    scene = next(s for s in page.evaluate("fetch('/api/scenes').then(r => r.json())")["scenes"]
                 if s["name"] == "xor-by-hand")
    header = header_where(page, "h.step === 0 && h.weights.length === 2")
    assert header["weights"] == scene["parameters"]["weights"]
    assert page.is_checked("#show-regions")  # the scene asks for the region view
    link = page.url

    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        second = other.new_page()
        second.goto(link)
        again = header_where(second, "h.step === 0")
        assert again["weights"] == scene["parameters"]["weights"]
        assert again["train_loss"] == header["train_loss"]
    finally:
        other.close()

    # rebuilding the network leaves the hand-set weights behind, so the link stops naming the scene
    page.click("button[aria-label='Add a unit to hidden layer 1']")
    wait_js(page, "window.__mlp.config.hidden[0] === 3")
    assert "scene=" not in page.url


def test_a_link_the_server_cannot_build_is_named_and_the_default_starts(new_page):
    # each value is within its own bound, but a batch of 50 does not fit the four XOR points
    page = new_page("?dataset=xor4&train_ratio=1&batch_size=50")
    page.wait_for_selector("#notice:not([hidden])")
    assert "batch_size" in page.inner_text("#notice-text")
    config = page.evaluate("window.__mlp.config")
    assert config["batch_size"] <= 4 or config["dataset"] != "xor4"
    assert "batch_size=50" not in page.url


def test_a_link_to_the_universality_scene_keeps_the_function_chosen_in_its_panel(new_page):
    page = new_page("?scene=universality")
    page.click(".lecture button:text-is('step')")
    wait_js(page, "window.__mlp.config.dataset === 'step'")
    link = page.evaluate("location.href")
    assert parse_qs(urlsplit(link).query)["dataset"] == ["step"]

    again = new_page(link[link.index("?"):])
    wait_js(again, "window.__mlp.config.dataset === 'step'")
    assert again.evaluate("window.__mlp.config.features") == ["x1"]
    assert not again.is_visible("#notice"), again.inner_text("#notice-text")


def test_train_with_it_in_the_gallery_keeps_the_scene_and_its_panel_in_the_link(new_page):
    # the activation gallery sets no weights by hand: its link is its config, so a changed unit keeps scene=
    page = new_page("?scene=activations", width=1280, height=900)
    page.wait_for_selector(".lec-card[data-unit='tanh'] button")
    page.click(".lec-card[data-unit='tanh'] button")
    wait_js(page, "window.__mlp.config.activation === 'tanh' && location.search.includes('activation=tanh')")
    query = parse_qs(urlsplit(page.url).query)
    assert query["scene"] == ["activations"] and query["activation"] == ["tanh"]

    again = new_page(page.url[page.url.index("?"):], width=1280, height=900)
    again.wait_for_selector(".lec-card[data-unit='tanh']")  # the gallery is back on screen
    wait_js(again, "window.__mlp.config.activation === 'tanh' && window.__mlp.config.dataset === 'circle'")
    assert again.evaluate("window.__mlp.config.hidden") == [6, 4]


def test_load_in_the_seeds_panel_keeps_the_scene_so_the_link_reproduces_that_seed(new_page):
    page = new_page("?scene=xor-learned", width=1280, height=900)
    button = page.locator(".lec-seeds tr:nth-child(3) button")
    button.wait_for(timeout=60_000)
    seed = int(page.inner_text(".lec-seeds tr:nth-child(3) td:first-child"))
    header_where(page, "h.step === 0")
    before = page.evaluate("JSON.stringify(window.__mlp.header.weights)")
    button.click()
    wait_js(page, f"window.__mlp.config.seed === {seed} && location.search.includes('seed={seed}')")
    assert parse_qs(urlsplit(page.url).query)["scene"] == ["xor-learned"]
    changed = f"h.step === 0 && JSON.stringify(h.weights) !== {json.dumps(before)}"
    weights = header_where(page, changed)["weights"]

    again = new_page(page.url[page.url.index("?"):], width=1280, height=900)
    again.wait_for_selector(".lec-seeds", timeout=60_000)  # the seeds panel is back on screen
    assert header_where(again, "h.step === 0")["weights"] == weights
