"""What the layout tests measure in the page: bounding boxes of the teaching panel's visible pieces, of the
output plot and of the page's major boxes, and what the browser hit-tests at each piece's centre (something
drawn over it, such as a floating bar, would be hit instead)."""

from __future__ import annotations

import itertools

from app import scenes

from .helpers import wait_js

SIZES = {"1280x720": (1280, 720, False), "960x540": (960, 540, True), "960x720": (960, 720, True)}

# Every visible leaf of the panel (a Plotly figure, a canvas and a table cell count as one piece each), the
# output plot, the caption the viewer reads, and the major boxes of the page, in viewport pixels.
MEASURE_JS = """(() => {
  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const name = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className &&
    typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const piece = (el) => el.matches('.js-plotly-plot, canvas, svg, td, th, button, select, input, caption') ||
    el.children.length === 0;
  const pieces = [];
  const walk = (el) => {
    if (!visible(el)) return;
    if (piece(el)) {
      if ((el.textContent.trim() || !el.children.length) || el.matches('.js-plotly-plot, canvas, svg')) {
        const c = el.getBoundingClientRect();
        const hit = document.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
        pieces.push({name: name(el), text: el.textContent.trim().slice(0, 40), box: box(el),
                     // an ancestor hit means the piece lets the pointer through: nothing else covers it
                     hitInside: !!hit && (hit === el || el.contains(hit) || hit.contains(el)),
                     hitName: hit ? name(hit) : null});
      }
      return;
    }
    for (const child of el.children) walk(child);
  };
  const lecture = document.getElementById('lecture');
  if (visible(lecture)) walk(lecture);
  const majors = {};
  for (const [key, sel] of Object.entries({topbar: '.topbar', data: '.col.data', network: '.col.network',
      lecture: '#lecture', output: '.col.output', footer: '.footer', notice: '#notice'})) {
    const el = document.querySelector(sel);
    if (visible(el)) majors[key] = box(el);
  }
  const bar = document.querySelector('.embed-bar');
  const plot = document.getElementById('plot');
  const pc = plot.getBoundingClientRect();
  const plotHits = [[0.5, 0.5], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]].map(([fx, fy]) => {
    const hit = document.elementFromPoint(pc.left + fx * pc.width, pc.top + fy * pc.height);
    return hit && plot.contains(hit) ? null : (hit ? name(hit) : 'nothing');
  }).filter(Boolean);
  const caption = [...document.querySelectorAll('#scene-caption, #lecture .lec-caption')].filter(visible);
  // the diagram's own floating piece, the backprop stepper, and the units it must leave alone
  const stepper = document.querySelector('.bp-stepper');
  const units = [...document.querySelectorAll('#nodes .node')].filter(visible).map((el) => ({name: name(el),
    box: box(el)}));
  return {
    viewport: {w: innerWidth, h: innerHeight},
    scroll: {w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight},
    pieces, majors, plot: box(plot), plotHits,
    bar: visible(bar) ? box(bar) : null,
    captions: caption.map((el) => ({name: name(el), box: box(el)})),
    stepper: visible(stepper) ? box(stepper) : null, units,
    panel: lecture.dataset.panel || null,
  };
})()"""


# the panels drawn with Plotly: measured once their plot is there
PANEL_PLOTS = ("walkthrough", "gallery", "saturation", "universality", "landscape", "folding")


def settle_panel(page, panel: str | None) -> None:
    """Wait until a scene's panel shows what it is for; the backprop panel at its largest: a point picked
    on the plot and every stage up to the update, checked."""
    if panel:
        wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
        if panel in PANEL_PLOTS:
            wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot .main-svg')")
    if panel == "backprop":
        box = page.locator("#points").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
        wait_js(page, "!!document.querySelector('#lecture .lec-units')")
        for _ in range(4):
            page.click("#lecture button:text('Next')")
        page.click("#lecture .lec-check-button")
        wait_js(page, "!!document.querySelector('#lecture .lec-check')")
    page.wait_for_timeout(300)  # Plotly's responsive relayout after the panel settled


def open_scene(new_page, name: str, size: str):
    """The scene at ``size`` (embedded at the slide sizes), once its panel shows what it is for."""
    width, height, embed = SIZES[size]
    page = new_page(f"?scene={name}{'&embed=1' if embed else ''}", width=width, height=height)
    scene = scenes.get_scene(name)
    if name != scenes.DEFAULT_SCENE:
        wait_js(page, f"window.__mlp.ui.scene === {name!r}")
    settle_panel(page, scene.panel)
    return page


def inside(box: dict, outer: dict, slack: float = 0.5) -> bool:
    return (box["x"] >= outer["x"] - slack and box["y"] >= outer["y"] - slack
            and box["x"] + box["w"] <= outer["x"] + outer["w"] + slack
            and box["y"] + box["h"] <= outer["y"] + outer["h"] + slack)


def overlap_area(a: dict, b: dict) -> float:
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return w * h if w > 0 and h > 0 else 0.0


def measure(page) -> dict:
    return page.evaluate(MEASURE_JS)


def assert_fits(m: dict, name: str, embedded: bool, shown: dict | None = None) -> None:
    """The scene ``name`` as measured (``measure``): the page does not scroll, the output plot is whole and
    uncovered, every visible piece of the panel is inside the viewport and the panel and uncovered, the
    caption is in view, and the major boxes of the page (the embed bar among them) do not overlap.
    ``shown``: the part of the viewport the viewer sees, when a host page clips the frame."""
    view = shown or {"x": 0, "y": 0, "w": m["viewport"]["w"], "h": m["viewport"]["h"]}

    # nothing below the fold or beside it: the page does not scroll at all
    assert m["scroll"]["h"] <= m["viewport"]["h"] and m["scroll"]["w"] <= m["viewport"]["w"], m["scroll"]

    # the live output plot, whole and uncovered
    assert inside(m["plot"], view), m["plot"]
    assert inside(m["plot"], m["majors"]["output"]), (m["plot"], m["majors"]["output"])
    assert not m["plotHits"], f"something is drawn over the output plot: {m['plotHits']}"

    # the teaching panel: every visible piece inside the viewport and the panel's box, and on top
    scene = scenes.get_scene(name)
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
    if m["stepper"]:  # the backprop stepper covers no unit of the diagram and shows whole
        assert inside(m["stepper"], majors["network"]), (m["stepper"], majors["network"])
        under = [u["name"] for u in m["units"] if overlap_area(u["box"], m["stepper"]) >= 1]
        assert not under, f"the backprop stepper covers {under}"

