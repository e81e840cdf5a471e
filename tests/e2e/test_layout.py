"""Every scene fits the projector and the slide (issue 10, section 3): at 1280x720 (the full page) and at
960x540 and 960x720 (embedded), the scene's teaching panel and the live output plot are in view together,
without scrolling, nothing covering anything, the major boxes of the page side by side."""

from __future__ import annotations

import pytest

from app import scenes

from .helpers import ARTIFACTS, wait_js
from .layout_probe import SIZES, assert_fits, measure, open_scene

CASES = [pytest.param(name, size, id=f"{name}-{size}") for name in scenes.SCENES for size in SIZES]


@pytest.mark.parametrize(("name", "size"), CASES)
def test_the_scene_panel_and_the_output_plot_share_the_first_screen(new_page, name, size):
    page = open_scene(new_page, name, size)
    m = measure(page)
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / f"{name}-{size}.png"))
    assert_fits(m, name, SIZES[size][2])


@pytest.mark.parametrize("name", ["xor-by-hand", "activations"])
def test_a_scene_with_the_data_column_hidden_gives_its_room_to_the_panel(new_page, name):
    page = new_page(f"?scene={name}&hide=data", width=1280, height=720)
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot .main-svg')")
    page.wait_for_timeout(300)
    m = measure(page)
    assert "data" not in m["majors"]
    assert_fits(m, name, embedded=False)
    assert m["majors"]["lecture"]["x"] < 20  # the panel starts at the page's left edge
