"""docs/deploy.md stays true to the code: its settings table is app/settings.py's (every setting, the real
defaults, no invented names), and its docker lines match the Dockerfile. (test_nginx.py runs its nginx
configuration.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.settings import ENV_PREFIX, Settings, env_name

from .dockerfile import final_stage

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text()
ROW = re.compile(r"^\| `(MLP_PLAYGROUND_\w+)` \| (.+?) \| (.+) \|$", flags=re.MULTILINE)
NO_DEFAULT = "(none)"


def table() -> dict[str, str]:
    rows = {name: default.strip() for name, default, _ in ROW.findall(DOC)}
    assert rows, "docs/deploy.md has no settings table"
    return rows


@pytest.fixture
def clean_env(monkeypatch):
    for key in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(key)
    return monkeypatch


def test_every_setting_has_a_row_in_the_settings_table():
    missing = [env_name(f) for f in Settings.model_fields if env_name(f) not in table()]
    assert not missing, f"settings missing from docs/deploy.md: {missing}"


def test_the_page_names_no_setting_that_does_not_exist():
    named = set(re.findall(r"MLP_PLAYGROUND_[A-Z0-9_]*[A-Z0-9]", DOC))
    real = {env_name(f) for f in Settings.model_fields}
    assert named - real == set(), f"not settings of app/settings.py: {sorted(named - real)}"


@pytest.mark.parametrize("field", list(Settings.model_fields))
def test_each_documented_default_is_the_real_default(field, clean_env):
    cell = table()[env_name(field)]
    real = getattr(Settings(), field)
    if cell == NO_DEFAULT:
        assert not real, f"{env_name(field)} is documented without a default but defaults to {real!r}"
        return
    assert re.fullmatch(r"`[^`]+`", cell), f"{env_name(field)}: write the default as `value`, got {cell!r}"
    # read the documented value the way the server reads the variable, and compare the results
    clean_env.setenv(env_name(field), cell.strip("`"))
    assert getattr(Settings(), field) == real


def test_docker_lines_build_the_image_and_publish_the_exposed_port():
    (port,) = final_stage(ROOT / "Dockerfile").exposed_ports()
    assert "docker build -t mlp-playground ." in DOC
    assert re.search(rf"docker run [^\n]*-p {port}:{port} [^\n]*mlp-playground", DOC)


def test_the_documented_uid_and_healthcheck_timing_are_the_dockerfiles():
    stage = final_stage(ROOT / "Dockerfile")
    uid, gid = stage.user()
    assert f"uid {uid}" in DOC and (gid is None or f"gid {gid}" in DOC)
    options, _ = stage.healthcheck()
    pattern = r"`HEALTHCHECK` \(every (\d+) s, (\d+) s timeout, (\d+) retries, (\d+) s start period\)"
    described = re.search(pattern, DOC)
    assert described, "docs/deploy.md no longer describes the HEALTHCHECK timing"
    seconds = [options[k].removesuffix("s") for k in ("interval", "timeout", "start-period")]
    assert described.groups() == (seconds[0], seconds[1], options["retries"], seconds[2])
