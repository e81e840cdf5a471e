"""The network column's head: the layer count is a phrase; the optimizer fields show their values."""

from __future__ import annotations

from .helpers import screenshot, wait_js

# what the text of a number input needs beyond its glyphs: Chromium's spin buttons sit inside its box
SPIN_PX = 15


def test_one_hidden_layer_is_singular_and_two_are_plural(new_page):
    page = new_page("?hidden=4")
    wait_js(page, "document.getElementById('layer-count').textContent === '1'")
    assert page.inner_text("#network-title").lower() == "1 hidden layer"
    page.click("#add-layer")
    wait_js(page, "document.getElementById('layer-count').textContent === '2'")
    assert page.inner_text("#network-title").lower() == "2 hidden layers"


def test_the_adam_fields_are_wide_enough_for_their_values(new_page):
    page = new_page("?optimizer=adam", width=1280, height=800)
    page.wait_for_selector("#beta2:visible")
    screenshot(page, "network-head-adam.png")
    for name in ("beta1", "beta2"):
        need, room = page.evaluate("""(id) => {
            const el = document.getElementById(id);
            const cs = getComputedStyle(el);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
            const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
            // the value shown and the longest one the field accepts (its max: 0.9999 for beta2)
            return [Math.max(ctx.measureText(el.value).width, ctx.measureText(el.max).width), room];
        }""", name)
        value = page.input_value(f"#{name}")
        assert value, name
        assert need + SPIN_PX <= room, f"{name}={value} needs {need:.1f}+{SPIN_PX} px, has {room:.1f}"


def test_the_column_heads_stay_inside_the_diagram_in_a_softmax_embed(new_page):
    page = new_page("?scene=softmax&embed=1", width=960, height=540)
    wait_js(page, "[...document.querySelectorAll('.layer-head')]"
                  ".some((e) => e.textContent.includes('3 classes'))")
    diagram = page.locator("#diagram").bounding_box()
    heads = page.evaluate("""[...document.querySelectorAll('.layer-head')].map((e) => {
        const r = e.getBoundingClientRect();
        return [e.textContent.trim(), r.left, r.right];
    })""")
    for text, left, right in heads:
        inside = diagram["x"] <= left and right <= diagram["x"] + diagram["width"] + 0.5
        assert inside, (text, left, right, diagram)
