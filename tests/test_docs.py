"""The docs stay true: docs/python-api.md is executable (its Python blocks run in order in one namespace, and
every `print(...)  # value` line prints that value), and docs/architecture.md's module table is the tree's."""

import contextlib
import io
import re
from pathlib import Path

DOC = (Path(__file__).resolve().parent.parent / "docs" / "python-api.md").read_text()


def test_python_api_doc_examples_run_and_print_what_they_say():
    namespace: dict = {}
    blocks = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "python-api.md", "exec"), namespace)
        expected = [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s*#\s*(.*)", block)]
        assert out.getvalue().strip().splitlines() == expected


ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def architecture_table() -> dict[str, str]:
    """docs/architecture.md's module table: module path -> its job."""
    rows = re.findall(r"^\| `(app/[\w/]+\.py)` \|(.*)\|$", ARCHITECTURE, flags=re.M)
    table = {module: job.strip() for module, job in rows}
    assert len(table) == len(rows), "a module has two rows in docs/architecture.md"
    return table


def test_architecture_doc_lists_every_module():
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app").rglob("*.py")}
    listed = architecture_table()
    missing, gone = sorted(modules - listed.keys()), sorted(listed.keys() - modules)
    assert not missing, f"modules without a row in docs/architecture.md's module table: {missing}"
    assert not gone, f"rows of docs/architecture.md's module table for modules gone from app/: {gone}"
    assert all(listed.values()), f"rows without a job: {[m for m, job in listed.items() if not job]}"
