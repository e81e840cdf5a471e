"""docs/python-api.md is executable: its Python blocks run in order in one namespace, and every
`print(...)  # value` line prints that value."""

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


def test_every_code_block_of_the_python_api_doc_is_python_so_that_it_runs():
    fences = re.findall(r"^```(\S*)", DOC, flags=re.M)
    openings = fences[0::2]  # a block opens with its language and closes with a bare fence
    assert openings and set(openings) == {"python"} and set(fences[1::2]) == {""}


def test_the_python_api_doc_names_everything_app_engine_exports():
    missing = [name for name in app.engine.__all__ if not re.search(rf"\b{name}\b", DOC)]
    assert missing == []
