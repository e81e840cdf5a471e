"""Bring your data, the page (issue 12, part 5): "Load data or a saved network…" (a file picker) and a file
dropped on the page send a CSV of points or an exported network to POST /api/import; the page says what was
loaded, or where the file is wrong, and draws uploaded points in their own box; a link carries them while it
can and says so when it cannot."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request

import pytest

from .conftest import page_factory
from .helpers import ARTIFACTS, boundary_digest, header_where, screenshot, wait_js
from .npm_assets import package_dir
from .test_a11y import audit, explain

PICKER = "#import-input"
LOADED = "window.__mlp.config.dataset === 'user' && Array.isArray(window.__mlp.config.custom_box)"

# The colours the page draws points in (static/js/colors.js): TF Playground's orange and blue, and the
# class palette for K > 2, written out here so that the test does not read them from the code it checks.
ORANGE = (245, 147, 34)
# The editor's starting points (static/js/userPoints.js START_POINTS): an XOR pattern, three of each class in
# each quadrant.
START = [[x * sx, y * sy, int(sx == sy)] for (x, y) in [(2, 2), (3.5, 1.5), (1.5, 3.5)]
         for (sx, sy) in [(1, 1), (-1, -1), (1, -1), (-1, 1)]]
BLUE = (8, 119, 189)


def csv_file(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def grid_points(n_side: int, lo: float, hi: float, label) -> list[tuple[float, float, float]]:
    """n_side^2 points on a lattice in [lo, hi]^2 (well apart, so each dot is seen alone), labelled by
    ``label(x1, x2)``."""
    step = (hi - lo) / (n_side - 1)
    return [(round(lo + i * step, 3), round(lo + j * step, 3), label(lo + i * step, lo + j * step))
            for i in range(n_side) for j in range(n_side)]


def as_csv(points, head: str = "x1,x2,label") -> str:
    return head + "\n" + "".join(f"{a},{b},{c}\n" for a, b, c in points)


def expected_box(points) -> tuple[float, float]:
    """The view box of app/engine/csvdata.py, computed here from its rule: every coordinate with 5% of the
    span as margin."""
    coords = [v for p in points for v in p[:2]]
    lo, hi = min(coords), max(coords)
    return lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)


def choose(page, file: dict) -> None:
    page.set_input_files(PICKER, files=[file])


def notice_text(page) -> str:
    page.wait_for_selector("#notice:not([hidden])")
    return page.inner_text("#notice-text")


def wait_notice(page, words: str) -> str:
    return wait_js(page, "(() => { const t = document.getElementById('notice-text').textContent; "
                         f"return t.includes({json.dumps(words)}) ? t : null; }})()")


def point_pixels(page, points, box) -> list[list[int]]:
    """The RGB of the points canvas at the centre of each point, where the file's coordinates and the box
    put it."""
    return page.evaluate("""([pts, box]) => {
        const c = document.getElementById('points');
        const r = c.getBoundingClientRect();
        const k = c.width / r.width;
        const ctx = c.getContext('2d');
        const [lo, hi] = box;
        return pts.map(([x1, x2]) => {
            const px = Math.round(((x1 - lo) / (hi - lo)) * r.width * k);
            const py = Math.round(((hi - x2) / (hi - lo)) * r.height * k);
            return Array.from(ctx.getImageData(px, py, 1, 1).data.slice(0, 3));
        });
    }""", [points, list(box)])


def close(rgb, want, tol: int = 6) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want, strict=True))


# ---- the words and the link, in the page's own modules ------------------------------------------------

def module_page(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/static/css/playground.css")  # same origin, without starting a session
    return page


def test_the_notices_name_what_was_loaded_and_where_a_file_is_wrong(browser, base_url):
    page = module_page(browser, base_url)
    try:
        got = page.evaluate("""async () => {
            const m = await import('/static/js/importing.js');
            return {
                classes: m.describeSuccess('moons.csv',
                                           {kind: 'csv', rows: 412, classes: 3, regression: false,
                                            notes: []}),
                regression: m.describeSuccess('f.csv', {kind: 'csv', rows: 200, regression: true, classes: 1,
                                                        notes: ['batch size 32 was cut to 20']}),
                network: m.describeSuccess('net.json', {kind: 'json', step: 1200, notes: []}),
                cell: m.describeError('a.csv', {message: "row 17, column 2 (x2): 'abc' is not a number",
                                                row: 17, column: 2}, 400),
                bare: m.describeError('a.csv', {message: "'abc' is not a number", row: 17, column: 2}, 400),
                proxy: m.describeError('a.csv', null, 502),
                kinds: [m.kindOf('a.CSV', '{'), m.kindOf('net.json', 'x1'), m.kindOf('data', ' {"format"'),
                        m.kindOf('data', 'x1,x2,label')],
                fits: m.tooLarge('csv', 1048576), over: m.tooLarge('csv', 1048577),
                json: m.tooLarge('json', 5000000),
            };
        }""")
    finally:
        page.close()
    assert got["classes"] == "Loaded moons.csv: 412 points, 3 classes."
    assert got["regression"] == "Loaded f.csv: regression, 200 points. Note: batch size 32 was cut to 20."
    assert got["network"] == "Loaded net.json: network at step 1,200 restored."
    unchanged = " Nothing was changed."
    assert got["cell"] == "Could not load a.csv: row 17, column 2 (x2): 'abc' is not a number." + unchanged
    assert got["bare"] == "Could not load a.csv: row 17, column 2: 'abc' is not a number." + unchanged
    assert got["proxy"] == "Could not load a.csv: the server answered HTTP 502. Nothing was changed."
    assert got["kinds"] == ["csv", "json", "json", "csv"]
    assert got["fits"] is None
    assert got["over"] == "the file is over the limit of 1,048,576 bytes (1 MiB) for a CSV import"
    assert got["json"] == "the file is over the limit of 4,194,304 bytes (4 MiB) for a JSON import"


def test_a_link_writes_uploaded_points_exactly_and_reads_them_in_their_own_box(browser, base_url):
    page = module_page(browser, base_url)
    try:
        got = page.evaluate("""async () => {
            const s = await import('/static/js/state.js');
            const pts = [[10.123456789, 20.5, 2], [11, 19.000001, 0], [12.25, 21, 1]];
            const text = s.formatPoints(pts, true);
            const box = {box: [9, 22]};
            return {
                text, back: s.parsePoints(text, 5000, box).value,
                outside: s.parsePoints('1,1,0;20,20,1', 5000, box).error,
                label: s.parsePoints('10,10,6;20,20,1', 5000, box).error,
                regression: s.parsePoints('10,10,-3.75;20,20,1e3', 5000,
                                          {box: [9, 22], regression: true}).value,
                editor: s.parsePoints('1,1,2;0,0,0').error,
                small: s.pointsLeftOut({dataset: 'user', custom_points: pts, custom_box: [9, 22]}),
                many: s.pointsLeftOut({dataset: 'user', custom_box: [0, 1],
                                       custom_points: Array.from({length: 900},
                                                                 (_, i) => [i / 7, i / 9, i % 2])}),
                other: s.pointsLeftOut({dataset: 'circle', custom_points: pts}),
            };
        }""")
    finally:
        page.close()
    assert got["text"] == "10.123456789,20.5,2;11,19.000001,0;12.25,21,1"
    assert got["back"] == [[10.123456789, 20.5, 2], [11, 19.000001, 0], [12.25, 21, 1]]
    assert "point 1" in got["outside"] and "outside the box [9, 22]" in got["outside"]
    assert "label 6" in got["label"] and "0 to 5" in got["label"]
    assert got["regression"] == [[10, 10, -3.75], [20, 20, 1000]]
    assert "label 2, not 0 or 1" in got["editor"]  # the editor's own links keep their rule
    assert (got["small"], got["many"], got["other"]) == (0, 900, 0)


# ---- the file picker and the drop -----------------------------------------------------------------------

def three_classes():
    return grid_points(6, 10.0, 20.0, lambda a, b: 0 if a < 13 else (1 if a < 17 else 2))


def test_a_csv_chosen_in_the_file_picker_is_drawn_point_for_point_in_its_own_box(new_page):
    page = new_page()
    pts = three_classes()
    choose(page, csv_file("three.csv", as_csv(pts)))
    assert wait_notice(page, "Loaded three.csv") .startswith("Loaded three.csv: 36 points, 3 classes.")
    wait_js(page, LOADED + " && window.__mlp.dataset && window.__mlp.dataset.classes === 3")
    box = expected_box(pts)
    config = page.evaluate("window.__mlp.config")
    assert config["custom_box"] == pytest.approx(list(box))
    assert sorted(map(tuple, config["custom_points"])) == sorted(pts)
    d = page.evaluate("window.__mlp.dataset")
    assert sorted(map(tuple, d["train"] + d["test"])) == sorted(pts)
    assert d["box"] == pytest.approx(list(box))
    # the axes read the file's range, and every point sits where its coordinates say, in its class colour
    ticks = page.eval_on_selector_all("#axes text", "els => els.map((e) => e.textContent)")
    assert "10" in ticks and "20" in ticks
    page.wait_for_timeout(200)
    shown = page.evaluate("window.__mlp.ui.test")
    drawn = [p for p in pts if shown or [*p] in d["train"]]
    palette = page.evaluate("""async () => {
        const c = await import('/static/js/colors.js');
        return [0, 1, 2].map((k) => c.classCss(k));
    }""")
    rgb = [tuple(int(v) for v in s[s.index("(") + 1:s.index(")")].split(",")[:3]) for s in palette]
    assert rgb[0] == ORANGE and rgb[1] == BLUE  # K-class colours start with the two-class pair
    for p, got in zip(drawn, point_pixels(page, drawn, box), strict=True):
        assert close(got, rgb[int(p[2])]), (p, got)
    screenshot(page, "import-three-classes.png")


def test_a_regression_csv_is_drawn_in_regression_colours(new_page):
    page = new_page()
    pts = grid_points(5, -1.0, 1.0, lambda a, b: round(3 * a + b, 3))
    choose(page, csv_file("plane.csv", as_csv(pts, "x1,x2,y")))
    assert "regression, 25 points" in wait_notice(page, "Loaded plane.csv")
    wait_js(page, LOADED + " && window.__mlp.config.custom_regression && window.__mlp.dataset.regression")
    config = page.evaluate("window.__mlp.config")
    assert config["output"] in ("linear", "tanh")
    d = page.evaluate("window.__mlp.dataset")
    # the lowest target is the palette's orange end, the highest its blue end, 0 (mid-range) near white
    lowest = min(pts, key=lambda p: p[2])
    highest = max(pts, key=lambda p: p[2])
    drawn = [p for p in (lowest, highest) if [*p] in d["train"]]
    page.evaluate("document.getElementById('show-test').click()")
    wait_js(page, "window.__mlp.ui.test")
    page.wait_for_timeout(200)
    low, high = point_pixels(page, [lowest, highest], expected_box(pts))
    assert close(low, ORANGE, 10) and close(high, BLUE, 10), (low, high, drawn)


DROP_JS = """([name, text, type]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, {type}));
    const at = document.getElementById('plot');
    for (const kind of ['dragenter', 'dragover']) {
        at.dispatchEvent(new DragEvent(kind, {bubbles: true, cancelable: true, dataTransfer: dt}));
    }
    const shown = !document.getElementById('drop-overlay').hidden;
    const words = document.getElementById('drop-overlay').textContent;
    const ev = new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt});
    at.dispatchEvent(ev);
    const after = !document.getElementById('drop-overlay').hidden;
    return {shown, words, prevented: ev.defaultPrevented, after};
}"""


def test_a_file_dropped_on_the_page_shows_what_it_takes_then_loads(new_page):
    page = new_page()
    pts = grid_points(4, -3.0, 3.0, lambda a, b: int(a * b > 0))
    got = page.evaluate(DROP_JS, ["xor.csv", as_csv(pts), "text/csv"])
    assert got["shown"] and not got["after"] and got["prevented"]
    assert "CSV" in got["words"] and "x1,x2,label" in got["words"] and "JSON" in got["words"]
    assert "16 points, 2 classes" in wait_notice(page, "Loaded xor.csv")
    wait_js(page, LOADED)
    assert sorted(map(tuple, page.evaluate("window.__mlp.config.custom_points"))) == sorted(pts)


def test_a_drag_that_leaves_the_page_takes_the_overlay_with_it(page):
    shown = page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'a.csv'));
        const fire = (kind, el) => el.dispatchEvent(
            new DragEvent(kind, {bubbles: true, cancelable: true, dataTransfer: dt}));
        fire('dragenter', document.body);
        fire('dragenter', document.getElementById('plot'));  // into a child: still over the page
        fire('dragleave', document.body);
        const still = !document.getElementById('drop-overlay').hidden;
        fire('dragleave', document.getElementById('plot'));
        return [still, !document.getElementById('drop-overlay').hidden];
    }""")
    assert shown == [True, False]


def click_at(page, x1: float, x2: float, box) -> None:
    """Click the plot where data coordinates (x1, x2) are in the view box ``box``."""
    r = page.locator("#points").bounding_box()
    lo, hi = box
    page.mouse.click(r["x"] + (x1 - lo) / (hi - lo) * r["width"],
                     r["y"] + (hi - x2) / (hi - lo) * r["height"])


def test_the_points_editor_edits_a_small_upload_in_its_own_box(new_page):
    page = new_page()
    pts = three_classes()
    choose(page, csv_file("three.csv", as_csv(pts)))
    wait_js(page, LOADED + " && window.__mlp.dataset && window.__mlp.dataset.classes === 3")
    assert page.is_visible("#edit-hint") and page.is_visible("#point-class-1")
    box = expected_box(pts)
    click_at(page, 11.5, 18.5, box)  # between lattice points: adds a blue point there
    wait_js(page, f"window.__mlp.config.custom_points.length === {len(pts) + 1}")
    added = page.evaluate("window.__mlp.config.custom_points.at(-1)")
    assert added[0] == pytest.approx(11.5, abs=0.05) and added[1] == pytest.approx(18.5, abs=0.05)
    assert added[2] == 1
    assert page.evaluate("window.__mlp.config.custom_box") == pytest.approx(list(box))  # the box stays
    click_at(page, pts[0][0], pts[0][1], box)  # on a point: removes it
    wait_js(page, f"window.__mlp.config.custom_points.length === {len(pts)}")
    assert [*pts[0]] not in page.evaluate("window.__mlp.config.custom_points")


def test_a_regression_upload_is_not_edited_by_clicks(new_page):
    page = new_page()
    pts = grid_points(5, -1.0, 1.0, lambda a, b: round(a - b, 3))
    choose(page, csv_file("plane.csv", as_csv(pts, "x1,x2,y")))
    wait_js(page, LOADED + " && window.__mlp.config.custom_regression && window.__mlp.dataset.regression")
    assert page.is_hidden("#edit-hint") and page.is_hidden("#point-class-1")
    assert page.is_visible("#reset-points")
    click_at(page, 0.5, 0.5, expected_box(pts))
    page.wait_for_timeout(300)
    assert len(page.evaluate("window.__mlp.config.custom_points")) == len(pts)


@pytest.mark.parametrize("upload", ["classes", "regression"])
def test_reset_points_goes_from_an_upload_back_to_the_editors_points(new_page, upload):
    page = new_page()
    if upload == "classes":
        choose(page, csv_file("three.csv", as_csv(three_classes())))
    else:
        choose(page, csv_file("plane.csv", as_csv(grid_points(5, 10.0, 30.0, lambda a, b: a - b), "x1,x2,y")))
    wait_js(page, LOADED + " && window.__mlp.dataset && window.__mlp.dataset.box[0] > 5")
    page.click("#reset-points")
    wait_js(page, "window.__mlp.config.custom_box === null && window.__mlp.dataset.box[1] === 6")
    config = page.evaluate("window.__mlp.config")
    assert config["custom_points"] == START and config["classes"] == 2 and not config["custom_regression"]
    assert not page.evaluate("window.__mlp.dataset.regression")
    assert page.inner_text("#notice-text").startswith("Loaded ")  # no refusal came after the upload's notice
    assert page.is_visible("#edit-hint")


def test_choosing_your_tile_again_brings_back_the_upload_with_its_classes(new_page):
    page = new_page()
    pts = three_classes()
    choose(page, csv_file("three.csv", as_csv(pts)))
    wait_js(page, LOADED + " && window.__mlp.dataset && window.__mlp.dataset.classes === 3")
    page.click('#datasets .dataset[data-name="circle"]')
    wait_js(page, "window.__mlp.config.dataset === 'circle' && window.__mlp.dataset.box[1] === 6")
    page.click('#datasets .dataset[data-name="user"]')
    wait_js(page, "window.__mlp.config.dataset === 'user' && window.__mlp.dataset.classes === 3")
    config = page.evaluate("window.__mlp.config")
    assert sorted(map(tuple, config["custom_points"])) == sorted(pts)
    assert config["classes"] == 3 and config["output"] == "softmax"
    assert config["custom_box"] == pytest.approx(list(expected_box(pts)))


def test_your_tile_after_a_scene_brings_back_a_regression_upload_as_a_regression_in_its_box(new_page):
    # the "your-data" scene holds a regression read from a CSV; the next scene resets the config's
    # custom_regression and custom_box, yet the "yours" tile must draw (no page error) and bring the points
    # back as what they are, not as class labels 17..28
    from app import scenes

    plate = scenes.get_scene("your-data").config
    page = new_page("?scene=your-data")
    wait_js(page, "window.__mlp.config.dataset === 'user' && window.__mlp.config.custom_regression === true")
    page.select_option("#scene", "activations")
    wait_js(page, "window.__mlp.ui.scene === 'activations' && window.__mlp.config.dataset !== 'user'")
    page.click('#datasets .dataset[data-name="user"]')
    wait_js(page, "window.__mlp.config.dataset === 'user' && window.__mlp.dataset "
                  "&& window.__mlp.dataset.regression === true")
    config = page.evaluate("window.__mlp.config")
    assert config["custom_regression"] is True and config["custom_box"] == plate["custom_box"]
    assert sorted(map(tuple, config["custom_points"])) == sorted(plate["custom_points"])
    assert config["output"] in ("linear", "tanh")


def test_loading_a_file_leaves_the_lecture_scene(new_page):
    page = new_page("?scene=xor-by-hand")
    wait_js(page, "window.__mlp.ui.scene === 'xor-by-hand'")
    assert page.is_visible("#lecture")
    choose(page, csv_file("xor.csv", as_csv(grid_points(4, -3.0, 3.0, lambda a, b: int(a * b > 0)))))
    wait_js(page, LOADED)
    wait_js(page, "window.__mlp.ui.scene === null && !location.search.includes('scene=')")
    assert page.eval_on_selector("#scene", "el => el.value") == ""
    assert page.is_hidden("#scene-caption") and page.is_hidden("#lecture")


def test_while_a_file_is_on_its_way_the_button_says_so_and_a_second_file_is_named(new_page):
    page = new_page()
    held = []
    page.route("**/api/import*", lambda route: held.append(route))  # answered below, when the test says
    pts = grid_points(4, -3.0, 3.0, lambda a, b: int(a * b > 0))
    choose(page, csv_file("a-rather-long-name-of-a-data-file.csv", as_csv(pts)))
    wait_js(page, "document.getElementById('import-file').getAttribute('aria-busy') === 'true'")
    assert page.inner_text("#import-file") == "Loading a-rather-long-name-of-a\u2026"
    choose(page, csv_file("second.csv", as_csv(pts)))
    text = wait_notice(page, "Not loaded: second.csv")
    assert "second.csv came while another file is still loading" in text
    assert len(held) == 1
    held[0].continue_()
    wait_notice(page, "Loaded a-rather-long-name-of-a-data-file.csv: 16 points, 2 classes")
    assert page.get_attribute("#import-file", "aria-busy") == "false"
    assert page.inner_text("#import-file") == "Load data or a saved network\u2026"


@pytest.mark.parametrize("query", ["?embed=1", "?hide=import"])
def test_a_slide_or_a_page_without_the_import_control_takes_no_drop(new_page, query):
    page = new_page(query)
    assert page.is_hidden("#import-file")
    got = page.evaluate(DROP_JS, ["xor.csv", as_csv(grid_points(4, -3.0, 3.0, lambda a, b: int(a * b > 0))),
                                  "text/csv"])
    assert not got["shown"] and got["prevented"]  # nor does the browser open the file in the page's place
    page.wait_for_timeout(500)
    assert page.evaluate("window.__mlp.config.dataset") == "circle"


# ---- errors: named, and nothing changes ---------------------------------------------------------------

def test_a_bad_csv_names_row_and_column_and_the_session_keeps_training(new_page):
    page = new_page()
    before = page.evaluate("window.__mlp.config")
    page.click("#play")
    header_where(page, "h.step > 0")
    bad = "x1,x2,label\n1,2,0\n3,abc,1\n4,5,0\n6,7,1\n"
    choose(page, csv_file("bad.csv", bad))
    text = wait_notice(page, "Could not load bad.csv")
    assert "row 3, column 2" in text and "'abc' is not a number" in text, text
    step = page.evaluate("window.__mlp.step")
    header_where(page, f"h.step > {step}")  # still training
    assert page.evaluate("window.__mlp.state") == "playing"
    assert page.evaluate("window.__mlp.config") == before
    page.click("#play")
    screenshot(page, "import-error.png")


@pytest.mark.parametrize(("name", "content", "words"), [
    ("empty.csv", "", "no rows"),
    ("one-class.csv", "x1,x2,label\n0,0,1\n1,1,1\n2,2,1\n3,3,1\n", "at least two classes"),
    ("label.csv", "x1,x2,label\n0,0,1\n1,1,0\n2,2,9\n3,3,1\n", "row 4, column 3"),
    ("future.json", json.dumps({"format": "mlp-playground", "version": 2, "config": {}, "parameters": {}}),
     "version"),
    ("other.json", json.dumps({"hello": "world"}), "format"),
])
def test_a_file_the_server_refuses_is_named_and_changes_nothing(new_page, name, content, words):
    page = new_page()
    before = page.evaluate("window.__mlp.config")
    kind = "application/json" if name.endswith(".json") else "text/csv"
    choose(page, {"name": name, "mimeType": kind, "buffer": content.encode()})
    text = wait_notice(page, f"Could not load {name}")
    assert words in text and text.endswith("Nothing was changed."), text
    assert page.evaluate("window.__mlp.config") == before


def test_a_file_over_the_size_limit_is_refused_in_the_page_with_the_servers_words(new_page, base_url):
    page = new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    big = "x1,x2,label\n" + "0.000000001,0.000000001,1\n" * 41000  # just over 1 MiB
    assert len(big) > 1 << 20
    choose(page, csv_file("big.csv", big))
    text = wait_notice(page, "Could not load big.csv")
    assert not posts
    # the server refuses the same body with the same words
    token = page.evaluate("sessionStorage.getItem('mlp-playground.token')")
    req = urllib.request.Request(f"{base_url}/api/import?kind=csv", data=big.encode(), method="POST",
                                 headers={"X-Session-Token": json.loads(token)["token"],
                                          "Content-Type": "text/csv", "Origin": base_url})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=20)
    server = json.loads(err.value.read())["message"]
    assert server in text, (server, text)
    assert page.evaluate("window.__mlp.config.dataset") == "circle"


# ---- the exported network, into a fresh page ----------------------------------------------------------

def test_an_exported_network_opened_in_a_fresh_page_restores_its_step_and_map(new_page):
    first = new_page("?dataset=xor&seed=3")
    first.click("#play")
    header_where(first, "h.step >= 150")
    first.click("#play")
    wait_js(first, "window.__mlp.state === 'paused'")
    step = first.evaluate("window.__mlp.step")
    header_where(first, f"h.step === {step}")
    first.wait_for_timeout(300)
    digest = boundary_digest(first)
    first.evaluate("document.querySelector('details.share').open = true")
    with first.expect_download() as info:
        first.click("#export-json")
    path = ARTIFACTS / "import-export.json"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    info.value.save_as(path)
    exported = json.loads(path.read_text())
    assert exported.get("format") == "mlp-playground"

    second = new_page()
    choose(second, {"name": "net.json", "mimeType": "application/json", "buffer": path.read_bytes()})
    assert f"network at step {step:,} restored" in wait_notice(second, "Loaded net.json")
    header_where(second, f"h.step === {step}")
    wait_js(second, "window.__mlp.config.dataset === 'xor'")
    second.wait_for_timeout(300)
    assert second.evaluate("window.__mlp.config") == first.evaluate("window.__mlp.config")
    assert boundary_digest(second) == digest


# ---- the link ---------------------------------------------------------------------------------------------

def test_a_small_upload_travels_in_the_share_link_exactly(new_page):
    page = new_page()
    pts = [(10.123, 20.5, 0), (11.0, 19.25, 1), (12.5, 21.0, 2), (15.75, 18.0, 0), (13.0, 13.0, 1)]
    choose(page, csv_file("few.csv", as_csv(pts)))
    wait_js(page, LOADED)
    link = wait_js(page, "(() => { const u = document.getElementById('open-full').href; "
                         "return u.includes('custom_box') ? u : null; })()")
    config = page.evaluate("window.__mlp.config")
    other = new_page(link.split("/", 3)[3])
    wait_js(other, LOADED)
    assert not other.is_visible("#notice"), other.inner_text("#notice-text")
    got = other.evaluate("window.__mlp.config")
    assert got["custom_points"] == config["custom_points"]
    assert got["custom_box"] == config["custom_box"]
    assert not other.is_disabled("#copy-link")


def test_a_link_that_cannot_carry_the_points_says_so_and_offers_the_export(new_page):
    page = new_page()
    pts = [(round(math.cos(i) * i / 10, 6), round(math.sin(i) * i / 10, 6), i % 2) for i in range(1500)]
    choose(page, csv_file("spiral.csv", as_csv(pts)))
    wait_js(page, LOADED)
    assert "custom_points=1500-not-in-link" in page.url and "custom_box" not in page.url
    page.evaluate("document.querySelector('details.share').open = true")
    panel = page.inner_text("#share-too-long")
    assert "cannot carry your 1,500 uploaded points" in panel
    assert page.is_visible("#share-export") and page.is_disabled("#copy-link")
    assert page.evaluate("window.__mlp.config.custom_points.length") == 1500
    screenshot(page, "import-share-too-long.png")
    # the address, opened elsewhere, names what it lacks instead of silently showing other data
    other = new_page(page.url.split("/", 3)[3])
    assert "1,500 uploaded points" in notice_text(other)
    # and the same address reloaded in this tab resumes this session, points and all, without that notice
    page.reload()
    wait_js(page, "window.__mlp && window.__mlp.resumed && window.__mlp.dataset")
    assert page.evaluate("window.__mlp.config.custom_points.length") == 1500
    assert "uploaded points" not in page.inner_text("#notice-text")


def test_a_restart_brings_back_uploaded_points_too_many_for_a_hello(browser, restartable_server):
    # 3,000 points are ~70 kB of JSON: past what a hello may carry (the server closes the socket over
    # 64 KiB, and every reconnect would send them again), so the page imports them again after the restart
    # and then restores the network trained on them
    with page_factory(browser, restartable_server.url) as make:
        page = make()
        pts = [(round(i * 0.0137137, 6), round((i * 7919 % 3000) * 0.0101011, 6), int(i % 3 == 0))
               for i in range(3000)]
        choose(page, csv_file("many.csv", as_csv(pts)))
        wait_js(page, LOADED + " && window.__mlp.dataset && "
                              "window.__mlp.config.custom_points.length === 3000")
        for _ in range(3):
            page.click("#step")
        header = header_where(page, "h.step === 3")
        config = page.evaluate("window.__mlp.config")
        assert len(json.dumps(config["custom_points"], separators=(",", ":"))) > 64 * 1024
        restartable_server.restart()
        wait_js(page, "window.__mlp.status === 'open'", timeout_ms=60_000)
        wait_js(page, "document.getElementById('notice-text').textContent.includes('restored at step 3')")
        after = header_where(page, "h.step === 3")
        assert page.evaluate("window.__mlp.config") == config
        assert after["weights"] == header["weights"] and after["biases"] == header["biases"]
        d = page.evaluate("window.__mlp.dataset")
        assert len(d["train"]) + len(d["test"]) == 3000
        assert "closed" not in page.evaluate("window.__mlp.statusLog")


# ---- layout and accessibility -----------------------------------------------------------------------------

@pytest.mark.parametrize(("width", "height"), [(1280, 720), (960, 540)])
def test_the_import_button_sits_in_the_data_column_in_view_and_overlaps_nothing(new_page, width, height):
    page = new_page("", width, height)
    boxes = page.evaluate("""() => {
        const box = (el) => {
            const r = el.getBoundingClientRect();
            return {x: r.x, y: r.y, w: r.width, h: r.height};
        };
        const q = (s) => document.querySelector(s);
        return {button: box(q('#import-file')), hint: box(q('#import-hint')), column: box(q('.col.data')),
                tiles: box(q('#datasets')), next: box(q('[data-control="train_ratio"]')),
                fontPx: parseFloat(getComputedStyle(q('#import-file')).fontSize)};
    }""")
    b, col = boxes["button"], boxes["column"]
    assert b["w"] > 100 and b["h"] >= 24
    assert col["x"] <= b["x"] and b["x"] + b["w"] <= col["x"] + col["w"]
    assert b["y"] >= boxes["tiles"]["y"] + boxes["tiles"]["h"]  # below the dataset tiles
    assert boxes["hint"]["y"] >= b["y"] + b["h"] - 0.5
    assert boxes["next"]["y"] >= boxes["hint"]["y"] + boxes["hint"]["h"] - 0.5
    assert b["y"] + b["h"] <= height  # on the first screen
    assert boxes["fontPx"] >= 12
    screenshot(page, f"import-layout-{width}x{height}.png")


def test_the_import_button_is_reached_by_keyboard_and_opens_the_picker(page):
    # Tab from the last dataset tile lands on it; Enter opens the file chooser of its (hidden) input
    page.focus("#datasets .dataset:last-child")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "import-file"
    assert page.evaluate("document.activeElement.textContent") == "Load data or a saved network\u2026"
    # the chooser itself is the browser's; what the page does is open it, by clicking its file input
    page.evaluate("""() => {
        window.__opened = [];
        const click = HTMLInputElement.prototype.click;
        HTMLInputElement.prototype.click = function () { window.__opened.push(this.id, this.type); };
        window.__restoreClick = () => { HTMLInputElement.prototype.click = click; };
    }""")
    page.keyboard.press("Enter")
    assert wait_js(page, "window.__opened.length && window.__opened") == ["import-input", "file"]
    page.evaluate("window.__restoreClick()")


def test_axe_finds_no_violation_with_the_import_control_and_the_share_warning(new_page):
    page = new_page()
    pts = [(i / 100, (i * 7 % 100) / 100, i % 2) for i in range(1500)]
    choose(page, csv_file("many.csv", as_csv(pts)))
    wait_js(page, LOADED)
    page.evaluate("document.querySelector('details.share').open = true")
    violations = audit(page, (package_dir("axe-core") / "axe.min.js").read_text())
    assert not violations, explain(violations)
