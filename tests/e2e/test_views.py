"""What the output panel shows beyond the boundary: linear regions, K-class colouring, divergence; and that
every control can be named by a screen reader and reached from the keyboard."""

from __future__ import annotations

import json
import re

from .helpers import DIGEST_JS, boundary_digest, header_where, wait_js


def test_the_region_overlay_shows_the_count_against_its_bound(new_page):
    # one hidden layer of 5 units on 2 inputs: at most 1 + 5 + 10 = 16 regions (Zaslavsky)
    page = new_page("?activation=relu&hidden=5&regions=1")
    page.wait_for_selector("#region-badge:not([hidden])")
    text = page.inner_text("#region-badge")
    match = re.fullmatch(r"(\u2265 )?(\d+) linear regions \(max 16\)", text)
    assert match, text
    assert 1 <= int(match[2]) <= 16
    assert page.evaluate("window.__mlp.header.regions.count") == int(match[2])
    page.click("#add-layer")
    wait_js(page, "window.__mlp.config.hidden.length === 2")
    # deeper: "max" is still a ceiling no net of the shape exceeds (the engine's upper_bound, checked by
    # hand in tests/engine), and the tooltip adds Montufar et al.'s reachable number
    wait_js(page, "window.__mlp.header.sizes.length === 4 && window.__mlp.header.regions"
                  " && window.__mlp.header.regions.upper > 16")
    upper = page.evaluate("window.__mlp.header.regions.upper")
    hidden = page.evaluate("window.__mlp.header.sizes.slice(1, -1)")
    assert upper == 16 * (1 + hidden[1] + hidden[1] * (hidden[1] - 1) // 2)
    wait_js(page, f"document.getElementById('region-badge').textContent.endsWith('(max {upper})')")
    assert "Montufar" in page.get_attribute("#region-badge", "title")
    page.uncheck("#show-regions")
    page.wait_for_selector("#region-badge", state="hidden")
    assert "regions=1" not in page.url


def test_smooth_units_get_a_note_instead_of_a_region_count(new_page):
    page = new_page("?activation=tanh&regions=1")
    page.wait_for_selector("#region-badge:not([hidden])")
    assert "linear regions (max" not in page.inner_text("#region-badge")


def test_k_class_data_is_coloured_by_class(new_page):
    page = new_page("?dataset=blobs&classes=4&output=softmax&loss=cross_entropy&steps_per_frame=50")
    header_where(page, "h.arrays.some(a => a.name === 'classes')")
    assert page.locator("#legend .swatch").count() == 4
    assert page.locator(".output-unit").count() == 4
    page.click("#play")
    header_where(page, "h.step >= 600 && h.train_accuracy > 0.9")
    page.click("#play")
    # four hues on the map: the painted pixels are not one diverging scale
    hues = page.evaluate("""(() => {
        const c = document.getElementById('boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) {
            const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
            const max = Math.max(r, g, b), min = Math.min(r, g, b);
            if (max - min < 40) continue;  // near-neutral: low confidence
            seen.add(max === r ? (g > b ? 'r>g' : 'r>b') : max === g ? 'g' : 'b');
        }
        return seen.size;
    })()""")
    assert hues >= 3


def test_divergence_is_a_clear_state_with_the_way_out(new_page):
    page = new_page("?dataset=reg-plane&output=linear&loss=squared_error&learning_rate=10")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'diverged'")
    page.wait_for_selector("#diverged:not([hidden])")
    assert "Lower the learning rate" in page.inner_text("#diverged")
    page.click("#diverged-fix")
    wait_js(page, "window.__mlp.config.learning_rate === 1 && window.__mlp.state === 'paused'")
    header_where(page, "h.step === 0")
    page.wait_for_selector("#diverged", state="hidden")


def test_every_control_has_a_name(page):
    unnamed = page.evaluate("""(() => {
        const named = (el) => el.getAttribute('aria-label') || el.labels?.length || el.title
            || (el.tagName === 'BUTTON' && el.textContent.trim());
        return [...document.querySelectorAll('button, select, input, textarea')]
            .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 80));
    })()""")
    assert unnamed == []


def test_a_units_parameters_are_editable_from_the_keyboard(page):
    unit = page.locator("button[aria-label='Hidden layer 1, unit 1']")
    unit.focus()
    page.wait_for_selector("#unit-caption:not([hidden])")  # focus shows its map, as hover does
    page.keyboard.press("Enter")
    page.wait_for_selector("#editor:not([hidden])")
    labels = page.eval_on_selector_all("#editor label", "els => els.map(e => e.textContent)")
    assert labels[0] == "bias" and "w x\u2081" in labels  # the notation of notation.js: x₁, h¹₂
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("edit-")
    page.keyboard.type("-0.75")
    page.keyboard.press("Enter")
    header_where(page, "h.biases[0][0] === -0.75")


def test_export_downloads_the_network_and_the_data(page, tmp_path):
    page.click(".share summary")
    with page.expect_download() as info:
        page.click("#export-json")
    saved = tmp_path / "net.json"
    info.value.save_as(saved)
    content = json.loads(saved.read_text())
    assert content["config"]["hidden"] == page.evaluate("window.__mlp.config.hidden")
    with page.expect_download() as info:
        page.click("#export-csv")
    assert info.value.suggested_filename.endswith(".csv")


def test_discretize_and_test_points_are_page_toggles_kept_in_the_link(new_page):
    page = new_page("?steps_per_frame=50")
    page.click("#play")
    header_where(page, "h.step >= 300")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    smooth = boundary_digest(page)
    page.check("#discretize")
    wait_js(page, f"{DIGEST_JS} !== {smooth!r}")
    # a discretized map has only the two class colours
    colours = page.evaluate("""(() => {
        const c = document.getElementById('boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return seen.size;
    })()""")
    assert colours == 2
    page.check("#show-test")
    assert "discretize=1" in page.url and "test=1" in page.url


def _badge_for(page, regions: dict, depth: int) -> str:
    """The badge the output view draws for ``regions`` (a frame header's) on a ``depth``-layer net."""
    return page.evaluate("""([regions, depth]) => import('/static/js/views/output.js').then((m) => {
        m.OutputView.prototype.drawBadge.call({ showRegions: true, depth }, regions, 'polygons');
        return document.getElementById('region-badge').textContent;
    })""", [regions, depth])


def test_a_count_stopped_at_its_budget_reads_more_than_with_grouped_digits_and_a_readable_bound(new_page):
    from app.engine.network import Network
    from app.engine.regions import region_count

    # six layers of 64: the ceiling is ~1e26, and the engine's own "stopped at the budget" answer
    net = Network([2] + [64] * 6 + [1], activation="relu", init="he", seed=0)
    info = region_count(net, budget=20).to_dict()
    assert info["exact"] is False and info["note"].startswith("more than 20 ")
    info["count"] = 20_000  # the server's budget (app/regioncount.py), with the note it then sends
    info["note"] = info["note"].replace("more than 20 ", "more than 20000 ", 1)
    page = new_page()
    text = _badge_for(page, info, 6)
    power = "[\u2070-\u2079\u00b9\u00b2\u00b3]+"
    assert re.fullmatch(rf"> 20,000 linear regions \(max \d\.\d\d? \u00d7 10{power}\)", text), text
    assert "e+" not in text
    # a grid count is a lower bound, not a stopped one: it keeps "at least"
    grid = {**info, "count": 1234, "note": "lower bound: distinct activation patterns on a 400x400 grid"}
    assert _badge_for(page, grid, 6).startswith("\u2265 1,234 linear regions")
