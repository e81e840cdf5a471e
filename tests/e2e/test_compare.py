"""Compare (issue 12, part 1), the page: network B's panel beside A's output, both loss curves on the one
chart, the difference named, the form that chooses what B changes, and B's settings in the link.

Pictures are checked against the frames the page received (decoded here with the server's decoder, the colours
computed from the colour scale's anchors as tests/e2e/test_pixels.py does), the curves against the frames'
losses, the label against the header's words.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import page_factory, playwright_api  # noqa: F401  (playwright_api: skips the module without it)
from .helpers import ARTIFACTS, wait_js
from .layout_probe import inside, overlap_area
from .npm_assets import package_dir
from .test_a11y import audit, explain
from .test_pixels import (
    assert_colours,
    expected_map,
    read,
    settled,
    tapped,  # noqa: F401  (the fixture: a page whose frames are tapped)
    target_to_t,
)

RELU_B = "?b.activation=relu&b.hidden=8,8"
HAS_B = "(() => { const h = window.__mlp && window.__mlp.header; return !!(h && h.compare); })()"


def query(page) -> str:
    return page.evaluate("location.search")


def array_range(header: dict, name: str) -> list[float]:
    return next(a for a in header["arrays"] if a["name"] == name)["range"]


# --- the link ----------------------------------------------------------------------------------------
def test_a_link_with_b_keys_compares_and_a_reload_lands_on_the_same_comparison(new_page):
    page = new_page(f"{RELU_B}&seed=3")
    wait_js(page, HAS_B)
    assert page.evaluate("window.__mlp.config.compare") == {"activation": "relu", "hidden": [8, 8]}
    q = query(page)
    assert "b.hidden=8,8" in q and "b.activation=relu" in q, q
    page.reload()
    wait_js(page, HAS_B)
    assert page.evaluate("window.__mlp.config.compare") == {"activation": "relu", "hidden": [8, 8]}
    assert query(page) == q
    assert page.is_visible("#compare")


def test_b_keys_that_b_cannot_change_are_refused_naming_the_key(new_page):
    page = new_page("?b.dataset=xor&b.hidden=4,x&b.learning_rate=0.3&b.nosuch=1")
    text = page.inner_text("#notice-text")
    assert "b.dataset=xor (network B shares A's data and batches" in text, text
    assert 'b.hidden=4,x (item "x" must be' in text, text
    assert "b.nosuch=1 (is not a setting)" in text, text
    wait_js(page, HAS_B)
    assert page.evaluate("window.__mlp.config.compare") == {"learning_rate": 0.3}


def test_compare_1_alone_compares_a_with_an_identical_b(new_page):
    page = new_page("?compare=1")
    wait_js(page, HAS_B)
    assert page.evaluate("window.__mlp.config.compare") == {}
    header = page.evaluate("window.__mlp.header")
    assert header["compare"]["label"] == "B: the same network as A"
    assert page.inner_text("#compare-label") == "B: the same network as A"
    assert "compare=1" in query(page)


def test_a_bad_compare_value_is_named_and_no_comparison_starts(new_page):
    page = new_page("?compare=maybe")
    assert "compare=maybe (must be 1" in page.inner_text("#notice-text")
    assert page.evaluate("window.__mlp.config.compare") is None
    assert not page.is_visible("#compare")


LINKS_JS = """async ([cases, sceneCompare, search]) => {
    const state = await import('/static/js/state.js');
    const schema = await (await fetch('/api/schema')).json();
    const base = state.defaults(schema);
    const scene = {...base, compare: sceneCompare};
    return {
      written: cases.map((compare) => state.buildQuery(schema, {...base, compare}, {hide: []}, scene)),
      read: cases.map((compare) => {
        const q = state.buildQuery(schema, {...base, compare}, {hide: []}, base);
        return state.parseQuery(q, schema).config.compare;
      }),
      parsed: search === null ? null : state.parseQuery(search, schema),
    };
}"""


@pytest.fixture(scope="module")
def links(browser, base_url):
    """state.js's own reading and writing of links, run in a page of the server (no session started):
    ``links(cases, scene_compare, search)`` writes each B of ``cases`` over a scene whose B is
    ``scene_compare``, reads each back from a link without a scene, and parses ``search``."""
    page = browser.new_page()
    page.goto(f"{base_url}/static/css/playground.css")  # same origin, without starting a session

    def run(cases, scene_compare=None, search=None):
        return page.evaluate(LINKS_JS, [cases, scene_compare, search])

    yield run
    page.close()


def test_b_settings_written_into_a_link_read_back_the_same(links):
    cases = [{"activation": "relu", "hidden": [8, 8]}, {}, {"learning_rate": 0.3, "nesterov": True},
             {"output": "linear", "loss": "squared_error", "features": ["x1", "x2", "x1x2"]}]
    got = links(cases)
    assert got["read"] == cases
    assert got["written"][0].endswith("b.hidden=8,8&b.activation=relu"), got["written"][0]
    assert got["written"][1].endswith("compare=1"), got["written"][1]


def test_a_scenes_own_b_is_left_out_of_the_link_and_no_b_is_written_compare_0(links):
    adam = {"optimizer": "adam"}
    got = links([adam, None, {**adam, "learning_rate": 0.1}], adam)
    same, off, more = got["written"]
    assert "b." not in same and "compare" not in same, same
    assert off.endswith("compare=0"), off
    assert more.endswith("b.optimizer=adam&b.learning_rate=0.1"), more


def test_compare_0_with_b_keys_says_the_keys_are_ignored(links):
    got = links([], None, "?compare=0&b.activation=relu")["parsed"]
    assert got["config"]["compare"] is None
    assert got["notices"] == ["b.activation (compare=0 turns the comparison off)"]


# --- the pictures --------------------------------------------------------------------------------------
def test_both_maps_are_the_frames_values_through_the_colour_scale(tapped):  # noqa: F811
    # A keeps the playground's tanh output (targets -1, 1); B changes it to sigmoid (targets 0, 1), so each
    # map has its own scale and the test tells them apart
    page, tap = tapped(f"{RELU_B}&b.output=sigmoid&b.loss=cross_entropy")
    header, arrays = settled(page, tap, lambda h, a: "compare" in h)
    G = header["grid"]
    rgba, info = read(page, "#boundary")
    assert (info["w"], info["h"]) == (G, G)
    assert_colours(rgba, expected_map(arrays["output"], array_range(header, "output"), target_to_t(-1, 1)),
                   "A's map")
    rgba_b, info_b = read(page, "#compare-boundary")
    assert (info_b["w"], info_b["h"]) == (G, G) and info_b["shown"]
    b_range = array_range(header, "compare_output")
    assert b_range == header["compare"]["output_range"]
    assert_colours(rgba_b, expected_map(arrays["compare_output"], b_range, target_to_t(0, 1)), "B's map")
    assert not np.array_equal(arrays["output"], arrays["compare_output"])  # two networks, two pictures


def test_b_shows_the_training_points_where_a_does(tapped):  # noqa: F811
    page, tap = tapped(RELU_B)
    settled(page, tap, lambda h, a: "compare" in h)
    dataset = page.evaluate("window.__mlp.dataset")
    rgba, info = read(page, "#compare-points")
    lo, hi = dataset["box"]
    w = info["w"]
    blue, orange = np.array([8, 119, 189]), np.array([245, 147, 34])
    checked = 0
    for x1, x2, label in dataset["train"][:40]:
        px = int((x1 - lo) / (hi - lo) * w)
        py = int((hi - x2) / (hi - lo) * w)
        if not (1 <= px < w - 1 and 1 <= py < w - 1):
            continue
        want = blue if label >= 1 else orange
        # the point's centre, unless another point of the other class lies over it
        if np.abs(rgba[py, px, :3].astype(int) - want).max() <= 2:
            checked += 1
    assert checked >= 30, f"only {checked} of 40 training points drawn on B's map in their class colour"


def test_the_label_and_b_numbers_are_the_headers(tapped):  # noqa: F811
    page, tap = tapped(RELU_B)
    header, _ = settled(page, tap, lambda h, a: "compare" in h)
    b = header["compare"]
    assert b["label"].startswith("B: ") and "ReLU instead of tanh" in b["label"], b["label"]
    assert page.inner_text("#compare-label") == b["label"]
    assert page.inner_text("#compare-train-loss") == f"{b['metrics']['train_loss']:.3f}"
    assert page.inner_text("#compare-test-loss") == f"{b['metrics']['test_loss']:.3f}"
    acc = b["metrics"]["train_accuracy"], b["metrics"]["test_accuracy"]
    assert page.inner_text("#compare-accuracy") == f"{100 * acc[0]:.1f}% train / {100 * acc[1]:.1f}% test"
    fields = {d["field"] for d in b["differences"]}
    assert {"activation", "hidden"} <= fields
    # the chart's legend names B's difference
    assert page.inner_text("#chart-legend").replace("\n", " ").strip() == f"A {b['label']}"
    # B's diagram: its layer sizes, written under its columns
    sizes = ", ".join(map(str, b["sizes"]))
    assert page.get_attribute("#compare-net", "aria-label") == f"Network B's diagram: layers of {sizes} units"
    assert b["sizes"] == [2, 8, 8, 1]


def test_the_chart_draws_the_losses_of_a_and_b_the_frames_carried(tapped):  # noqa: F811
    page, tap = tapped(RELU_B)
    settled(page, tap, lambda h, a: "compare" in h)
    page.click("#play")
    wait_js(page, "window.__mlp.header.step >= 200")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    settled(page, tap)
    page.wait_for_timeout(700)  # the chart redraws at most every 500 ms
    sent = {}
    for k in range(len(tap.frames)):
        h, _ = tap.decoded(k)  # a paused frame may name arrays of the one before (hello.same)
        if "compare" in h:
            sent[h["step"]] = (h["train_loss"], h["compare"]["metrics"]["train_loss"])
    chart = page.evaluate("""(() => { const d = document.getElementById('loss-chart').data;
        return {a: [d[0].x, d[0].y], b: [d[2].x, d[2].y], dash: [d[0].line.dash, d[2].line.dash]}; })()""")
    assert chart["dash"] == ["solid", "dash"]
    steps_a, loss_a = chart["a"]
    steps_b, loss_b = chart["b"]
    assert steps_a == steps_b and len(steps_a) >= 3
    for step, la, lb in zip(steps_a, loss_a, loss_b, strict=True):
        assert sent[step] == (la, lb), step
    assert loss_a != loss_b  # two networks, two curves


# --- turning it on and off from the page ---------------------------------------------------------------
def test_the_form_starts_a_comparison_and_stop_removes_b(new_page):
    page = new_page("?seed=5")
    assert not page.is_visible("#compare")
    page.click("#compare-open")
    assert page.is_visible("#compare-form")
    page.select_option("#cmp-optimizer", "adam")
    page.select_option("#cmp-learning_rate", "0.01")
    page.click("#compare-apply")
    wait_js(page, HAS_B)
    assert page.evaluate("window.__mlp.config.compare") == {"optimizer": "adam", "learning_rate": 0.01}
    assert not page.is_visible("#compare-form")  # closed once the server confirmed
    assert page.is_visible("#compare")
    label = page.inner_text("#compare-label")
    assert "Adam instead of SGD" in label and "learning rate 0.01 instead of 0.03" in label, label
    q = query(page)
    assert "b.optimizer=adam" in q and "b.learning_rate=0.01" in q, q
    page.screenshot(path=str(ARTIFACTS / "compare-form-on.png"))
    page.click("#compare-stop")
    wait_js(page, "window.__mlp.config.compare === null && !window.__mlp.header.compare")
    assert not page.is_visible("#compare")
    wait_js(page, "document.getElementById('chart-legend').hidden")
    assert "b." not in query(page) and "compare" not in query(page)
    assert not page.evaluate("document.body.classList.contains('has-compare')")


def test_a_bad_hidden_layer_list_is_named_in_the_form_and_nothing_is_sent(new_page):
    page = new_page()
    page.click("#compare-open")
    page.fill("#cmp-hidden", "8,0")
    page.click("#compare-apply")
    error = page.inner_text("#compare-form-error")
    assert error == 'Hidden layers: "0" is not a number of units from 1 to 64'
    assert page.get_attribute("#cmp-hidden", "aria-invalid") == "true"
    page.wait_for_timeout(300)
    assert page.evaluate("window.__mlp.config.compare") is None


def test_a_comparison_the_server_refuses_is_shown_at_the_field_it_names(new_page):
    # A's per-layer units are two different ones; the form leaves B's activation to the server, which
    # cannot give A's two activations to B's three layers
    page = new_page("?activation=relu,tanh")
    page.click("#compare-open")
    page.fill("#cmp-hidden", "4,4,4")
    page.click("#compare-apply")
    err = page.inner_text("#compare-form-error")
    assert err.startswith("Activation:") and "B's for its 3 layers" in err, err
    assert page.get_attribute("#cmp-activation", "aria-invalid") == "true"
    page.select_option("#cmp-activation", "relu")
    page.click("#compare-apply")
    wait_js(page, HAS_B)
    assert page.evaluate("window.__mlp.config.compare") == {"activation": "relu", "hidden": [4, 4, 4]}


# --- layout and accessibility ------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "embed"), [((1280, 720), False), ((960, 540), True)])
def test_both_maps_and_the_chart_fit_the_first_screen(new_page, size, embed):
    page = new_page(f"{RELU_B}{'&embed=1' if embed else ''}", width=size[0], height=size[1])
    wait_js(page, HAS_B)
    page.wait_for_timeout(400)
    boxes = page.evaluate("""(() => {
        const b = (s) => { const r = document.querySelector(s).getBoundingClientRect();
          return {x: r.left, y: r.top, w: r.width, h: r.height}; };
        const root = document.documentElement;
        return {a: b('#plot'), b: b('.compare-plot'), chart: b('#loss-chart'), net: b('#compare-net'),
                diagram: b('#diagram'), panel: b('#compare'),
                scroll: [root.scrollWidth, root.scrollHeight]}; })()""")
    name = f"compare-{size[0]}x{size[1]}.png"
    page.screenshot(path=str(ARTIFACTS / name))
    view = {"x": 0, "y": 0, "w": size[0], "h": size[1]}
    assert boxes["scroll"] == [size[0], size[1]], boxes["scroll"]
    for key in ("a", "b", "chart", "net", "diagram"):
        assert inside(boxes[key], view), (key, boxes[key])
    assert inside(boxes["b"], boxes["panel"]) and inside(boxes["net"], boxes["panel"])
    for one, other in [("a", "b"), ("chart", "b"), ("diagram", "panel"), ("a", "panel")]:
        assert overlap_area(boxes[one], boxes[other]) == 0, (one, other)
    assert boxes["b"]["w"] >= 140 and boxes["diagram"]["h"] >= 120, boxes
    # "beside": B's map and A's share a band of the screen's height
    a, b = boxes["a"], boxes["b"]
    assert b["y"] < a["y"] + a["h"] and a["y"] < b["y"] + b["h"]


def test_the_compare_panel_and_form_have_no_accessibility_violations(new_page):
    source = (package_dir("axe-core") / "axe.min.js").read_text()
    page = new_page(RELU_B)
    wait_js(page, HAS_B)
    violations = audit(page, source)
    assert not violations, explain(violations)
    page.click("#compare-change")
    assert page.is_visible("#compare-form")
    violations = audit(page, source)
    assert not violations, explain(violations)


# --- rewind and divergence act on B too ---------------------------------------------------------------
def _b_curve(page):
    return page.evaluate("(() => { const d = document.getElementById('loss-chart').data[2]; "
                         "return [d.x.slice(), d.y.slice()]; })()")


def test_rewinding_on_the_chart_shows_b_at_the_same_step_and_keeps_both_curves(new_page):
    page = new_page(f"{RELU_B}&steps_per_frame=10")
    wait_js(page, HAS_B)
    page.click("#play")
    wait_js(page, "window.__mlp.header.step >= 300", timeout_ms=60_000)
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    page.wait_for_timeout(700)  # the chart redraws at most twice a second
    steps_before, loss_before = _b_curve(page)
    latest = steps_before[-1]
    box = page.locator("#loss-chart").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    wait_js(page, "!document.getElementById('rewind-badge').hidden")
    shown = int(page.evaluate("document.getElementById('rewind-badge').dataset.step"))
    assert 0 < shown < latest
    header = wait_js(page, f"(() => {{ const h = window.__mlp.header; return h.step === {shown} && h; }})()")
    assert header["compare"]["step"] == shown  # B went back with A
    page.wait_for_timeout(700)
    steps_after, loss_after = _b_curve(page)
    assert steps_after == steps_before and loss_after == loss_before  # B's future is still drawn
    # B's numbers in its panel are those of the rewound step
    assert page.inner_text("#compare-train-loss") == f"{header['compare']['metrics']['train_loss']:.3f}"


def test_a_b_that_diverges_says_so_and_a_trains_on(new_page):
    # a linear ReLU network at learning rate 10 blows up within a few hundred steps; A is the playground's
    page = new_page("?b.learning_rate=10&b.activation=relu&b.output=linear&b.loss=squared_error"
                    "&steps_per_frame=20")
    wait_js(page, HAS_B)
    page.click("#play")
    diverged = ("(() => { const h = window.__mlp.header; "
                "return h && h.compare && h.compare.state === 'diverged' && h; })()")
    header = wait_js(page, diverged, timeout_ms=60_000)
    wait_js(page, "!document.getElementById('compare-diverged').hidden")
    text = page.inner_text("#compare-diverged")
    assert text.startswith("B diverged by step") and "A trains on" in text, text
    step = header["step"]
    later = wait_js(page, f"(() => {{ const h = window.__mlp.header; return h.step > {step + 40} && h; }})()")
    assert page.evaluate("window.__mlp.state") == "playing"  # A goes on
    assert later["compare"]["step"] == header["compare"]["step"] < later["step"]  # B stopped where it blew up
    assert page.is_hidden("#diverged")  # A's own divergence notice stays away
    page.click("#play")


@pytest.mark.parametrize(("query", "size"), [("?scene=landscape&b.optimizer=sgd&embed=1", (960, 540)),
                                              ("?scene=landscape&b.optimizer=sgd", (1280, 720))])
def test_with_a_scenes_panel_too_both_panels_take_the_diagrams_place_and_fit(new_page, query, size):
    page = new_page(query, width=size[0], height=size[1])
    wait_js(page, HAS_B)
    wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot .main-svg')")
    page.wait_for_timeout(400)
    boxes = page.evaluate("""(() => {
        const b = (s) => { const r = document.querySelector(s).getBoundingClientRect();
          return {x: r.left, y: r.top, w: r.width, h: r.height}; };
        return {a: b('#plot'), b: b('.compare-plot'), lecture: b('#lecture'), panel: b('#compare'),
                network: getComputedStyle(document.querySelector('.col.network')).display}; })()""")
    page.screenshot(path=str(ARTIFACTS / f"compare-landscape-{size[0]}x{size[1]}.png"))
    view = {"x": 0, "y": 0, "w": size[0], "h": size[1]}
    assert boxes["network"] == "none"
    for key in ("a", "b", "lecture", "panel"):
        assert inside(boxes[key], view), (key, boxes[key])
    assert overlap_area(boxes["lecture"], boxes["panel"]) == 0
    assert boxes["b"]["w"] >= 100


def test_after_a_server_restart_the_page_puts_back_a_and_b_at_the_step_it_saw(browser, restartable_server):
    with page_factory(browser, restartable_server.url) as make:
        page = make(f"{RELU_B}&steps_per_frame=10")
        wait_js(page, HAS_B)
        page.click("#play")
        wait_js(page, "window.__mlp.header.step >= 100")
        page.click("#play")
        wait_js(page, "window.__mlp.state === 'paused'")
        before = page.evaluate("window.__mlp.header")
        restartable_server.restart()
        wait_js(page, f"document.getElementById('notice-text').textContent.includes("
                      f"'restored at step {before['step']:,}')", timeout_ms=60_000)
        after = wait_js(page, f"(() => {{ const h = window.__mlp.header; "
                              f"return h.step === {before['step']} && h.compare && h; }})()")
        assert after["weights"] == before["weights"]
        assert after["compare"]["weights"] == before["compare"]["weights"]
        assert after["compare"]["biases"] == before["compare"]["biases"]
        assert after["compare"]["step"] == before["step"]
