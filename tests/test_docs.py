"""The docs stay true: docs/python-api.md is executable (its Python blocks run in order in one namespace, and
every `print(...)  # value` line prints that value), docs/architecture.md's module table is the tree's, and
every test file of tests/engine and tests/server mirrors a module or is named in its paragraph below it."""

import contextlib
import io
import re
from pathlib import Path

import app.engine

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


def test_every_code_block_of_the_python_api_doc_is_python_so_that_it_runs():
    fences = re.findall(r"^```(\S*)", DOC, flags=re.M)
    openings = fences[0::2]  # a block opens with its language and closes with a bare fence
    assert openings and set(openings) == {"python"} and set(fences[1::2]) == {""}


def test_the_python_api_doc_names_everything_app_engine_exports():
    missing = [name for name in app.engine.__all__ if not re.search(rf"\b{name}\b", DOC)]
    assert missing == []


def test_every_test_file_mirrors_a_module_or_is_named_as_crossing_modules():
    paragraph = ARCHITECTURE[ARCHITECTURE.index("Beside the mirrors"):ARCHITECTURE.index("## The page")]
    named = set(re.findall(r"`(test_\w+)`", paragraph))
    sources = {"engine": [ROOT / "app" / "engine"], "server": [ROOT / "app", ROOT / "app" / "protocol"]}
    found = set()
    for folder, homes in sources.items():
        for test in sorted((ROOT / "tests" / folder).glob("test_*.py")):
            found.add(test.stem)
            module = test.stem.removeprefix("test_")  # a module, or a package (app/protocol)
            mirrored = any((home / f"{module}.py").is_file() or (home / module / "__init__.py").is_file()
                           for home in homes)
            assert mirrored or test.stem in named, (
                f"tests/{folder}/{test.name} mirrors no module of {folder} and docs/architecture.md does not "
                "name it among the tests that cross modules")
    assert named <= found, f"docs/architecture.md names test files that do not exist: {sorted(named - found)}"
