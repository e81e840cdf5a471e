"""docs/deploy.md's "What the server withstands": every test it names exists, and every row names one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"


def section() -> str:
    text = DOC.read_text()
    start = text.index("## What the server withstands")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_every_test_the_section_names_exists():
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", section())
    assert len(named) >= 20
    for path, name in named:
        tree = ast.parse((ROOT / path).read_text())
        functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in functions, f"{path}::{name} is named in docs/deploy.md but does not exist"


def test_every_row_names_a_test():
    rows = [line for line in section().splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) >= 20
    for row in rows:
        last = row.rstrip(" |").rsplit("|", 1)[-1]
        assert "`tests/" in last, row
