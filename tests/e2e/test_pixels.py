"""Pictures checked against the numbers: every canvas of the output column and the diagram is read back
(``getImageData``, and the composited screenshot) and compared with what the server sent.

The frames are captured off the WebSocket as raw bytes (``page.on("websocket")``) and decoded with the
server's own decoder; the expected colours are computed here, in Python, from the colour scale's three
anchor colours (static/js/colors.js), not by calling the page's code. Region edges are checked
against geometry: on xor-by-hand the hidden units switch on x1 + x2 = 0 and x1 + x2 = 1, so every edge
pixel must lie on one of those two lines and both lines must be drawn along their whole length.
"""

from __future__ import annotations

import base64
import io
import json
import math
import time

import numpy as np
import pytest

from app.protocol import decode_frame

from .conftest import playwright_api  # noqa: F401  (skips the module without Playwright)
from .helpers import WAIT_MS, screenshot, wait_js

# colors.js: t in [-1, 1] runs from NEGATIVE through NEUTRAL to POSITIVE
NEGATIVE = np.array([245, 147, 34], float)
NEUTRAL = np.array([232, 234, 235], float)
POSITIVE = np.array([8, 119, 189], float)

READ_JS = """(sel) => {
    const c = typeof sel === 'string' ? document.querySelector(sel) : sel;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = '';
    for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
    const r = c.getBoundingClientRect();
    return { w: c.width, h: c.height, b64: btoa(s), css: [r.left, r.top, r.width, r.height],
             client: c.clientWidth, attached: c.isConnected,
             shown: !c.hidden && getComputedStyle(c).display !== 'none' };
}"""


class FrameTap:
    """Every binary frame the page's WebSocket received, as bytes, in order."""

    def __init__(self, page):
        self.frames: list[bytes] = []
        self.texts: list[dict] = []  # the JSON messages
        self._decoded: list[tuple[dict, dict]] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._got))

    def decoded(self, index: int = -1) -> tuple[dict, dict]:
        """Frame ``index`` decoded as the page decodes it: the arrays its header names ``same`` are those
        of the frame before (docs/protocol.md, "Arrays the client has already")."""
        while len(self._decoded) < len(self.frames):
            last = self._decoded[-1] if self._decoded else None
            header, arrays = decode_frame(self.frames[len(self._decoded)], last and last[1])
            if header.get("same"):  # their entries (dtype, shape, range) as the frame before had them
                entries = {e["name"]: e for e in last[0]["arrays"]}
                header["arrays"] = header["arrays"] + [entries[name] for name in header["same"]]
            self._decoded.append((header, arrays))
        return self._decoded[index]

    def _got(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            self.frames.append(bytes(payload))
        else:
            self.texts.append(json.loads(payload))


@pytest.fixture
def tapped(browser, base_url):
    """Factory: a page whose received frames are tapped; ``dpr`` sets the device pixel ratio."""
    contexts, errors = [], []

    def make(query: str, dpr: float = 1, width: int = 1280, height: int = 720):
        ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=dpr)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda e: errors.append(str(e)))
        tap = FrameTap(page)
        page.goto(f"{base_url}/{query}")
        return page, tap

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def settled(page, tap: FrameTap, condition=None, timeout_s: float = WAIT_MS / 1000):
    """Wait until the page has painted the last frame it received (no new frame for 400 ms, the page's
    count equal to the tap's) and that frame satisfies ``condition(header, arrays)``; returns it decoded."""
    deadline = time.monotonic() + timeout_s
    seen, since = -1, time.monotonic()
    while True:
        n = len(tap.frames)
        if n != seen:
            seen, since = n, time.monotonic()
        elif n and time.monotonic() - since > 0.4:
            page_frames = page.evaluate("window.__mlp ? window.__mlp.frames : -1")
            header, arrays = tap.decoded(n - 1)
            if page_frames == n and (condition is None or condition(header, arrays)):
                # the animation loop paints the newest frame on the next animation frame
                page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
                return header, arrays
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never settled on a frame ({len(tap.frames)} received)")
        page.wait_for_timeout(50)


def read(page, selector) -> tuple[np.ndarray, dict]:
    """A canvas's backing store as ``(h, w, 4)`` uint8 RGBA, and its size, CSS box and visibility."""
    got = page.evaluate(READ_JS, selector)
    rgba = np.frombuffer(base64.b64decode(got["b64"]), np.uint8).reshape(got["h"], got["w"], 4)
    return rgba, got


def diverging(t: np.ndarray) -> np.ndarray:
    """colors.js ``diverging`` then the lookup table's pack: channels truncated to integers."""
    c = np.clip(t, -1, 1)[..., None]
    end = np.where(c < 0, NEGATIVE, POSITIVE)
    return np.trunc(NEUTRAL + (end - NEUTRAL) * np.abs(c)).astype(int)


def expected_map(q: np.ndarray, value_range, to_t, discrete: bool = False) -> np.ndarray:
    """RGB ``(..., 3)`` the page should paint for quantized samples ``q`` of a map with ``value_range``."""
    lo, hi = value_range
    v = lo + (q.astype(float) / 255) * (hi - lo)
    t = to_t(v)
    if discrete:
        t = np.where(t < 0, -1.0, 1.0)
    return diverging(t)


def target_to_t(a: float, b: float):
    return lambda v: (2 * v - (a + b)) / (b - a)


def assert_colours(got: np.ndarray, want: np.ndarray, what: str, tol: int = 1) -> None:
    bad = np.abs(got[..., :3].astype(int) - want).max(axis=-1) > tol
    assert not bad.any(), (f"{what}: {int(bad.sum())} of {bad.size} pixels differ from the colour scale; "
                           f"first at {np.argwhere(bad)[0].tolist()}: got {got[tuple(np.argwhere(bad)[0])]}, "
                           f"want {want[tuple(np.argwhere(bad)[0])]}")


def png(page, selector) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB")).astype(int)


# --- the output map ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("scene", "targets"), [
    ("playground", (-1, 1)),  # tanh output: the targets are -1 and 1
    ("xor-by-hand", (0, 1)),  # linear output: the labels' range
    ("depth", (0, 1)),  # sigmoid output
])
def test_output_map_pixels_are_the_frames_values_through_the_colour_scale(tapped, scene, targets):
    page, tap = tapped(f"?scene={scene}")
    header, arrays = settled(page, tap)
    rgba, info = read(page, "#boundary")
    G = header["grid"]
    assert (info["w"], info["h"]) == (G, G)
    out = next(a for a in header["arrays"] if a["name"] == "output")
    want = expected_map(arrays["output"], out["range"], target_to_t(*targets))
    assert_colours(rgba, want, "boundary canvas")
    assert (rgba[..., 3] == 255).all()


def test_k_class_map_pixels_are_class_hue_faded_by_confidence(tapped):
    page, tap = tapped("?scene=softmax")
    wait_js(page, "window.__mlp && window.__mlp.state === 'playing' && window.__mlp.painted > 2")
    page.click("#play")  # the scene plays: pause it, so that the last frame stays on the canvas
    wait_js(page, "window.__mlp.state === 'paused'")
    header, arrays = settled(page, tap)
    rgba, _ = read(page, "#boundary")
    K = header["sizes"][-1]
    conf = next(a for a in header["arrays"] if a["name"] == "confidence")["range"]
    p = conf[0] + arrays["confidence"].astype(float) / 255 * (conf[1] - conf[0])
    u = 0.15 + 0.85 * np.clip((p - 1 / K) / (1 - 1 / K), 0, 1)
    palette = np.array([[245, 147, 34], [8, 119, 189], [46, 160, 67], [204, 51, 99], [130, 90, 200],
                        [120, 120, 120]], float)  # colors.js CLASS_COLORS
    hue = palette[arrays["classes"].astype(int) % len(palette)]
    want = np.trunc(NEUTRAL + (hue - NEUTRAL) * u[..., None]).astype(int)
    assert_colours(rgba, want, "K-class map")
    assert len(np.unique(arrays["classes"])) == K == 3


def test_a_hovered_units_map_is_painted_with_zero_neutral(tapped):
    page, tap = tapped("?scene=playground")
    settled(page, tap)
    page.hover(".hidden-unit >> nth=1")
    header, arrays = settled(page, tap, lambda h, a: h["unit"] == [0, 1])
    rgba, _ = read(page, "#boundary")
    lo, hi = next(a for a in header["arrays"] if a["name"] == "unit")["range"]
    m = max(abs(lo), abs(hi))
    assert_colours(rgba, expected_map(arrays["unit"], (lo, hi), lambda v: v / m), "unit map")


def test_output_map_on_screen_shows_each_grid_cell_where_the_plot_box_puts_it(tapped):
    # The composited picture, not just the backing store: cell (r, c) must appear at the plot position of
    # its (x1, x2), row 0 at the top. Cells next to a differently coloured one or under a data point are
    # skipped (the browser smooths the scaled map and the points canvas lies on top).
    page, tap = tapped("?scene=playground")
    header, arrays = settled(page, tap)
    G = header["grid"]
    out = next(a for a in header["arrays"] if a["name"] == "output")
    want = expected_map(arrays["output"], out["range"], target_to_t(-1, 1))
    shot = png(page, "#boundary")
    size = shot.shape[0]
    lo, hi = header["box"]
    points = np.array([p[:2] for p in page.evaluate("window.__mlp.dataset.train")], float)
    px_points = np.stack([(points[:, 0] - lo) / (hi - lo) * size, (hi - points[:, 1]) / (hi - lo) * size], 1)
    checked = 0
    for r in range(1, G - 1, 3):
        for c in range(1, G - 1, 3):
            block = want[r - 1:r + 2, c - 1:c + 2].reshape(-1, 3)
            if np.abs(block - want[r, c]).max() > 2:
                continue
            x, y = (c + 0.5) * size / G, (r + 0.5) * size / G
            if len(px_points) and np.hypot(px_points[:, 0] - x, px_points[:, 1] - y).min() < 6:
                continue
            got = shot[int(y), int(x)]
            assert np.abs(got - want[r, c]).max() <= 3, f"cell {(r, c)}: screen {got}, frame {want[r, c]}"
            checked += 1
    assert checked > 300


def test_discretized_boundary_is_the_sign_of_the_output_in_two_colours(tapped):
    page, tap = tapped("?scene=playground")
    header, arrays = settled(page, tap)
    painted = page.evaluate("window.__mlp.painted")
    page.click("#discretize")  # the page repaints the frame it holds; the server sends nothing new
    wait_js(page, f"window.__mlp.ui.discretize && window.__mlp.painted > {painted}")
    rgba, _ = read(page, "#boundary")
    out = next(a for a in header["arrays"] if a["name"] == "output")
    want = expected_map(arrays["output"], out["range"], target_to_t(-1, 1), discrete=True)
    assert_colours(rgba, want, "discretized boundary", tol=0)
    colours = {tuple(p) for p in rgba[..., :3].reshape(-1, 3).tolist()}
    assert colours == {tuple(NEGATIVE.astype(int)), tuple(POSITIVE.astype(int))}


def test_hidden_unit_thumbnails_are_the_frames_unit_maps(tapped):
    page, tap = tapped("?scene=playground")
    header, arrays = settled(page, tap)
    thumbs = arrays["thumbnails"]
    entry = next(a for a in header["arrays"] if a["name"] == "thumbnails")
    canvases = page.query_selector_all(".hidden-unit canvas")
    assert len(canvases) == thumbs.shape[0] == sum(header["sizes"][1:-1])
    for k, canvas in enumerate(canvases):
        rgba, info = read(page, canvas)
        assert (info["w"], info["h"]) == thumbs.shape[1:]
        assert_colours(rgba, expected_map(thumbs[k], entry["range"], lambda v: v), f"thumbnail {k}")


# --- the region overlay ------------------------------------------------------------------------------
XOR_LINES = (0.0, 1.0)  # xor-by-hand's hidden units switch on x1 + x2 = 0 and x1 + x2 = 1


def edge_pixels(rgba: np.ndarray, alpha: int = 110) -> np.ndarray:
    """``(n, 2)`` [x, y] backing-store centres of the overlay's outline pixels (the tints are faint)."""
    ys, xs = np.nonzero(rgba[..., 3] >= alpha)
    return np.stack([xs + 0.5, ys + 0.5], axis=1)


def to_data(px: np.ndarray, w: int, h: int, box) -> np.ndarray:
    lo, hi = box
    return np.stack([lo + px[:, 0] / w * (hi - lo), hi - px[:, 1] / h * (hi - lo)], axis=1)


def line_distance_css(xy: np.ndarray, box, css: float) -> np.ndarray:
    """Distance in CSS pixels from each data point to the nearer of the xor lines."""
    lo, hi = box
    d = np.min([np.abs(xy[:, 0] + xy[:, 1] - c) for c in XOR_LINES], axis=0) / math.sqrt(2)
    return d * css / (hi - lo)


def assert_edges_on_xor_lines(rgba, info, box, tol_css: float) -> None:
    edges = edge_pixels(rgba)
    assert len(edges) > 0, "no region edge is drawn"
    xy = to_data(edges, info["w"], info["h"], box)
    css = info["css"][2]
    dist = line_distance_css(xy, box, css)
    far = dist > tol_css
    assert not far.any(), (f"{int(far.sum())} of {len(edges)} edge pixels lie off x1+x2=0 and x1+x2=1 (more "
                           f"than {tol_css:.2f} CSS px), e.g. at (x1, x2) = {xy[far][0].round(3).tolist()}, "
                           f"{dist[far].max():.1f} px away")
    # both lines drawn along their whole length inside the box: every sample point has an edge pixel near
    lo, hi = box
    margin = 3 * (hi - lo) / css
    for c in XOR_LINES:
        xs = np.linspace(max(lo, c - hi) + margin, min(hi, c - lo) - margin, 40)
        for x1 in xs:
            near = np.hypot(xy[:, 0] - x1, xy[:, 1] - (c - x1)).min() * css / (hi - lo)
            assert near <= tol_css + 1, f"line x1+x2={c} is not drawn near ({x1:.2f}, {c - x1:.2f})"


def segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point ``(n, 2)`` to the nearest of the segments ``a[k]``-``b[k]`` ``(m, 2)``."""
    d = b - a
    t = ((points[:, None] - a[None]) * d[None]).sum(-1) / np.maximum((d * d).sum(-1), 1e-12)[None]
    foot = a[None] + np.clip(t, 0, 1)[..., None] * d[None]
    return np.linalg.norm(points[:, None] - foot, axis=-1).min(axis=1)


def assert_edges_are_the_segments(edges_px: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float) -> None:
    """Every outline pixel (CSS px) lies within ``tol`` of a sent boundary and every sent boundary is drawn
    along its whole length (points every 2 px, away from its ends, have an outline pixel within ``tol``)."""
    assert len(edges_px), "no region edge is drawn"
    dist = segment_distance(edges_px, a, b)
    assert dist.max() <= tol, (f"{int((dist > tol).sum())} of {len(edges_px)} outline pixels lie off every "
                               f"boundary the server sent, up to {dist.max():.1f} CSS px")
    for p0, p1 in zip(a, b, strict=True):
        length = np.hypot(*(p1 - p0))
        for u in np.arange(2, length - 2, 2) / max(length, 1e-9):
            q = p0 + u * (p1 - p0)
            assert np.hypot(*(edges_px - q).T).min() <= tol, f"boundary {p0}-{p1} is not drawn near {q}"


def polygon_edges_css(vertices, edges, box, css: float) -> tuple[np.ndarray, np.ndarray]:
    """The sent boundaries as CSS-pixel segment ends."""
    lo, hi = box
    v = np.asarray(vertices, float).reshape(-1, 2)
    px = np.stack([(v[:, 0] - lo) / (hi - lo) * css, (hi - v[:, 1]) / (hi - lo) * css], axis=1)
    e = np.asarray(edges, int).reshape(-1, 2)
    return px[e[:, 0]], px[e[:, 1]]


@pytest.mark.parametrize("dpr", [1, 2])
def test_region_edges_lie_on_the_xor_lines(tapped, dpr):
    page, tap = tapped("?scene=xor-by-hand", dpr=dpr)
    header, _ = settled(page, tap)
    assert header["regions"]["count"] == 3 and header["regions_drawn"] == "polygons"
    rgba, info = read(page, "#regions")
    assert info["shown"]
    css = info["css"][2]
    # crisp: one backing pixel per device pixel, not a map stretched by CSS
    assert (info["w"], info["h"]) == (round(css * dpr), round(info["css"][3] * dpr))
    screenshot(page, f"pixels-xor-regions-{dpr}x.png")
    assert_edges_on_xor_lines(rgba, info, header["box"], tol_css=1.0)
    # thin: about one CSS pixel of outline per pixel of line (a staircase of cells is far more)
    lo, hi = header["box"]
    length_css = (np.sqrt(2) * 1 + np.sqrt(2) * 2) * css / (hi - lo)  # the two lines' lengths in the box
    assert len(edge_pixels(rgba)) / dpr ** 2 <= 2.0 * length_css


def test_grid_fallback_region_edges_lie_within_a_cell_of_the_xor_lines(tapped):
    # The fallback painter (no regioncam, too many cells, curved features), fed xor-by-hand's region map.
    from app.engine import Network
    from app.engine.grid import GridEvaluator
    from app.engine.regions import region_map

    net = Network([2, 2, 1], activation="relu", output="linear")
    net.set_parameters(weights=[[[1, 1], [1, 1]], [[1], [-2]]], biases=[[0, -1], [0]])
    G, box = 100, (-0.5, 1.5)
    ids = region_map(net, GridEvaluator(box=box, size=G)).ravel().tolist()
    page, tap = tapped("?scene=xor-by-hand")
    settled(page, tap)
    got = page.evaluate("""async (ids) => {
        const { paintRegions } = await import('/static/js/heatmap.js');
        const c = document.createElement('canvas');  // a fresh canvas is 300 x 150
        c.style.cssText = 'position:fixed;left:0;top:0;width:270px;height:270px';
        document.body.append(c);
        paintRegions(c.getContext('2d'), Uint16Array.from(ids), 100);
        c.id = 'fallback-test';
        return [c.width, c.height];
    }""", ids)
    assert got == [3 * G, 3 * G]
    rgba, info = read(page, "#fallback-test")
    assert_edges_on_xor_lines(rgba, info, box, tol_css=1.5 * info["css"][2] / G)


def test_output_overlay_draws_exactly_the_boundaries_the_server_sent(tapped):
    page, tap = tapped("?scene=depth", dpr=2)
    header, arrays = settled(page, tap, lambda h, a: h["regions_drawn"] == "polygons")
    rgba, info = read(page, "#regions")
    css = info["css"][2]
    a, b = polygon_edges_css(arrays["region_vertices"], arrays["region_edges"], header["box"], css)
    assert len(a) >= 10
    edges_px = edge_pixels(rgba) / 2  # device -> CSS pixels
    assert_edges_are_the_segments(edges_px, a, b, tol=1.0)
    # each cell's tint is its region's: the pixel at a big cell's centroid has the tint of its id
    lo, hi = header["box"]
    cells, corners, v = arrays["region_cells"], arrays["region_corners"], arrays["region_vertices"]
    for f in range(len(cells) - 1):
        poly = v[corners[cells[f]:cells[f + 1]]].astype(float)
        c = poly.mean(axis=0)
        x, y = (c[0] - lo) / (hi - lo) * css * 2, (hi - c[1]) / (hi - lo) * css * 2
        inner = segment_distance(np.array([[x / 2, y / 2]]), a, b)[0]
        if inner > 3:
            k = arrays["region_ids"][f] * 7 % 12
            h = k / 12 * 2 * np.pi
            hue = [int(128 + 110 * np.cos(h + s)) for s in (0, -2.094, 2.094)]
            pixel = rgba[int(y), int(x)]
            assert np.abs(pixel[:3].astype(int) - hue).max() <= 8 and pixel[3] == 32


def test_depth_panel_draws_the_exact_regions_it_was_sent(tapped):
    page, tap = tapped("?scene=depth", dpr=2)
    wait_js(page, "document.querySelectorAll('.lec-regions').length === 2")
    seen, since = -1, time.monotonic()
    while time.monotonic() - since < 0.6:  # the panel redraws on each answer: wait for the last one
        answers = [m for m in tap.texts if m.get("type") == "lecture" and m.get("what") == "depth"]
        if len(answers) != seen:
            seen, since = len(answers), time.monotonic()
        page.wait_for_timeout(50)
    panels = answers[-1]["data"]["panels"]
    screenshot(page, "pixels-depth-panel.png")
    for _ in range(50):  # the panel may redraw the same answer once more: read canvases that are in the page
        reads = [read(page, canvas) for canvas in page.query_selector_all(".lec-regions")]
        if all(info["attached"] for _, info in reads):
            break
        page.wait_for_timeout(100)
    assert len(reads) == len(panels) == 2
    for (rgba, info), panel in zip(reads, panels, strict=True):
        assert panel["polygons"] is not None
        css = info["client"]  # the drawing fills the canvas's content box
        assert info["w"] == round(css * 2)
        dark = np.stack(np.nonzero((rgba[..., :3] < 110).all(axis=-1))[::-1], axis=1) + 0.5
        a, b = polygon_edges_css(panel["polygons"]["vertices"], panel["polygons"]["edges"], panel["box"], css)
        assert_edges_are_the_segments(dark / 2, a, b, tol=1.0)


def test_region_overlay_is_cleared_when_the_units_stop_being_piecewise_linear(tapped):
    page, tap = tapped("?scene=xor-by-hand")
    settled(page, tap)
    assert edge_pixels(read(page, "#regions")[0]).size
    page.click("#activation")
    page.wait_for_selector("#picker-pop:not([hidden])")
    page.click("#picker-list [data-name='tanh']")
    _, arrays = settled(page, tap, lambda h, a: h["regions"] and h["regions"]["count"] is None)
    assert "region_map" not in arrays
    rgba, info = read(page, "#regions")
    assert not info["shown"] or not rgba[..., 3].any(), "the old region overlay is still drawn over the map"


def test_region_polygons_are_redrawn_at_the_new_resolution_when_the_pixel_ratio_changes(tapped):
    page, tap = tapped("?scene=xor-by-hand")
    header, _ = settled(page, tap)
    _, before = read(page, "#regions")
    assert before["w"] == round(before["css"][2])
    # what a browser zoom or a move to a HiDPI screen does (one CSS pixel narrower: Chromium re-evaluates
    # media queries on a metrics change that touches the viewport)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setDeviceMetricsOverride", {"width": 1279, "height": 720, "deviceScaleFactor": 2,
                                                    "mobile": False})
    wait_js(page, f"document.getElementById('regions').width === {2 * before['w']}")
    rgba, info = read(page, "#regions")
    assert_edges_on_xor_lines(rgba, info, header["box"], tol_css=1.0)


def test_grid_fallback_overlay_outlines_exactly_the_cell_borders_of_the_sent_region_map(tapped):
    # x1^2 as an input feature curves the regions in the plane: no polygons, the frame sends the map
    page, tap = tapped("?dataset=circle&features=x1,x2,x1sq&activation=relu&regions=1&seed=3")
    header, arrays = settled(page, tap, lambda h, a: "region_map" in a)
    assert header["regions_drawn"].startswith("grid map:")
    ids = arrays["region_map"].astype(int)
    G = ids.shape[0]
    rgba, info = read(page, "#regions")
    assert (info["w"], info["h"]) == (3 * G, 3 * G) and info["shown"]
    edge = rgba[..., 3] >= 110
    # the painter's rule: a cell's last pixel column (row) is outline where its right (lower) neighbour
    # lies in another region; every other pixel is the region's faint tint
    right = np.zeros_like(ids, bool)
    right[:, :-1] = ids[:, 1:] != ids[:, :-1]
    below = np.zeros_like(ids, bool)
    below[:-1] = ids[1:] != ids[:-1]
    want = np.zeros((3 * G, 3 * G), bool)
    want[:, 2::3] |= np.repeat(right, 3, axis=0)
    want[2::3, :] |= np.repeat(below, 3, axis=1)
    assert right.any() and below.any()
    assert np.array_equal(edge, want), f"{int((edge != want).sum())} pixels differ from the map's borders"


# --- the diagram from binary parameters (docs/protocol.md, "Parameters as one array") ---------------------
# The page asks for binary parameters; this script, run before the page's own, takes `params` out of its
# hello, so that the page gets the JSON lists every page got before.
JSON_HELLO_JS = """(() => {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
        if (typeof data === 'string' && data.includes('"hello"')) {
            const m = JSON.parse(data);
            if (m.type === 'hello') { delete m.params; data = JSON.stringify(m); }
        }
        return send.call(this, data);
    };
})();"""

DIAGRAM_JS = """(() => {
    const pixels = (id) => {
        const c = document.getElementById(id);
        if (!c || !c.width) return null;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = '';
        for (let i = 0; i < d.length; i += 8192) {
            s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
        }
        return { b64: btoa(s), w: c.width, h: c.height };
    };
    return { links: pixels('links'), b: pixels('compare-net'),
             biases: [...document.querySelectorAll('#network .bias')].map((b) => b.style.background) };
})()"""


@pytest.mark.parametrize("query", ["?hidden=8,6&activation=tanh&seed=5",
                                   "?hidden=4,3&activation=maxout&seed=2&compare=1&b.activation=prelu"],
                         ids=["tanh", "maxout-compare"])
def test_the_diagram_from_binary_params_is_pixel_for_pixel_the_one_from_json_lists(browser, base_url, query):
    pages, taps, errors = [], [], []
    for json_hello in (False, True):
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda e: errors.append(str(e)))
        if json_hello:
            page.add_init_script(JSON_HELLO_JS)
        tap = FrameTap(page)
        page.goto(f"{base_url}/{query}")
        wait_js(page, "window.__mlp && window.__mlp.painted > 0 && window.__mlp.state === 'paused'")
        for _ in range(3):  # the same seed trains the same way on both sessions
            page.click("#step")
        pages.append(page)
        taps.append(tap)
    headers = []
    for page, tap in zip(pages, taps, strict=True):
        header, _ = settled(page, tap, lambda h, a: h["step"] == 3)
        headers.append(header)
    binary, listed = headers
    assert "param_layout" in binary and "weights" not in binary  # the page asked for binary...
    assert "weights" in listed and "param_layout" not in listed  # ...and the other one did not
    # what the page holds: the rebuilt lists, the same to 4 decimals as the JSON page's
    held = [page.evaluate("window.__mlp.header") for page in pages]
    assert np.allclose(np.concatenate([np.ravel(w) for w in held[0]["weights"]]),
                       np.concatenate([np.ravel(w) for w in held[1]["weights"]]), rtol=0, atol=5e-5 + 1e-6)
    drawn = [page.evaluate(DIAGRAM_JS) for page in pages]
    assert drawn[0]["biases"] == drawn[1]["biases"] and len(drawn[0]["biases"]) > 0
    canvases = ["links", "b"] if "compare" in query else ["links"]  # A's diagram, and B's compact one
    for name in canvases:
        a, b = drawn[0][name], drawn[1][name]
        assert (a["w"], a["h"]) == (b["w"], b["h"])
        a, b = (np.frombuffer(base64.b64decode(d["b64"]), np.uint8) for d in (a, b))
        assert a.any() and np.array_equal(a, b), name
    screenshot(pages[0], f"binary-params-{'compare' if 'compare' in query else 'tanh'}.png")
    for page in pages:
        page.context.close()
    assert not errors, errors


# --- a paused session's hover frames without the arrays the page has (docs/protocol.md, hello.same) --------
NO_SAME_HELLO_JS = JSON_HELLO_JS.replace("delete m.params", "delete m.same")

UNITS_JS = """(() => [...document.querySelectorAll('.hidden-unit canvas')].map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = '';
    for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
    return btoa(s);
}))()"""


def test_hover_frames_that_leave_out_repeated_arrays_paint_what_whole_frames_paint(browser, base_url):
    query = "?hidden=6,4&activation=tanh&seed=3"
    pages, taps, errors = [], [], []
    for lean in (True, False):
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda e: errors.append(str(e)))
        if not lean:
            page.add_init_script(NO_SAME_HELLO_JS)
        tap = FrameTap(page)
        page.goto(f"{base_url}/{query}")
        wait_js(page, "window.__mlp && window.__mlp.painted > 0 && window.__mlp.state === 'paused'")
        settled(page, tap)
        pages.append(page)
        taps.append(tap)
    for unit, hover in (([1, 2], ".hidden-unit >> nth=8"), (None, "#datasets")):  # a unit, then away
        seen = []
        for page, tap in zip(pages, taps, strict=True):
            page.hover(hover)
            _, arrays = settled(page, tap, lambda h, a, unit=unit: h["unit"] == unit)
            raw = tap.frames[-1]
            same = json.loads(raw[4:4 + int.from_bytes(raw[:4], "little")]).get("same", [])
            seen.append((same, arrays, len(raw), read(page, "#boundary")[0], page.evaluate(UNITS_JS)))
        (same, arrays, size, boundary, units), (whole_same, whole, whole_size, want, want_units) = seen
        assert whole_same == [] and {"output", "thumbnails", "params"} <= set(same), same
        assert size < whole_size / 2
        assert arrays.keys() == whole.keys() and all(np.array_equal(arrays[k], whole[k]) for k in whole)
        assert np.array_equal(boundary, want)  # the plot, pixel for pixel: the unit's map, then the output
        assert units == want_units  # every thumbnail, painted from the arrays kept from the frame before
    screenshot(pages[0], "hover-same.png")
    for page in pages:
        page.context.close()
    assert not errors, errors
