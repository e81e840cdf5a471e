"""Every link to the app in README.md and docs/*.md works: opened against a real server (the docs' host and
port rewritten to the test server's), the page starts, draws a frame and shows no notice (such as "Ignored
invalid link values"); a link naming a scene loads that scene. A doc that promises a link the page refuses
is a new user's first stumble."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest

from app.scenes import DEFAULT_SCENE, SCENES

from .helpers import ROOT, screenshot

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# hosts the docs use for the app itself (the others, e.g. a course site framing it, are not the app)
APP_HOSTS = {"127.0.0.1:8000", "localhost:8000", "playground.example.org", "play.example.org", "your-host"}
ABSOLUTE = re.compile(r"https?://([A-Za-z0-9.\-]+(?::\d+)?)(/?\?[^\s`\"'<>)\]]*|/?(?=[\s`\"'<>)\]]|$))")
RELATIVE = re.compile(r"(?<=[`\"'(<\s])/?\?[A-Za-z_][^\s`\"'<>)\]]*")
# placeholders the docs spell out instead of a value (`?scene=NAME`), and `watch`, which needs a live room
PLACEHOLDERS = {"NAME", "CODE"}


def doc_links() -> list[tuple[str, str]]:
    """(doc, query) for every distinct link to the app in the docs; query is '' or starts with '?'."""
    found: dict[str, str] = {}
    for doc in DOCS:
        text = doc.read_text()
        queries = [m.group(2) for m in ABSOLUTE.finditer(text) if m.group(1).lower() in APP_HOSTS]
        queries += [m.group(0) for m in RELATIVE.finditer(text)]
        for q in queries:
            q = q.lstrip("/").replace("&amp;", "&")
            params = parse_qsl(q.lstrip("?"), keep_blank_values=True)
            if any(v in PLACEHOLDERS for _, v in params) or any(k == "watch" for k, _ in params):
                continue
            found.setdefault(q, doc.relative_to(ROOT).as_posix())
    return sorted((doc, q) for q, doc in found.items())


LINKS = doc_links()


def test_the_docs_link_to_the_app_at_all():
    # the scan below must see the docs' links: a changed link style must not make it check nothing
    docs = {doc for doc, _ in LINKS}
    assert {"README.md", "docs/embedding.md", "docs/lecture.md"} <= docs
    assert sum(1 for _, q in LINKS if "scene=" in q) >= len(SCENES) - 1


@pytest.mark.parametrize(("doc", "query"), LINKS, ids=[f"{d}:{q or '/'}" for d, q in LINKS])
def test_every_app_link_in_the_docs_opens_without_ignored_values(new_page, doc, query):
    page = new_page(query)  # waits for the first painted frame
    assert page.evaluate("window.__mlp.session") or "present=1" in query
    # any notice at all: the link parser's "ignored invalid link values", whatever its wording, or anything
    # else a reader of the docs should not meet on their first click
    notice = page.text_content("#notice-text") if page.is_visible("#notice") else ""
    if notice:
        screenshot(page, f"doc-link-{re.sub(r'[^a-z0-9]+', '-', query.lower())}.png")
    assert not notice, f"{doc} links to {query!r}, and the page says: {notice}"
    scene = dict(parse_qsl(query.lstrip("?"))).get("scene")
    if scene:
        shown = page.evaluate("window.__mlp.ui.scene") or DEFAULT_SCENE
        assert shown == scene, f"{doc}: {query!r} opened scene {shown!r}"


def test_scene_names_the_docs_pass_to_the_player_exist():
    # postMessage examples (`{ scene: "..." }`) are not links, but a wrong name fails the same way
    for doc in DOCS:
        for name in re.findall(r"scene:\s*[\"']([^\"']+)[\"']", doc.read_text()):
            assert name in SCENES, f"{doc.relative_to(ROOT)} passes the unknown scene {name!r}"
