"""The build context: .dockerignore lets the package and the page's files (static/, templates/) through and
keeps everything else out.

The rule reader is checked first against the examples of Docker's own .dockerignore documentation, then
applied to this checkout. (test_wheel_install.py builds the wheel from exactly the files let through.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .dockerfile import DockerIgnore, parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
IGNORE = DockerIgnore((ROOT / ".dockerignore").read_text())


@pytest.mark.parametrize(("path", "excluded"), [
    ("somedir/temporary.txt", True), ("somedir/temp", True), ("somedir/temp/inside.txt", True),
    ("somedir/subdir/temporary.txt", True), ("tempa", True), ("tempb", True),
    ("temp", False), ("temporary.txt", False), ("tempab", False), ("a/b/c/temp.txt", False),
])
def test_documented_wildcard_examples_match_as_docker_says(path, excluded):
    rules = DockerIgnore("# comment\n*/temp*\n*/*/temp*\ntemp?\n")
    assert rules.excluded(path) is excluded


def test_double_star_matches_any_number_of_directories_including_none():
    rules = DockerIgnore("**/*.go\n")
    assert rules.excluded("main.go") and rules.excluded("a/b/c/x.go")
    assert not rules.excluded("a/b/x.gox")


@pytest.mark.parametrize(("text", "kept"), [
    ("*.md\n!README.md\n", {"README.md"}),
    ("*.md\n!README*.md\nREADME-secret.md\n", {"README.md", "README-public.md"}),
    ("*.md\nREADME-secret.md\n!README*.md\n", {"README.md", "README-public.md", "README-secret.md"}),
])
def test_the_last_matching_line_decides_as_in_the_documented_exceptions(text, kept):
    rules = DockerIgnore(text)
    names = ["README.md", "README-public.md", "README-secret.md", "CHANGES.md"]
    assert {n for n in names if not rules.excluded(n)} == kept


def test_a_pattern_matching_a_directory_covers_everything_below_it():
    rules = DockerIgnore("build/\n/dist\n")
    assert rules.excluded("build/lib/x.py") and rules.excluded("dist/a.whl")
    assert not rules.excluded("app/build.py")


def test_context_holds_the_package_metadata_templates_and_static_files():
    files = set(IGNORE.context_files(ROOT))
    needed = {"pyproject.toml", "README.md", "app/__init__.py", "app/cli.py", "templates/index.html"}
    assert needed <= files
    for folder in ("app", "static", "templates"):
        source = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts}
        assert source, f"{folder}/ is empty in the checkout"
        assert source <= files, f"left out of the build context: {sorted(source - files)}"


@pytest.mark.parametrize("path", [
    ".git/HEAD", "tests/engine/test_network.py", "tests/deploy/test_dockerignore.py", "artifacts/e2e/x.png",
    ".pytest_cache/README.md", ".hypothesis/examples/x", ".ruff_cache/x",
    "app/__pycache__/cli.cpython-311.pyc",
    "app/engine/__pycache__/network.cpython-311.pyc", "static/js/.controller.js.swp", "static/.DS_Store",
    ".venv/bin/python", "bench/load.py", "docs/deploy.md",
    "dist/mlp_playground-0.1.0-py3-none-any.whl", "build/lib/app/cli.py", "mlp_playground.egg-info/PKG-INFO",
    ".env", "Dockerfile", ".dockerignore",
])
def test_everything_but_the_package_stays_out_of_the_context(path):
    assert IGNORE.excluded(path)


def test_every_file_the_dockerfile_copies_from_the_context_is_let_through():
    for stage in parse_dockerfile(ROOT / "Dockerfile"):
        for inst in stage.all("COPY"):
            if inst.args.startswith("--from="):
                continue
            *sources, _dest = inst.args.split()
            for source in sources:
                target = ROOT / source
                assert target.exists(), f"line {inst.line}: COPY {source} does not exist"
                assert not IGNORE.excluded(source), f"line {inst.line}: .dockerignore drops {source}"
