"""The loss chart keeps its axis readable at every size the page is shown at."""

from __future__ import annotations

import itertools

import pytest

from .helpers import header_where, screenshot, wait_js

TICKS_JS = """() => [...document.querySelectorAll('#loss-chart .ytick text')]
    .map((t) => t.getBoundingClientRect()).filter((r) => r.height > 0)
    .map((r) => [r.top, r.bottom]).sort((a, b) => a[0] - b[0])"""


SIZES = [("?embed=1", 640, 480), ("?embed=1", 960, 720), ("", 1280, 720)]


@pytest.mark.parametrize("query,width,height", SIZES)
def test_the_loss_axis_ticks_are_at_least_a_label_apart(new_page, query, width, height):
    # the spiral under cross-entropy stays near ln 2 = 0.69: a range Plotly would split into four ticks
    run = "steps_per_frame=20&output=sigmoid&loss=cross_entropy&dataset=spiral"
    page = new_page(f"{query}{'&' if query else '?'}{run}", width=width, height=height)
    play = "#embed-play" if "embed" in query else "#play"
    page.click(play)
    header_where(page, "h.step >= 400")
    page.click(play)
    wait_js(page, "document.querySelectorAll('#loss-chart .ytick text').length >= 2")
    page.wait_for_timeout(700)  # the chart redraws at most every 500 ms
    screenshot(page, f"loss-chart-{width}.png")
    boxes = page.evaluate(TICKS_JS)
    assert len(boxes) >= 2, boxes
    label = boxes[0][1] - boxes[0][0]
    for (_, bottom), (next_top, _) in itertools.pairwise(boxes):
        # about an empty line between two labels: crowded ticks read as one smear of digits
        assert next_top - bottom >= 0.75 * label, f"{width}x{height}: ticks at {boxes}"
