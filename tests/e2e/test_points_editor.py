"""The points editor: the "Your points" tile makes the output plot an editor of the "user" dataset. A click
adds a point where it lands, a click on a point removes it, every edit rebuilds the session at step 0, and a
link carries the points."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .helpers import header_where, screenshot, wait_js

BOX = (-6.0, 6.0)
# the tile's starting set: three points of each class in opposite quadrants (x1 * x2 > 0 is blue, 1)
START = sorted([(a * s, b * t, int(s * t > 0)) for a, b in ((2, 2), (3.5, 1.5), (1.5, 3.5))
                for s in (1, -1) for t in (1, -1)])


def points(page) -> list[list[float]]:
    return page.evaluate("window.__mlp.config.custom_points")


def plot_box(page) -> dict:
    return page.locator("#points").bounding_box()


def pixel_of(page, x1: float, x2: float) -> tuple[float, float]:
    """Where the point (x1, x2) is drawn, in page pixels (the box maps onto the points canvas)."""
    b, (lo, hi) = plot_box(page), BOX
    return b["x"] + (x1 - lo) / (hi - lo) * b["width"], b["y"] + (hi - x2) / (hi - lo) * b["height"]


def choose_your_points(page) -> None:
    page.click("button.dataset[data-name='user']")
    wait_js(page, "window.__mlp.config.dataset === 'user' && window.__mlp.dataset "
                  "&& window.__mlp.dataset.train.length === window.__mlp.config.custom_points.length")


def edit_and_wait(page, action, count: int) -> list[list[float]]:
    """Do ``action``; wait until the page holds ``count`` points and the server has rebuilt its data."""
    action()
    wait_js(page, f"window.__mlp.config.custom_points.length === {count} && "
                  f"window.__mlp.dataset.train.length === {count}")
    header_where(page, "h.step === 0")
    return points(page)


def test_choosing_your_points_loads_the_starting_points_all_for_training(page):
    names = page.eval_on_selector_all("#datasets .dataset", "els => els.map(e => e.dataset.name)")
    assert names[-1] == "user"  # after the generated sets
    assert not page.is_visible("#points-editor") and not page.is_visible("#edit-hint")
    choose_your_points(page)
    config = page.evaluate("window.__mlp.config")
    assert sorted(map(tuple, config["custom_points"])) == START
    # a handful of points all train: no test set would take half of them off the plot
    assert config["train_ratio"] == 1 and config["batch_size"] <= len(START)
    data = page.evaluate("window.__mlp.dataset")
    assert sorted(tuple(p) for p in data["train"]) == START and data["test"] == []
    assert page.is_visible("#points-editor") and page.is_visible("#edit-hint")
    assert "click" in page.inner_text("#edit-hint").lower()
    assert page.evaluate("getComputedStyle(document.getElementById('points')).cursor") == "crosshair"
    assert page.get_attribute("button.dataset[data-name='user']", "aria-checked") == "true"


def test_a_click_adds_a_point_of_the_chosen_class_at_the_clicked_coordinates(page):
    choose_your_points(page)
    page.click("#point-class-0")
    assert page.get_attribute("#point-class-0", "aria-checked") == "true"
    b = plot_box(page)
    fx, fy = 0.31, 0.58  # away from every starting point
    after = edit_and_wait(page, lambda: page.mouse.click(b["x"] + fx * b["width"], b["y"] + fy * b["height"]),
                          len(START) + 1)
    x1, x2, label = after[-1]
    pixel = (BOX[1] - BOX[0]) / b["width"]  # one pixel's worth of data units
    assert label == 0
    assert abs(x1 - (BOX[0] + fx * (BOX[1] - BOX[0]))) <= pixel
    assert abs(x2 - (BOX[1] - fy * (BOX[1] - BOX[0]))) <= pixel
    # the server built its data from the new list: the point is a training point now
    assert [x1, x2, 0] in page.evaluate("window.__mlp.dataset.train")


def test_a_shift_click_adds_the_other_class(page):
    choose_your_points(page)
    page.click("#point-class-0")
    x, y = pixel_of(page, -4.5, 0.5)
    page.keyboard.down("Shift")
    after = edit_and_wait(page, lambda: page.mouse.click(x, y), len(START) + 1)
    page.keyboard.up("Shift")
    assert after[-1][2] == 1
    page.click("#point-class-1")
    x, y = pixel_of(page, 4.5, -0.5)
    page.keyboard.down("Shift")
    after = edit_and_wait(page, lambda: page.mouse.click(x, y), len(START) + 2)
    page.keyboard.up("Shift")
    assert after[-1][2] == 0


def test_clicking_a_point_removes_it_and_the_server_rebuilds_at_step_0(page):
    choose_your_points(page)
    page.click("#step")
    header_where(page, "h.step === 1")
    x, y = pixel_of(page, 2, 2)
    after = edit_and_wait(page, lambda: page.mouse.click(x + 4, y - 3), len(START) - 1)  # 5 px off centre
    assert [2, 2, 1] not in after
    assert sorted(map(tuple, after)) == sorted(p for p in START if p != (2, 2, 1))
    assert [2, 2, 1] not in page.evaluate("window.__mlp.dataset.train")
    # the same spot, now empty, takes a new point (of the chosen class, blue by default)
    after = edit_and_wait(page, lambda: page.mouse.click(x, y), len(START))
    assert after[-1][2] == 1 and abs(after[-1][0] - 2) < 0.1 and abs(after[-1][1] - 2) < 0.1


def test_removing_below_two_points_is_refused_in_the_notice(new_page):
    page = new_page("?dataset=user&custom_points=-3,-3,0;3,3,1")
    wait_js(page, "window.__mlp.dataset && window.__mlp.dataset.train.length === 2")
    assert page.evaluate("window.__mlp.config.train_ratio") == 1  # entering by link, as by the tile
    x, y = pixel_of(page, 3, 3)
    page.mouse.click(x, y)
    page.wait_for_selector("#notice:not([hidden])")
    assert "at least 2" in page.inner_text("#notice-text")
    assert points(page) == [[-3, -3, 0], [3, 3, 1]]


def test_clicks_outside_the_box_and_in_other_datasets_change_no_points(page):
    choose_your_points(page)
    b = plot_box(page)
    page.mouse.click(b["x"] - 12, b["y"] + b["height"] / 2)  # on the x2 axis labels
    page.mouse.click(b["x"] + b["width"] / 2, b["y"] + b["height"] + 12)  # on the x1 axis labels
    page.click("button.dataset[data-name='circle']")
    wait_js(page, "window.__mlp.config.dataset === 'circle' && window.__mlp.dataset.train.length > 100")
    assert not page.is_visible("#points-editor") and not page.is_visible("#edit-hint")
    assert "custom_points" not in page.url
    n = len(page.evaluate("window.__mlp.dataset.train"))
    page.mouse.click(b["x"] + 0.2 * b["width"], b["y"] + 0.2 * b["height"])
    page.click("#step")  # a message after the click: any configure the click had sent is answered first
    header_where(page, "h.step === 1")
    assert page.evaluate("window.__mlp.config.dataset") == "circle"
    assert len(page.evaluate("window.__mlp.dataset.train")) == n
    # back to "Your points": the session's points as they were
    choose_your_points(page)
    assert sorted(map(tuple, points(page))) == START


def test_the_link_carries_the_points_and_a_second_page_shows_the_same(new_page):
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    choose_your_points(page)
    x, y = pixel_of(page, -1.37, 4.21)
    edit_and_wait(page, lambda: page.mouse.click(x, y), len(START) + 1)
    page.click(".share summary")
    page.click("#copy-link")
    link = page.evaluate("navigator.clipboard.readText()")
    query = parse_qs(urlsplit(link).query)
    assert query["dataset"] == ["user"] and query["train_ratio"] == ["1"]
    encoded = query["custom_points"][0]
    assert encoded.count(";") == len(START) and "%" not in link.split("custom_points=")[1]
    config = page.evaluate("window.__mlp.config")
    first = page.evaluate("window.__mlp.dataset")

    second = new_page(link[link.index("?"):])
    wait_js(second, "window.__mlp.dataset && window.__mlp.config.dataset === 'user'")
    assert not second.is_visible("#notice"), second.inner_text("#notice-text")
    assert second.evaluate("window.__mlp.config") == config
    assert second.evaluate("window.__mlp.dataset")["train"] == first["train"]
    assert second.is_visible("#edit-hint")


@pytest.mark.parametrize(("value", "fault"), [
    ("1,2;3,4,1", "point 1"),
    ("7,0,1;0,0,0", "outside the box"),
    ("1,1,2;0,0,0", "label 2"),
    ("0,0,1", "at least 2"),
    ("1,x,0;0,0,1", "point 1"),
])
def test_a_malformed_custom_points_value_is_named_in_the_notice(new_page, value, fault):
    page = new_page(f"?dataset=user&custom_points={value}")
    page.wait_for_selector("#notice:not([hidden])")
    text = page.inner_text("#notice-text")
    assert "custom_points=" in text and fault in text, text
    # the rest of the link still applies: the editor starts from its starting points
    wait_js(page, "window.__mlp.config.dataset === 'user'")
    assert sorted(map(tuple, points(page))) == START


def test_the_page_reads_back_every_point_list_it_writes(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(f"{base_url}/static/css/playground.css")  # same origin, without starting a session
        got = page.evaluate("""async () => {
            const { formatPoints, parsePoints } = await import('/static/js/state.js');
            const lists = [[[1.5, 2, 1], [-3, 0.25, 0]], [[-6, 6, 0], [6, -6, 1], [0, -0.07, 1]],
                           [[1.23456, -2.345, 1], [0.004, 5.995, 0]]];
            return lists.map((l) => [formatPoints(l), parsePoints(formatPoints(l)).value]);
        }""")
    finally:
        page.close()
    assert got[0] == ["1.5,2,1;-3,0.25,0", [[1.5, 2, 1], [-3, 0.25, 0]]]
    assert got[1][1] == [[-6, 6, 0], [6, -6, 1], [0, -0.07, 1]]
    assert got[2] == ["1.23,-2.35,1;0,6,0", [[1.23, -2.35, 1], [0, 6, 0]]]  # two decimals


def test_a_server_refusal_of_too_many_points_is_shown_and_the_session_goes_on(new_page):
    # the server's bound (MAX_POINTS, 5000): a link may hold that many, one more click is refused
    page = new_page("?dataset=user&train_ratio=1&custom_points=" + ";".join(["0,0,1"] * 4999 + ["1,1,0"]))
    wait_js(page, "window.__mlp.dataset && window.__mlp.dataset.train.length === 5000")
    x, y = pixel_of(page, -4, -4)
    page.mouse.click(x, y)
    page.wait_for_selector("#notice:not([hidden])")
    assert "custom_points" in page.inner_text("#notice-text") and "5000" in page.inner_text("#notice-text")
    assert len(points(page)) == 5000
    assert page.evaluate("window.__mlp.status") == "open"
    x, y = pixel_of(page, 1, 1)
    after = edit_and_wait(page, lambda: page.mouse.click(x, y), 4999)
    assert [1, 1, 0] not in after


def test_reset_points_goes_back_to_the_starting_points_and_the_page_looks_right(page):
    choose_your_points(page)
    x, y = pixel_of(page, 0.5, -4.5)
    edit_and_wait(page, lambda: page.mouse.click(x, y), len(START) + 1)
    edit_and_wait(page, lambda: page.click("#reset-points"), len(START))
    assert sorted(map(tuple, points(page))) == START
    page.click("#play")
    header_where(page, "h.step >= 300")
    page.click("#play")
    wait_js(page, "window.__mlp.state === 'paused'")
    screenshot(page, "points-editor.png")


def test_a_link_with_more_points_than_one_message_carries_is_named_and_the_socket_stays_open(new_page):
    # 3500 points on a 100 x 35 lattice are 52 KB of JSON: within the schema's 5000, but the hello would
    # leave little room under the server's 64 KiB, and a few hundred more points would pass it and close the
    # socket (1009) on every reconnect; the page names them instead of sending them
    many = ";".join(f"{-5.5 + (i % 100) * 0.11:.2f},{-5.55 + (i // 100) * 0.31:.2f},{i % 2}"
                    for i in range(3500))
    page = new_page(f"?dataset=user&custom_points={many}")
    page.wait_for_selector("#notice:not([hidden])")
    text = page.inner_text("#notice-text")
    assert "custom_points=" in text and "too many for one message" in text, text
    assert len(text) < 400  # the list is not repeated whole
    wait_js(page, "window.__mlp.config.dataset === 'user' && window.__mlp.dataset")
    assert page.evaluate("window.__mlp.status") == "open"
    assert sorted(map(tuple, points(page))) == START
