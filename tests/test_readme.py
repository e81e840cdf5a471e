"""The README's promises, kept honest: its Python example prints what it says, and CI runs its test
command."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_python_example_prints_what_its_comment_says():
    (example,) = _blocks("python")
    expected = re.search(r"print\(.*\)\s*#\s*(.*)", example).group(1).strip()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README.md", "exec"), {})
    assert out.getvalue().strip() == expected


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [b.strip() for b in re.findall(r"```bash\n(.*?)```", setup, flags=re.S)]
    assert len(commands) == 2
    start, test = commands
    assert "mlp-playground" in start
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci
