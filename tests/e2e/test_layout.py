"""Every scene fits the projector and the slide (issue 10, section 3): at 1280x720 (the full page) and at
960x540 and 960x720 (embedded), the scene's teaching panel and the live output plot are in view together,
without scrolling, nothing covering anything, the major boxes of the page side by side."""

from __future__ import annotations

import itertools

import pytest

from app import scenes

from .helpers import ARTIFACTS
from .layout_probe import SIZES, inside, measure, open_scene, overlap_area

CASES = [pytest.param(name, size, id=f"{name}-{size}") for name in scenes.SCENES for size in SIZES]


@pytest.mark.parametrize(("name", "size"), CASES)
def test_the_scene_panel_and_the_output_plot_share_the_first_screen(new_page, name, size):
    page = open_scene(new_page, name, size)
    m = measure(page)
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / f"{name}-{size}.png"))
    view = {"x": 0, "y": 0, "w": m["viewport"]["w"], "h": m["viewport"]["h"]}

    # nothing below the fold or beside it: the page does not scroll at all
    assert m["scroll"]["h"] <= m["viewport"]["h"] and m["scroll"]["w"] <= m["viewport"]["w"], m["scroll"]

    # the live output plot, whole and uncovered
    assert inside(m["plot"], view), m["plot"]
    assert inside(m["plot"], m["majors"]["output"]), (m["plot"], m["majors"]["output"])
    assert not m["plotHits"], f"something is drawn over the output plot: {m['plotHits']}"

    # the teaching panel: every visible piece inside the viewport and the panel's box, and on top
    scene = scenes.get_scene(name)
    embedded = SIZES[size][2]
    if scene.panel or (embedded and name != scenes.DEFAULT_SCENE):
        assert "lecture" in m["majors"], "the scene's panel is not shown"
        assert m["pieces"], "the scene's panel shows nothing"
        lecture = m["majors"]["lecture"]
        outside = [p for p in m["pieces"] if not (inside(p["box"], view) and inside(p["box"], lecture))]
        assert not outside, f"{len(outside)} pieces of the panel are cut off, e.g. {outside[:3]}"
        covered = [p for p in m["pieces"] if not p["hitInside"]]
        assert not covered, f"{len(covered)} pieces of the panel are covered, e.g. {covered[:3]}"
    if name != scenes.DEFAULT_SCENE:  # the caption says what to look at: readable, whole
        assert m["captions"], "no caption in view"
        for c in m["captions"]:
            assert inside(c["box"], view), c

    # the major boxes side by side, the embed bar among them: no two overlap
    majors = dict(m["majors"])
    if m["bar"]:
        majors["embed bar"] = m["bar"]
    for (a, box_a), (b, box_b) in itertools.combinations(majors.items(), 2):
        if {a, b} == {"embed bar", "topbar"}:
            continue  # the bar is the embedded page's top bar
        assert overlap_area(box_a, box_b) < 1, f"{a} {box_a} overlaps {b} {box_b}"
    for key, box in majors.items():
        assert inside(box, view), (key, box)
