"""The browser tests' npm packages (axe-core, reveal.js): used by the tests only, never served by the app.
scripts/test installs them into tests/e2e/.npm (git-ignored); a test run without them installs them the same
way, so that the audit and the deck never silently do not run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PREFIX = Path(__file__).resolve().parent / ".npm"
PACKAGES = {"axe-core": "4.14.1", "reveal.js": "5.2.1"}  # the versions scripts/test pins


def package_dir(name: str) -> Path:
    """tests/e2e/.npm/node_modules/<name>, installing the pinned packages first if it is missing."""
    path = PREFIX / "node_modules" / name
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"{name} is needed by the browser tests and npm is not installed")
        pinned = [f"{k}@{v}" for k, v in PACKAGES.items()]
        flags = ["--silent", "--no-save", "--no-audit", "--no-fund", "--prefix", str(PREFIX)]
        subprocess.run([npm, "install", *flags, *pinned], check=True, timeout=600)
    return path
