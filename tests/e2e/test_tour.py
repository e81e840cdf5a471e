"""Lecture mode (issue 12 part 7, docs/lecture.md "Lecture mode"): ``?tour=1`` walks the lecture's scenes in
the lecture's order with a presentation clicker's keys, shows "4 / 11", keeps the position in the address,
fits every stop on a 1280x720 projector, and a host deck drives an embedded player by postMessage
(next / previous / goto)."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from app import scenes

from .helpers import ARTIFACTS, ROOT, wait_js
from .layout_probe import assert_fits, inside, measure, overlap_area, settle_panel
from .test_a11y import audit, axe_source, explain  # noqa: F401  (axe_source is a fixture)
from .test_embed import hosts, open_host, round_trip, wait_event  # noqa: F401  (hosts is a fixture)

TOUR = list(scenes.TOUR)
COUNT = len(TOUR)


def query(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))


def progress(page) -> str:
    return page.locator("#tour-progress").inner_text()


def wait_stop(page, name: str) -> None:
    """Wait until the scene ``name`` is loaded and the lecture bar shows its position."""
    wait_js(page, f"!!window.__mlp && window.__mlp.ui.scene === {name!r}")  # also across a reload
    mark = f"{TOUR.index(name) + 1} / {COUNT}"
    wait_js(page, f"document.getElementById('tour-progress').textContent === {mark!r}")


def wait_panel(page, name: str) -> None:
    """Wait until the scene's panel shows what it is for (as layout_probe.open_scene does)."""
    settle_panel(page, scenes.get_scene(name).panel)


def settle(page) -> None:
    """Give a key press that should do nothing the time a load_scene round trip would take."""
    page.wait_for_timeout(600)


# ---- the one order ------------------------------------------------------------------------------------

def test_the_server_sends_the_lecture_order_and_docs_lecture_md_lists_the_scenes_in_it(base_url):
    body = json.loads(urllib.request.urlopen(f"{base_url}/api/scenes", timeout=5).read())
    assert body["tour"] == TOUR
    names = {s["name"] for s in body["scenes"]}
    assert set(TOUR) <= names and scenes.DEFAULT_SCENE not in TOUR

    text = (ROOT / "docs" / "lecture.md").read_text()
    table = text.split("## The scenes", 1)[1].split("\n### ", 1)[0]
    listed = re.findall(r"^\| [^|]+ \| `\?scene=([\w-]+)` \|", table, flags=re.M)
    assert [name for name in listed if name in TOUR] == TOUR, listed
    # the order of topics: logistic regression, XOR, costs, output and hidden units,
    # universality, depth, backprop
    topics = ["logistic", "xor-linear", "saturation", "softmax", "activations", "universality", "depth",
              "backprop"]
    assert [n for n in TOUR if n in topics] == topics


@pytest.mark.parametrize(("tour", "words"), [
    (("logistic", "xor-by-hnd"), ["xor-by-hnd", "unknown"]),
    (("logistic", "depth", "logistic"), ["repeats"]),
])
def test_a_misspelt_or_repeated_stop_of_the_order_is_refused_at_import(monkeypatch, tour, words):
    monkeypatch.setattr(scenes, "TOUR", tour)
    with pytest.raises(ValueError) as err:
        scenes._check_tour()
    for word in words:
        assert word in str(err.value)


# ---- keys, progress, address ------------------------------------------------------------------------

def test_page_down_walks_every_scene_in_order_and_the_progress_mark_and_address_follow(new_page):
    page = new_page("?tour=1")
    wait_stop(page, TOUR[0])
    assert page.locator("#tourbar").is_visible() and not page.locator(".footer").is_visible()
    assert query(page)["tour"] == "1" and query(page)["scene"] == TOUR[0]
    for i, name in enumerate(TOUR):
        if i:
            page.keyboard.press("PageDown")
        wait_stop(page, name)
        assert progress(page) == f"{i + 1} / {COUNT}"
        assert page.locator("#tour-title").inner_text() == scenes.get_scene(name).title
        assert query(page)["scene"] == name and query(page)["tour"] == "1"
    assert page.locator("#tour-next").is_disabled()
    page.keyboard.press("PageDown")  # past the last stop: nothing happens
    settle(page)
    assert page.evaluate("window.__mlp.ui.scene") == TOUR[-1] and progress(page) == f"{COUNT} / {COUNT}"


def test_page_up_and_the_arrows_go_back_and_forth_without_stepping_training(new_page):
    start = TOUR.index("xor-by-hand")  # loaded paused: a step would show in the counter
    page = new_page("?tour=1&scene=xor-by-hand")
    wait_stop(page, "xor-by-hand")
    page.keyboard.press("PageUp")
    wait_stop(page, TOUR[start - 1])
    page.keyboard.press("ArrowLeft")
    wait_stop(page, TOUR[start - 2])
    page.keyboard.press("ArrowRight")
    wait_stop(page, TOUR[start - 1])
    page.keyboard.press("ArrowDown")
    wait_stop(page, "xor-by-hand")
    settle(page)
    # the right arrow is the page's "step" outside lecture mode: here it turned the page and trained nothing
    assert page.evaluate("window.__mlp.step") == 0 and page.evaluate("window.__mlp.header.step") == 0
    page.keyboard.press("ArrowUp")
    wait_stop(page, TOUR[start - 1])
    page.keyboard.press("Home")
    wait_stop(page, TOUR[0])
    assert page.locator("#tour-previous").is_disabled()
    page.keyboard.press("PageUp")  # before the first stop: nothing happens
    page.keyboard.press("End")
    wait_stop(page, TOUR[-1])


def test_a_quick_double_press_moves_two_stops(new_page):
    page = new_page("?tour=1")
    wait_stop(page, TOUR[0])
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    wait_stop(page, TOUR[2])
    settle(page)
    assert page.evaluate("window.__mlp.ui.scene") == TOUR[2]


def test_arrows_do_nothing_while_a_control_has_focus_but_the_clickers_page_down_still_turns(new_page):
    page = new_page("?tour=1&scene=xor-linear")
    wait_stop(page, "xor-linear")
    page.focus("#learning_rate")
    for key in ("ArrowRight", "ArrowLeft", "ArrowDown", "End"):
        page.keyboard.press(key)
    page.focus("#seed")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")
    settle(page)
    assert page.evaluate("window.__mlp.ui.scene") == "xor-linear"
    assert progress(page) == f"{TOUR.index('xor-linear') + 1} / {COUNT}"
    page.keyboard.press("PageDown")  # a clicker's button works wherever the focus was left
    wait_stop(page, TOUR[TOUR.index("xor-linear") + 1])


def test_a_clickers_black_screen_keys_change_nothing(new_page):
    page = new_page("?tour=1&scene=xor-by-hand")
    wait_stop(page, "xor-by-hand")
    before = (page.url, page.evaluate("window.__mlp.step"), page.evaluate("window.__mlp.state"))
    page.locator("#tour-next").focus()
    page.keyboard.press("b")
    page.keyboard.press(".")
    page.locator("body").focus()
    page.keyboard.press("b")
    page.keyboard.press(".")
    settle(page)
    assert (page.url, page.evaluate("window.__mlp.step"), page.evaluate("window.__mlp.state")) == before
    assert page.evaluate("document.body.classList.contains('tour')")
    assert not page.locator("#notice").is_visible()


def test_a_reload_and_a_shared_link_land_on_the_same_scene(new_page):
    page = new_page("?tour=1")
    wait_stop(page, TOUR[0])
    for _ in range(3):
        page.keyboard.press("PageDown")
    wait_stop(page, TOUR[3])
    link = page.url
    page.reload()
    wait_stop(page, TOUR[3])
    assert page.locator("#tourbar").is_visible() and query(page)["tour"] == "1"
    shared = new_page(link[link.index("?"):])  # another browser: a fresh session from the link
    wait_stop(shared, TOUR[3])
    assert shared.locator("#tourbar").is_visible()


def test_escape_and_the_leave_button_return_to_the_normal_page_at_that_scene(new_page):
    page = new_page("?tour=1&scene=depth")
    wait_stop(page, "depth")
    in_tour = query(page)
    assert in_tour["scene"] == "depth" and in_tour["tour"] == "1"
    normal = {k: v for k, v in in_tour.items() if k != "tour"}
    page.keyboard.press("Escape")
    wait_js(page, "!document.body.classList.contains('tour')")
    assert query(page) == normal
    assert not page.locator("#tourbar").is_visible() and page.locator(".footer").is_visible()
    page.keyboard.press("PageDown")  # outside lecture mode the clicker's keys are the page's again
    settle(page)
    assert page.evaluate("window.__mlp.ui.scene") == "depth"

    page.click("#tour-start")  # at a stop of the lecture: the tour starts there
    wait_js(page, "document.body.classList.contains('tour')")
    wait_stop(page, "depth")
    assert query(page) == in_tour
    page.click("#tour-leave")
    wait_js(page, "!document.body.classList.contains('tour')")
    assert query(page) == normal
    assert page.evaluate("document.activeElement.id") == "tour-start"


def test_after_rebuilding_a_scenes_network_by_hand_the_lecture_goes_on_from_that_stop(new_page):
    stop = TOUR.index("xor-by-hand")
    page = new_page("?tour=1&scene=xor-by-hand")
    wait_stop(page, "xor-by-hand")
    page.click("#add-layer")  # hand-set weights no longer fit: the page drops the scene, keeps the network
    wait_js(page, "window.__mlp.ui.scene === null && window.__mlp.config.hidden.length === 2")
    assert progress(page) == f"\u2013 / {COUNT}"
    nxt = scenes.get_scene(TOUR[stop + 1]).title
    assert f"next: {nxt}" in page.locator("#tour-title").inner_text()
    # a reload shows that network (the address says it), not the lecture's first scene
    page.reload()
    wait_js(page, "window.__mlp && window.__mlp.painted > 0 && window.__mlp.config.hidden.length === 2")
    assert page.evaluate("window.__mlp.ui.scene") is None and query(page)["tour"] == "1"
    page = new_page("?tour=1&scene=xor-by-hand")
    wait_stop(page, "xor-by-hand")
    page.click("#add-layer")
    wait_js(page, "window.__mlp.ui.scene === null")
    page.locator("body").focus()
    page.keyboard.press("PageDown")
    wait_stop(page, TOUR[stop + 1])


def test_the_lecture_mode_button_on_the_plain_page_starts_at_the_first_scene(new_page):
    page = new_page("")
    assert page.evaluate("window.__mlp.ui.scene") is None
    page.click("#tour-start")
    wait_stop(page, TOUR[0])
    assert query(page)["tour"] == "1" and query(page)["scene"] == TOUR[0]


def test_the_full_screen_button_fills_the_screen_and_leaving_the_tour_ends_it(new_page):
    page = new_page("?tour=1&scene=xor-linear")
    wait_stop(page, "xor-linear")
    page.click("#tour-fullscreen")
    wait_js(page, "document.fullscreenElement === document.documentElement")
    wait_js(page, "document.getElementById('tour-fullscreen').getAttribute('aria-pressed') === 'true'")
    page.click("#tour-leave")
    wait_js(page, "document.fullscreenElement === null")
    assert query(page).get("tour") is None


def test_hide_tour_removes_the_button_without_a_notice(new_page):
    page = new_page("?hide=tour")
    assert page.locator("#tour-start").is_hidden()
    assert not page.locator("#notice").is_visible()


def test_escape_closes_an_open_editor_first_and_stays_in_lecture_mode(new_page):
    page = new_page("?tour=1&scene=xor-by-hand")
    wait_stop(page, "xor-by-hand")
    page.click("#activation")
    page.wait_for_selector("#picker-pop:not([hidden])")
    page.keyboard.press("Escape")
    page.wait_for_selector("#picker-pop", state="hidden")
    settle(page)
    assert page.evaluate("document.body.classList.contains('tour')")
    page.keyboard.press("Escape")  # nothing open any more: now Escape leaves
    wait_js(page, "!document.body.classList.contains('tour')")


# ---- the projector ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", TOUR)
def test_each_stop_shows_its_panel_and_the_output_plot_inside_1280x720(new_page, name):
    page = new_page(f"?tour=1&scene={name}", width=1280, height=720)
    wait_stop(page, name)
    wait_panel(page, name)
    m = measure(page)
    (ARTIFACTS / "tour").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tour" / f"{name}-1280x720.png"))
    assert_fits(m, name, embedded=False)
    bar = page.locator("#tourbar").bounding_box()
    view = {"x": 0, "y": 0, "w": 1280, "h": 720}
    bar = {"x": bar["x"], "y": bar["y"], "w": bar["width"], "h": bar["height"]}
    assert inside(bar, view), bar
    for key, box in m["majors"].items():
        assert overlap_area(bar, box) < 1, f"the lecture bar {bar} overlaps {key} {box}"
    # the mark is readable and whole: every control of the bar inside it
    for sel in ("#tour-previous", "#tour-progress", "#tour-next", "#tour-leave"):
        b = page.locator(sel).bounding_box()
        assert inside({"x": b["x"], "y": b["y"], "w": b["width"], "h": b["height"]}, bar), sel


def test_axe_finds_no_wcag_21_aa_violation_in_lecture_mode(new_page, axe_source):  # noqa: F811
    page = new_page("?tour=1&scene=xor-by-hand")
    wait_stop(page, "xor-by-hand")
    wait_panel(page, "xor-by-hand")
    violations = audit(page, axe_source)
    assert not violations, explain(violations)


# ---- the embedded player: postMessage next / previous / goto -------------------------------------------

def test_a_host_deck_drives_the_embedded_player_with_next_previous_and_goto(browser, hosts):  # noqa: F811
    ctx, page, player, errors = open_host(browser, hosts["allowed"])
    try:
        wait_event(page, "ready")
        # the default scene is no stop of the lecture: "next" enters it at the first
        page.evaluate("drive({action: 'next'})")
        assert wait_event(page, "tour", f"e.scene === {TOUR[0]!r}") == {
            "origin": hosts["player"], "type": "mlp-playground", "event": "tour", "scene": TOUR[0],
            "position": 1, "count": COUNT}
        page.evaluate("drive({action: 'next'})")
        wait_event(page, "tour", f"e.position === 2 && e.scene === {TOUR[1]!r}")
        assert player.evaluate("window.__mlp.ui.scene") == TOUR[1]
        page.evaluate("drive({action: 'goto', scene: 'depth'})")
        wait_event(page, "tour", "e.scene === 'depth'")
        assert player.evaluate("window.__mlp.ui.scene") == "depth"
        page.evaluate("drive({action: 'previous'})")
        wait_event(page, "tour", f"e.scene === {TOUR[TOUR.index('depth') - 1]!r}")
        page.evaluate(f"drive({{action: 'goto', position: {COUNT}}})")
        wait_event(page, "tour", f"e.position === {COUNT}")
        assert player.evaluate("window.__mlp.ui.scene") == TOUR[-1]
        # past the end nothing loads, and the deck hears where the player still is
        n = len(page.evaluate("window.events.filter((e) => e.event === 'tour')"))
        page.evaluate("drive({action: 'next'})")
        wait_js(page, f"window.events.filter((e) => e.event === 'tour').length > {n}")
        assert page.evaluate("window.events.filter((e) => e.event === 'tour').pop().position") == COUNT
        round_trip(player)
        assert player.evaluate("window.__mlp.ui.scene") == TOUR[-1]
        # an embedded player is driven by its deck: no lecture bar inside the slide
        assert not player.locator("#tourbar").is_visible()
    finally:
        ctx.close()
    assert not errors, errors


@pytest.mark.parametrize(("message", "field", "words"), [
    ({"scene": "no-such-scene"}, "scene", ["no-such-scene", "logistic", "backprop"]),
    ({"scene": scenes.DEFAULT_SCENE}, "scene", ["lecture's scenes"]),
    ({"position": 0}, "position", [f"from 1 to {COUNT}", "got 0"]),
    ({"position": COUNT + 1}, "position", [f"got {COUNT + 1}"]),
    ({"position": "3"}, "position", ['got "3"']),
    ({}, "scene", ["scene name", "position"]),
])
def test_a_bad_goto_gets_the_apis_error_naming_the_field(browser, hosts, message, field, words):  # noqa: F811
    ctx, page, player, errors = open_host(browser, hosts["allowed"])
    try:
        wait_event(page, "ready")
        page.evaluate(f"drive({json.dumps({'action': 'goto', **message})})")
        error = wait_event(page, "error", f"e.field === {field!r}")
        assert error["code"] == "bad_action"
        for word in words:
            assert word in error["message"], error["message"]
        round_trip(player)
        assert player.evaluate("window.__mlp.ui.scene") is None  # nothing was loaded
    finally:
        ctx.close()
    assert not errors, errors
