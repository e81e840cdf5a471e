"""The page trains: play lowers the loss and repaints the boundary; activation, layers, units and single
weights change what the server trains; the keyboard drives the transport."""

from __future__ import annotations

import itertools
import statistics

from .helpers import DIGEST_JS, boundary_digest, header_where, screenshot, wait_frame, wait_js


def test_play_lowers_the_loss_and_repaints_the_boundary(page):
    first = page.evaluate("window.__mlp.header")
    assert first["step"] == 0
    before = boundary_digest(page)
    wait_js(page, "window.Plotly")  # measure the steady state, not the chart library's start-up
    start = page.evaluate("[performance.now(), window.__mlp.frames, window.__mlp.painted]")
    page.click("#play")
    late = header_where(page, "h.step >= 1600 && window.__mlp.painted >= 60")
    end = page.evaluate("[performance.now(), window.__mlp.frames, window.__mlp.painted]")
    page.click("#play")  # pause
    wait_js(page, "window.__mlp.state === 'paused'")
    assert late["train_loss"] < 0.8 * first["train_loss"], (first["train_loss"], late["train_loss"])
    assert boundary_digest(page) != before
    screenshot(page, "default.png")  # docs/screenshot.png: scripts/screenshots.py
    paint = page.evaluate("window.__mlp.paintMs")[1:]  # the first paint includes compiling the painter
    p95 = sorted(paint)[int(0.95 * (len(paint) - 1))]
    seconds = (end[0] - start[0]) / 1000
    arrived, painted = (end[1] - start[1]) / seconds, (end[2] - start[2]) / seconds
    print(f"\npaint time per frame over {len(paint)} frames: median {statistics.median(paint):.2f} ms, "
          f"p95 {p95:.2f} ms, max {max(paint):.2f} ms (target <= 4 ms); while playing "
          f"{arrived:.0f} frames/s arrived, {painted:.0f} painted")


def test_choosing_an_activation_rebuilds_every_layer_with_it(page):
    page.click("#activation")
    page.wait_for_selector("#picker-pop:not([hidden])")
    page.hover("#picker-list [data-name='sigmoid']")  # hovering previews g and g' without choosing
    assert page.inner_text("#picker-note")
    page.click("#picker-list [data-name='relu']")
    wait_js(page, "window.__mlp.config.activation === 'relu'")
    assert "activation=relu" in page.url
    layer_selects = page.eval_on_selector_all(".layer-head select", "els => els.map(e => e.value)")
    assert layer_selects == ["relu", "relu"]
    assert page.inner_text("#activation").startswith("ReLU")


def test_a_layer_activation_of_its_own_is_sent_as_a_list(page):
    page.select_option(".layer-head >> nth=2 >> select", "sigmoid")
    wait_js(page, "JSON.stringify(window.__mlp.config.activation) === '[\"tanh\",\"sigmoid\"]'")
    assert "activation=tanh,sigmoid" in page.url


def test_adding_a_layer_and_a_unit_grows_the_trained_network(page):
    hidden = page.evaluate("window.__mlp.config.hidden")
    page.click("#add-layer")
    wait_js(page, f"window.__mlp.config.hidden.length === {len(hidden) + 1}")
    page.click("button[aria-label='Add a unit to hidden layer 1']")
    wait_js(page, f"window.__mlp.config.hidden[0] === {hidden[0] + 1}")
    want = [hidden[0] + 1, *hidden[1:], hidden[-1]]
    # the frame's weights have the new shapes: (features, 5), (5, 2), (2, 2), (2, 1)
    h = header_where(page, f"h.weights.length === {len(want) + 1} && h.weights[0][0].length === {want[0]}")
    assert [len(w[0]) for w in h["weights"][:-1]] == want
    assert page.locator(".hidden-unit").count() == sum(want)
    assert f"hidden={','.join(map(str, want))}" in page.url


def test_editing_a_weight_through_its_link_changes_the_next_frame(page):
    before = boundary_digest(page)
    # the link x1 -> first unit of hidden layer 1 runs straight between the two boxes' facing sides
    a = page.locator("button[data-feature='x1']").bounding_box()
    b = page.locator("button[aria-label='Hidden layer 1, unit 1']").bounding_box()
    x = (a["x"] + a["width"] + b["x"]) / 2
    y = (a["y"] + a["height"] / 2 + b["y"] + b["height"] / 2) / 2
    page.mouse.move(x, y)
    page.wait_for_selector("#tooltip:not([hidden])")
    assert "Weight x\u2081 \u2192 h\u00b9\u2081" in page.inner_text("#tooltip")
    page.mouse.click(x, y)
    page.wait_for_selector("#editor:not([hidden])")
    page.fill("#editor input", "3.5")
    page.press("#editor input", "Enter")
    header_where(page, "h.weights[0][0][0] === 3.5")
    wait_js(page, f"{DIGEST_JS} !== {before!r}")


def test_keyboard_space_plays_s_steps_and_r_resets(page):
    page.locator("body").focus()
    page.keyboard.press("s")
    header_where(page, "h.step === 1")
    page.keyboard.press("ArrowRight")
    header_where(page, "h.step === 2")
    page.keyboard.press(" ")
    wait_js(page, "window.__mlp.state === 'playing'")
    page.keyboard.press(" ")
    wait_js(page, "window.__mlp.state === 'paused'")
    page.keyboard.press("r")
    header_where(page, "h.step === 0")


def test_hovering_a_unit_shows_its_full_map_in_the_output(page):
    before = boundary_digest(page)
    count = page.evaluate("window.__mlp.painted")
    page.hover("button[aria-label='Hidden layer 1, unit 2']")
    page.wait_for_selector("#unit-caption:not([hidden])")
    wait_frame(page, count)
    wait_js(page, f"{DIGEST_JS} !== {before!r}")
    page.mouse.move(5, 700)
    page.wait_for_selector("#unit-caption", state="hidden")


def test_toggling_an_input_feature_changes_the_first_layer(page):
    page.click("button[data-feature='x1sq']")
    wait_js(page, "window.__mlp.config.features.includes('x1sq')")
    h = header_where(page, "h.weights[0].length === 3")
    assert len(h["weights"][0]) == 3
    assert "features=x1,x2,x1sq" in page.url
    assert page.get_attribute("button[data-feature='x1sq']", "aria-pressed") == "true"


def test_regenerate_draws_new_data_and_the_link_keeps_its_seed(page):
    seed = page.evaluate("window.__mlp.config.seed")
    page.click("#regenerate")
    wait_js(page, f"window.__mlp.config.seed !== {seed}")
    new_seed = page.evaluate("window.__mlp.config.seed")
    assert f"seed={new_seed}" in page.url
    assert page.input_value("#seed") == str(new_seed)


def test_optimizer_coefficients_show_for_the_chosen_optimizer_and_apply_without_a_reset(new_page):
    page = new_page("?optimizer=momentum")
    assert page.is_visible("#momentum") and not page.is_visible("#beta1")
    assert page.input_value("#momentum") == "0.9"
    page.locator("body").focus()
    for _ in range(3):
        page.keyboard.press("s")
    header_where(page, "h.step === 3")
    page.fill("#momentum", "0.5")
    page.press("#momentum", "Enter")
    wait_js(page, "window.__mlp.config.momentum === 0.5")
    page.check("#nesterov")
    wait_js(page, "window.__mlp.config.nesterov === true")
    assert page.evaluate("window.__mlp.header.step") == 3  # applied live: no rebuild
    assert "momentum=0.5" in page.evaluate("location.search")
    page.fill("#momentum", "1.5")  # outside [0, 1): put back, not sent
    page.press("#momentum", "Enter")
    wait_js(page, "document.getElementById('momentum').value === '0.5'")
    page.select_option("#optimizer", "adam")
    wait_js(page, "window.__mlp.config.optimizer === 'adam'")
    assert page.is_visible("#beta1") and page.is_visible("#beta2") and not page.is_visible("#momentum")
    screenshot(page, "optimizer-params.png")


def _curve(link: dict, straight: bool, n: int = 16) -> list[tuple[float, float]]:
    """The n + 1 points where the page samples a link's curve (its cubic from (x0, y0) to (x1, y1) with
    both control points at the middle x), computed here independently."""
    x0, y0, x1, y1 = link["x0"], link["y0"], link["x1"], link["y1"]
    mx, points = (x0 + x1) / 2, []
    for k in range(n + 1):
        t = k / n
        u = 1 - t
        if straight:
            points.append((u * x0 + t * x1, u * y0 + t * y1))
        else:
            points.append((u**3 * x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t**3 * x1,
                           u**3 * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t**3 * y1))
    return points


def _segment_distance(p, a, b) -> float:
    (x, y), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return ((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2) ** 0.5


def test_a_link_is_hoverable_between_the_points_where_its_curve_is_sampled(page):
    links, straight = page.evaluate("[window.__mlp.links, window.__mlp.straightLinks]")
    curves = [_curve(L, straight) for L in links]

    def nearest(p):
        return min((min(_segment_distance(p, a, b) for a, b in itertools.pairwise(c)), k)
                   for k, c in enumerate(curves))

    # the steepest stretch of the steepest link: the middle of a chord there is far from both its ends
    target = max(range(len(links)), key=lambda k: abs(links[k]["y1"] - links[k]["y0"]))
    a, b = curves[target][7], curves[target][8]
    spot = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    assert min(((spot[0] - x) ** 2 + (spot[1] - y) ** 2) ** 0.5 for x, y in curves[target]) > 5
    distance, k = nearest(spot)
    assert k == target and distance < 1  # on the line, and no other link is nearer

    box = page.locator("#diagram").bounding_box()
    page.mouse.move(box["x"] + spot[0], box["y"] + spot[1])
    page.wait_for_selector("#tooltip:not([hidden])")
    L, hidden = links[target], page.evaluate("window.__mlp.config.hidden")
    # the one notation of static/js/notation.js: h, hidden layer as superscript, unit as subscript
    sup, sub = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"), \
        str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")

    def unit(layer, j):
        return "h" + str(layer).translate(sup) + str(j).translate(sub)

    to = "y" if L["l"] == len(hidden) else unit(L["l"] + 1, L["j"] + 1)
    text = page.inner_text("#tooltip")
    assert f"\u2192 {to}:" in text and (L["l"] == 0 or f"{unit(L['l'], L['i'] + 1)} \u2192" in text), text
