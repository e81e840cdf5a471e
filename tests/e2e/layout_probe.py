"""What the layout tests measure in the page: bounding boxes of the teaching panel's visible pieces, of the
output plot and of the page's major boxes, and what the browser hit-tests at each piece's centre (something
drawn over it, such as a floating bar, would be hit instead)."""

from __future__ import annotations

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
  return {
    viewport: {w: innerWidth, h: innerHeight},
    scroll: {w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight},
    pieces, majors, plot: box(plot), plotHits,
    bar: visible(bar) ? box(bar) : null,
    captions: caption.map((el) => ({name: name(el), box: box(el)})),
    panel: lecture.dataset.panel || null,
  };
})()"""


def open_scene(new_page, name: str, size: str):
    """The scene at ``size`` (embedded at the slide sizes), once its panel shows what it is for."""
    width, height, embed = SIZES[size]
    page = new_page(f"?scene={name}{'&embed=1' if embed else ''}", width=width, height=height)
    scene = scenes.get_scene(name)
    if name != scenes.DEFAULT_SCENE:
        wait_js(page, f"window.__mlp.ui.scene === {name!r}")
    if scene.panel:
        wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
        if scene.panel in ("walkthrough", "gallery", "saturation", "universality"):
            wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot .main-svg')")
    if scene.panel == "backprop":
        # the panel at its largest: a point picked on the plot and every stage up to the update, checked
        box = page.locator("#points").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
        wait_js(page, "!!document.querySelector('#lecture .lec-units')")
        for _ in range(4):
            page.click("#lecture button:text('Next')")
        page.click("#lecture .lec-check-button")
        wait_js(page, "!!document.querySelector('#lecture .lec-check')")
    page.wait_for_timeout(300)  # Plotly's responsive relayout after the panel settled
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
