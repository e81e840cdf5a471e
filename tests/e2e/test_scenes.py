"""Lecture scenes (issue 5): each loads through ?scene=NAME, shows its caption and, where it has one, its
panel filled with the server's numbers; a few screenshots go to artifacts/e2e/scenes/."""

from __future__ import annotations

import re

import pytest

from app import scenes

from .helpers import ARTIFACTS, wait_js

SHOTS = {"xor-by-hand", "activations", "saturation", "depth", "backprop", "universality", "softmax",
         "spiral-deep"}


@pytest.mark.parametrize("name", list(scenes.SCENES))
def test_scene_loads_through_the_url_and_shows_its_caption(new_page, name):
    scene = scenes.get_scene(name)
    page = new_page(f"?scene={name}", width=1280, height=900)
    wait_js(page, f"window.__mlp.ui.scene === {name!r} || ({name!r} === 'playground')")
    caption = page.locator("#scene-caption")
    if name != scenes.DEFAULT_SCENE:
        wait_js(page, f"document.getElementById('scene-caption').textContent === {scene.caption!r}")
        assert caption.is_visible()
    assert page.evaluate("window.__mlp.config.dataset") == scene.config["dataset"]
    if scene.panel:
        wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
        assert page.locator("#lecture").is_visible()
        assert page.evaluate("document.getElementById('lecture').dataset.panel") == scene.panel
    if name in SHOTS:
        if scene.panel in ("walkthrough", "gallery", "saturation", "universality"):
            wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot')")
        if scene.autoplay:
            wait_js(page, "window.__mlp.header && window.__mlp.header.step >= 200")
        if name == "depth":  # the companion net follows the main one step for step
            page.click("#play")
            wait_js(page, "window.__mlp.header && window.__mlp.header.step >= 300")
            page.click("#play")
            wait_js(page, "window.__mlp.state === 'paused'")
            wait_js(page, "document.querySelector('#lecture .hint').textContent"
                          ".includes(`at step ${window.__mlp.header.step},`)")
            # both nets' training loss with three decimals, as the output column prints losses
            losses = page.locator("#lecture .lec-depth div").all_text_contents()
            losses = [t for t in losses if t.startswith("training loss ")]
            assert len(losses) == 2 and all(re.fullmatch(r"training loss \d+\.\d{3}", t) for t in losses)
        if name == "backprop":
            box = page.locator("#plot").bounding_box()
            page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
            wait_js(page, "!!document.querySelector('#lecture .lec-units')")
            for _ in range(4):
                page.click("#lecture button:text('Next')")
            page.click("#lecture .lec-check-button")
            text = page.locator("#lecture .lec-check").text_content()
            assert "largest difference from backprop" in text
        (ARTIFACTS / "scenes").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "scenes" / f"{name}.png"), full_page=True)
        # docs/scenes/ (docs/lecture.md's pictures) come from scripts/screenshots.py



def test_an_embedded_scene_shows_its_caption_above_its_panel(new_page):
    scene = scenes.get_scene("xor-by-hand")
    page = new_page("?scene=xor-by-hand&embed=1", width=960, height=720)
    wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
    caption = page.locator("#lecture .lec-caption")
    assert caption.is_visible() and caption.text_content() == scene.caption
    assert not page.locator("#scene-caption").is_visible()  # the data column is hidden when embedded
    (ARTIFACTS / "scenes").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scenes" / "xor-by-hand-embed.png"), full_page=True)
