"""The look-inside panels (issue 12): space folding and the loss landscape, read back from the page and
compared with the numbers the server computes for the same session, and with the pixels on screen."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app import lecture
from app.session import Session

from .helpers import screenshot, wait_js

pytestmark = pytest.mark.e2e

LOADED = ("document.getElementById('lecture').dataset.loaded === '1' && "
          "!!document.querySelector('#lecture .js-plotly-plot')")
AT_STEP = "document.getElementById('lec-landscape').dataset.step === String(window.__mlp.header.step)"

# The pixel centre of trace `t`'s point `i` of a Plotly graph `id`, from Plotly's own axis mapping, in
# page coordinates (the screenshot's).
POINT_PX = """([id, t, i]) => {
  const gd = document.getElementById(id);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const r = gd.getBoundingClientRect();
  const x = gd.data[t].x[i], y = gd.data[t].y[i];
  return [r.left + xa._offset + xa.l2p(x), r.top + ya._offset + ya.l2p(y)];
}"""


def _pixel(page, xy) -> tuple[int, int, int]:
    png = page.screenshot()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    return img.getpixel((round(xy[0]), round(xy[1])))


def _close(rgb, expected, tol=40) -> bool:
    return max(abs(a - b) for a, b in zip(rgb, expected, strict=True)) <= tol


def test_xor_fold_draws_the_four_points_where_the_hidden_layer_puts_them(new_page):
    page = new_page("?scene=xor-fold", width=1280, height=720)
    wait_js(page, LOADED)
    data = page.evaluate("document.getElementById('lec-folding').data[2]")
    # the lecture's numbers: (0,0) -> (0,0), (0,1) and (1,0) -> (1,0), (1,1) -> (2,1)
    pairs = sorted(zip(data["x"], data["y"], data["customdata"], strict=True))
    assert pairs == [(0, 0, 0), (1, 0, 1), (1, 0, 1), (2, 1, 0)]
    expected = lecture.compute(Session(scene="xor-fold"), "folding")
    assert data["x"] == [p[0] for p in expected["points"]]
    # one unit of h is as long across as up (a fold must not look like a stretch)
    a, b, c = (page.evaluate(POINT_PX, ["lec-folding", 2, i]) for i in (0, 1, 3))  # (0,0) (1,0) (2,1)
    unit_x = b[0] - a[0]
    assert unit_x > 10 and b[1] == pytest.approx(a[1], abs=0.5)
    assert c[0] - b[0] == pytest.approx(unit_x, abs=0.5) and a[1] - (c[1]) == pytest.approx(unit_x, abs=0.5)
    # and the markers are painted there, in their class colours (orange class 0, blue class 1)
    assert _close(_pixel(page, a), (245, 147, 34)) and _close(_pixel(page, b), (8, 119, 189))
    screenshot(page, "insight-xor-fold.png")


def test_xor_folds_decision_line_separates_the_classes_in_the_hidden_plane(new_page):
    page = new_page("?scene=xor-fold", width=1280, height=720)
    wait_js(page, LOADED)
    line = page.evaluate("document.getElementById('lec-folding').data[3]")
    (x0, x1), (y0, y1) = line["x"], line["y"]
    points = page.evaluate("document.getElementById('lec-folding').data[2]")
    # the side of the dashed line each point lies on is its class
    side = [np.sign((x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)) for px, py in zip(points["x"], points["y"],
                                                                                    strict=True)]
    classes = points["customdata"]
    assert len({s for s, k in zip(side, classes, strict=True) if k == 0}) == 1
    assert {s for s, k in zip(side, classes, strict=True) if k == 1} == {-next(
        s for s, k in zip(side, classes, strict=True) if k == 0)}


def test_the_layer_slider_goes_back_to_the_input_plane(new_page):
    page = new_page("?scene=xor-fold", width=1280, height=720)
    wait_js(page, LOADED)
    page.fill("#lec-fold-layer", "0")
    wait_js(page, "document.getElementById('lec-folding').dataset.layer === '0'")
    data = page.evaluate("document.getElementById('lec-folding').data[2]")
    assert sorted(zip(data["x"], data["y"], strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert page.evaluate("document.getElementById('lec-folding')._fullLayout.xaxis.title.text") == "x\u2081"
    assert "input plane" in page.locator(".lec-fold-label").text_content()


def test_a_wide_layer_is_drawn_through_its_principal_components(new_page):
    page = new_page("?scene=xor-fold&dataset=circle&hidden=6&activation=tanh&train_ratio=0.5", width=1280,
                    height=720)
    wait_js(page, LOADED)
    title = page.evaluate("document.getElementById('lec-folding')._fullLayout.xaxis.title.text")
    assert title.startswith("PC 1 of h\u00b9 (") and title.endswith("%)")
    assert "principal components" in page.locator("#lecture .hint").first.text_content()


def test_landscape_shows_the_servers_slice_with_the_lowest_cell_in_the_scales_low_colour(new_page):
    page = new_page("?scene=landscape", width=1280, height=720)
    wait_js(page, LOADED)
    fig = page.evaluate("(() => { const d = document.getElementById('lec-landscape').data[0]; "
                        "return {x: d.x, y: d.y, z: d.z}; })()")
    expected = lecture.compute(Session(scene="landscape"), "landscape")
    assert fig["x"] == expected["alphas"] and fig["y"] == expected["betas"]
    assert fig["z"] == expected["loss"]  # rows along d2, columns along d1, as the server sent them
    z = np.array(fig["z"], dtype=float)
    i, j = np.unravel_index(np.nanargmin(z), z.shape)
    gd_point = page.evaluate("""([i, j]) => {
      const gd = document.getElementById('lec-landscape');
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
      return [r.left + xa._offset + xa.l2p(gd.data[0].x[j]), r.top + ya._offset + ya.l2p(gd.data[0].y[i])];
    }""", [int(i), int(j)])
    # reversed Viridis: the lowest loss is yellow (#fde725), the highest dark purple
    assert _close(_pixel(page, gd_point), (253, 231, 37), tol=45)
    star = page.evaluate(POINT_PX, ["lec-landscape", 1, 0])
    assert page.evaluate("document.getElementById('lec-landscape').data[1].name") == "now"
    assert star == pytest.approx(page.evaluate(POINT_PX, ["lec-landscape", 1, 0]))
    screenshot(page, "insight-landscape.png")


def test_path_directions_before_training_say_why_and_keep_the_panel_usable(new_page):
    page = new_page("?scene=landscape", width=1280, height=720)
    wait_js(page, LOADED)
    page.click("#lecture button[data-value=pca]")
    wait_js(page, "!!document.querySelector('#lecture .lec-error')")
    assert "train longer first" in page.locator("#lecture .lec-error").text_content()
    assert page.locator("#lecture button[data-value=random]").is_visible()
    assert page.locator("#notice").is_hidden()  # the panel's own message, not a page-wide notice
    # after some training the same button works, the path ends at the star and the axes say how much of it
    # each direction holds
    page.click("#play")
    wait_js(page, "window.__mlp.header && window.__mlp.header.step >= 150")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    page.click("#lecture button[data-value=pca]")
    wait_js(page, "document.getElementById('lec-landscape').dataset.directions === 'pca' && "
                  "!document.querySelector('#lecture .lec-error')")
    wait_js(page, AT_STEP)
    path = page.evaluate("document.getElementById('lec-landscape').data[1]")
    assert path["name"] == "path" and path["x"][-1] == 0 and path["y"][-1] == 0
    assert path["customdata"][-1] == page.evaluate("window.__mlp.header.step")
    title = page.evaluate("document.getElementById('lec-landscape')._fullLayout.xaxis.title.text")
    assert title.startswith("PC 1 (") and title.endswith("of the path)")


def test_the_star_is_at_the_training_loss_the_page_shows(new_page):
    page = new_page("?scene=landscape", width=1280, height=720)
    wait_js(page, LOADED)
    page.click("#play")
    wait_js(page, "window.__mlp.header && window.__mlp.header.step >= 100")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    wait_js(page, AT_STEP)
    summary = page.locator(".lec-landscape-summary").text_content()
    star_loss = float(summary.split(": ", 1)[1].split(" ", 1)[0])
    shown = page.evaluate("window.__mlp.header.train_loss")
    assert star_loss == pytest.approx(shown, abs=5e-4)
