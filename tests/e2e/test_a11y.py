"""Accessible as universities require (issue 10, section 3): axe-core, the npm package, audits the page
against WCAG 2.1 level A and AA (tags wcag2a, wcag2aa, wcag21a, wcag21aa) and finds no violation: on the
plain page, with every scene loaded, and embedded."""

from __future__ import annotations

import pytest

from app import scenes

from .helpers import wait_js
from .layout_probe import open_scene
from .npm_assets import package_dir

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# axe.run resolves to its results; only what a failure message needs is returned
RUN_JS = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (package_dir("axe-core") / "axe.min.js").read_text()


def audit(page, axe_source: str) -> list[dict]:
    # injected through the debugger protocol: the page's own CSP (script-src 'self') stays on
    page.evaluate(axe_source)
    wait_js(page, "typeof window.axe === 'object'")
    return page.evaluate(RUN_JS, TAGS)


def explain(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(
        f"    {n['target']}: {n['summary']}" for n in v["nodes"]) for v in violations)


@pytest.mark.parametrize("name", list(scenes.SCENES))
def test_axe_finds_no_wcag_21_aa_violation_with_the_scene_loaded(new_page, axe_source, name):
    page = open_scene(new_page, name, "1280x720")
    violations = audit(page, axe_source)
    assert not violations, explain(violations)


@pytest.mark.parametrize("name", ["playground", "xor-by-hand", "activations", "backprop"])
def test_axe_finds_no_wcag_21_aa_violation_in_the_embedded_player(new_page, axe_source, name):
    page = open_scene(new_page, name, "960x540")
    violations = audit(page, axe_source)
    assert not violations, explain(violations)


def test_axe_finds_no_wcag_21_aa_violation_with_the_popovers_open(new_page, axe_source):
    # the hidden-unit picker and the share panel are part of the page too
    page = new_page("")
    page.click("#activation")
    page.wait_for_selector("#picker-pop:not([hidden])")
    page.locator("details.share summary").evaluate("(s) => s.parentElement.open = true")
    violations = audit(page, axe_source)
    assert not violations, explain(violations)
