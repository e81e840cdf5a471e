"""docs/python-api.md is executable: its Python blocks run in order in one namespace, and every
`print(...)  # value` line prints that value."""

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
