"""The backprop step-through on the network diagram (issue 5, scene `backprop`): after a click on the output
plot, every stage's labels on the diagram carry exactly the numbers the server sent in its `lecture` message,
read here from the WebSocket itself (not from the page), and the stepper is driven from the keyboard."""

from __future__ import annotations

import json

import pytest

from .helpers import ARTIFACTS, WAIT_MS, wait_frame, wait_js

LABELS_JS = """[...document.querySelectorAll('.bp-overlay .bp-label')].map((e) =>
  e.classList.contains('bp-link') ? {link: true, layer: +e.dataset.layer, from: +e.dataset.from,
     to: +e.dataset.to, kind: e.dataset.kind, value: +e.dataset.value, text: e.textContent}
  : {link: false, layer: +e.dataset.layer, unit: +e.dataset.unit, feature: +e.dataset.feature,
     rows: [...e.children].map((r) => ({kind: r.dataset.kind, value: +r.dataset.value,
                                        text: r.textContent}))})"""

ACTIVE_JS = """[...document.querySelectorAll('#nodes .node.bp-active')].map((e) =>
  e.classList.contains('output-unit') ? 'output' : e.getAttribute('aria-label'))"""


@pytest.fixture
def backprop_page(browser, base_url):
    """The backprop scene in a fresh page, and every `lecture` message the server sent it (newest last)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    lectures: list[dict] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_socket(ws):
        def received(payload):
            if isinstance(payload, str):
                msg = json.loads(payload)
                if msg.get("type") == "lecture" and msg.get("what") == "backprop":
                    lectures.append(msg["data"])
        ws.on("framereceived", received)

    page.on("websocket", on_socket)
    page.goto(f"{base_url}/?scene=backprop")
    wait_frame(page)
    yield page, lectures
    ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def shown(text: str) -> float:
    """The number written in a label such as 'δ -0.123' or 'w′ 0.5'."""
    return float(text.split()[-1])


def close(label_text: str, value: float) -> bool:
    # labels show 3 decimals: the printed number is the server's value rounded, nothing else
    return abs(shown(label_text) - value) <= 0.0005 + 1e-9


def test_every_stage_on_the_diagram_shows_the_servers_numbers(backprop_page):
    page, lectures = backprop_page
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    assert page.evaluate("window.__mlp.state") != "playing"  # the numbers must hold still while we read them
    wait_js(page, "!document.querySelector('.bp-stepper').hidden")  # the default point's numbers
    before = len(lectures)
    box = page.locator("#plot").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    wait_js(page, f"{len(lectures)} > 0")  # keeps the page polled while the answer travels
    for _ in range(200):
        if len(lectures) > before:
            break
        page.wait_for_timeout(40)
    data = lectures[-1]  # the answer for the clicked point: box (-6, 6), so x1 > 0 and x2 > 0
    assert len(lectures) > before and data["x"][0] > 0 and data["x"][1] > 0
    point = f"({', '.join(f'{v:g}' for v in data['x'])})"
    wait_js(page, f"document.querySelector('#lecture .lec-backprop p').textContent.includes({point!r})")
    layers = data["layers"]
    L = len(layers)
    stages = L + 3  # forward, output delta, L - 1 hidden deltas, gradients, update
    hidden = [len(layer["a"]) for layer in layers[:-1]]
    assert page.evaluate("document.querySelector('.bp-stage').textContent") == f"1/{stages}: forward"

    for stage in range(stages):
        wait_js(page, f"document.querySelector('.bp-overlay').dataset.stage === '{stage}'")
        labels = page.evaluate(LABELS_JS)
        units = [lab for lab in labels if not lab["link"]]
        links = [lab for lab in labels if lab["link"]]
        known = [l for l in range(L) if stage >= L - l]  # layers whose delta is known: output first
        if stage == 0:
            inputs = {lab["feature"]: lab["rows"][0] for lab in units if lab["layer"] == -1}
            assert sorted(inputs) == list(range(len(data["input"])))
            for i, row in inputs.items():
                v = data["input"][i]
                assert row["value"] == v and close(row["text"], v)
            for lab in units:
                if lab["layer"] < 0:
                    continue
                layer, t = layers[lab["layer"]], lab["unit"]
                a, z = lab["rows"]
                assert (a["kind"], a["value"]) == ("a", layer["a"][t]) and close(a["text"], layer["a"][t])
                assert (z["kind"], z["value"]) == ("z", layer["z"][t]) and close(z["text"], layer["z"][t])
            assert len(units) - len(inputs) == sum(hidden) + len(layers[-1]["a"])
            assert not links
            assert page.evaluate(ACTIVE_JS) == []
        else:
            assert sorted({lab["layer"] for lab in units}) == known
            for lab in units:
                (row,) = lab["rows"]
                v = layers[lab["layer"]]["delta"][lab["unit"]]
                assert row["kind"] == "delta" and row["value"] == v and close(row["text"], v)
            update = stage == stages - 1
            expect = {(l, i, t) for l in known for i in range(len(layers[l]["dW"]))
                      for t in range(len(layers[l]["dW"][0]))}
            assert {(lab["layer"], lab["from"], lab["to"]) for lab in links} == expect
            for lab in links:
                w = layers[lab["layer"]]
                v = w["W_next"][lab["from"]][lab["to"]] if update else w["dW"][lab["from"]][lab["to"]]
                assert lab["kind"] == ("w_next" if update else "dw")
                assert lab["value"] == v and close(lab["text"], v)
                if update:  # the update really is w - lr dL/dw
                    g, w0 = w["dW"][lab["from"]][lab["to"]], w["W"][lab["from"]][lab["to"]]
                    assert abs(v - (w0 - data["learning_rate"] * g)) < 2e-6
            if stage <= L:  # the layer this stage works on is outlined, nothing else
                active = page.evaluate(ACTIVE_JS)
                l = L - stage
                assert active == (["output"] if l == L - 1
                                  else [f"Hidden layer {l + 1}, unit {t + 1}" for t in range(hidden[l])])
        # the panel's table follows the same stepper
        panel_stage = page.evaluate("document.querySelector('#lecture .lec-stage').textContent")
        stepper = page.evaluate("document.querySelector('.bp-stage').textContent")
        assert stepper.startswith(f"{stage + 1}/{stages}: {panel_stage}")
        if stage == stages - 2:
            # a link's tooltip gives the product delta_t z_j on the diagram, hovered at its label
            first = page.locator(".bp-overlay .bp-link").first.bounding_box()
            cx, cy = first["x"] + first["width"] / 2, first["y"] + first["height"] / 2
            page.mouse.move(cx, cy)
            tip = wait_js(page, "(() => { const t = document.getElementById('tooltip');"
                                " return !t.hidden && t.textContent; })()")
            assert "dL/dw = \u03b4" in tip
            page.mouse.move(box["x"] - 200, box["y"] + 5)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "backprop-overlay-gradients.png"))
        if stage in (0, 1):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("#diagram").screenshot(path=str(ARTIFACTS / f"backprop-overlay-stage{stage}.png"))
        if stage < stages - 1:
            page.focus(".bp-stepper button:last-child")  # keyboard: focus Next and press Enter
            page.keyboard.press("Enter")

    assert page.evaluate("document.querySelector('.bp-stepper button:last-child').disabled")
    page.screenshot(path=str(ARTIFACTS / "backprop-overlay-update.png"))
    # Prev goes back one stage, in the panel as well
    page.focus(".bp-stepper button:first-child")
    page.keyboard.press("Enter")
    wait_js(page, f"document.querySelector('.bp-overlay').dataset.stage === '{stages - 2}'")
    assert page.evaluate("document.querySelector('#lecture .lec-stage').textContent") == "gradients"


def test_the_overlay_leaves_the_diagram_when_another_scene_loads(backprop_page):
    page, _ = backprop_page
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    box = page.locator("#plot").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    wait_js(page, "document.querySelectorAll('.bp-overlay .bp-label').length > 0")
    page.select_option("#scene", "xor-by-hand")
    wait_js(page, "window.__mlp.ui.scene === 'xor-by-hand'")
    wait_js(page, "document.querySelectorAll('.bp-overlay .bp-label').length === 0"
                  " && document.querySelector('.bp-stepper').hidden")


def test_a_click_picks_the_data_point_nearest_the_pointer_and_rings_it(backprop_page):
    page, lectures = backprop_page
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    wait_js(page, "!document.querySelector('.bp-stepper').hidden")
    lo, hi = page.evaluate("window.__mlp.header.box")
    train = [p[:2] for p in page.evaluate("window.__mlp.dataset.train")]
    area = page.locator("#points").bounding_box()  # the plotting area: the view box, x2 up
    for fx, fy in ((0.75, 0.8), (0.2, 0.3)):
        before = len(lectures)
        page.mouse.click(area["x"] + fx * area["width"], area["y"] + fy * area["height"])
        for _ in range(200):
            if len(lectures) > before:
                break
            page.wait_for_timeout(40)
        assert len(lectures) > before
        at = (lo + fx * (hi - lo), hi - fy * (hi - lo))
        nearest = min(train, key=lambda p: (p[0] - at[0]) ** 2 + (p[1] - at[1]) ** 2)
        assert lectures[-1]["x"] == nearest, (lectures[-1]["x"], at)  # the data point, not the raw click
        want = json.dumps(nearest)
        ring = wait_js(page, "(() => { const r = document.getElementById('bp-point-ring'); "
                             f"return r && !r.hidden && r.dataset.x === JSON.stringify({want}) "
                             "&& r.getBoundingClientRect().toJSON(); })()")
        cx, cy = ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2
        px = area["x"] + (nearest[0] - lo) / (hi - lo) * area["width"]
        py = area["y"] + (hi - nearest[1]) / (hi - lo) * area["height"]
        assert abs(cx - px) <= 1 and abs(cy - py) <= 1, ((cx, cy), (px, py))  # centred on the point's dot


def test_every_label_of_every_stage_lies_inside_the_network_column(backprop_page):
    # at 1280x720 the output unit sits near the column's right edge: its delta must not run past it
    page, _ = backprop_page
    page.set_viewport_size({"width": 1280, "height": 720})
    wait_js(page, "!document.querySelector('.bp-stepper').hidden")
    column = page.locator("#network").bounding_box()
    right, bottom = column["x"] + column["width"], column["y"] + column["height"]
    stages = int(page.evaluate("document.querySelector('.bp-stage').textContent").split("/")[1].split(":")[0])
    for stage in range(stages):
        wait_js(page, f"document.querySelector('.bp-overlay').dataset.stage === '{stage}'")
        page.wait_for_timeout(100)  # the labels follow the diagram's next layout
        boxes = page.evaluate("""[...document.querySelectorAll('.bp-overlay .bp-label')].map((e) => {
            const r = e.getBoundingClientRect();
            return [e.textContent, r.left, r.top, r.right, r.bottom];
        }).filter((b) => b[3] > b[1])""")
        assert boxes
        for text, left, top, r, b in boxes:
            assert left >= column["x"] and r <= right + 0.5 and top >= column["y"] and b <= bottom + 0.5, \
                f"stage {stage}: {text!r} at ({left:.0f}, {top:.0f})-({r:.0f}, {b:.0f}), column {column}"
        if stage < stages - 1:
            page.click(".bp-stepper button:text('Next')")
