"""docs/lecture.md stays true: every registered lecture scene has its URL and section, and every picture it
shows is committed."""

from __future__ import annotations

import re
from pathlib import Path

from app import scenes

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "lecture.md").read_text()


def test_every_scene_has_its_url_and_section_in_the_teachers_guide():
    for name in scenes.SCENES:
        if name == scenes.DEFAULT_SCENE:
            continue
        assert f"`?scene={name}`" in DOC, name
        assert f"### `?scene={name}`" in DOC, name


def test_every_screenshot_in_the_teachers_guide_exists():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", DOC)
    assert images
    for image in images:
        assert (DOCS / image).is_file(), image
