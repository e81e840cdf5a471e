"""Just enough of Docker's file formats for the deploy tests to follow the real files.

``parse_dockerfile`` reads the instructions of a Dockerfile (continuation lines, comments, stages) and gives
the final stage's ENV, USER, EXPOSE, CMD and HEALTHCHECK, which is what a container started from the image
runs. ``DockerIgnore`` applies ``.dockerignore`` rules with Docker's semantics: patterns in order, the last
match wins, ``!`` re-includes, and a pattern matching a directory matches everything under it.

Anything this reader does not understand (shell-form CMD, ``$`` expansion in ENV) raises ``DockerfileError``
naming the instruction, so a test fails loudly instead of running something other than what Docker would.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


class DockerfileError(ValueError):
    """The Dockerfile uses a form these tests cannot follow faithfully."""


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case, e.g. "ENV"
    args: str  # the rest of the logical line, continuation lines joined
    line: int  # 1-based line where the instruction starts


@dataclass
class Stage:
    """One build stage: the instructions after a FROM up to the next FROM."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """Every ENV of this stage, later ones overriding earlier ones."""
        values: dict[str, str] = {}
        for inst in self.all("ENV"):
            values.update(parse_env(inst))
        return values

    def cmd(self) -> list[str]:
        inst = self.last("CMD")
        if inst is None:
            raise DockerfileError("the final stage has no CMD")
        return exec_form(inst, inst.args)

    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        """(options such as {"interval": "30s"}, the exec-form command)."""
        inst = self.last("HEALTHCHECK")
        if inst is None:
            raise DockerfileError("the final stage has no HEALTHCHECK")
        match = re.fullmatch(r"((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)", inst.args, flags=re.DOTALL)
        if not match:
            raise DockerfileError(f"line {inst.line}: HEALTHCHECK must be '[--option=value ...] CMD [...]'")
        options = dict(opt[2:].split("=", 1) for opt in match.group(1).split())
        return options, exec_form(inst, match.group(2))

    def user(self) -> tuple[int, int | None]:
        """(uid, gid or None) of the last USER; names are refused: only numbers say which uid runs."""
        inst = self.last("USER")
        if inst is None:
            raise DockerfileError("the final stage has no USER: the container would run as root")
        uid, _, gid = inst.args.strip().partition(":")
        if not uid.isdigit() or (gid and not gid.isdigit()):
            raise DockerfileError(f"line {inst.line}: USER {inst.args!r} is not numeric uid[:gid]")
        return int(uid), int(gid) if gid else None

    def exposed_ports(self) -> list[int]:
        ports = []
        for inst in self.all("EXPOSE"):
            for item in inst.args.split():
                number, _, proto = item.partition("/")
                if not number.isdigit() or proto not in ("", "tcp"):
                    raise DockerfileError(f"line {inst.line}: EXPOSE {item!r} is not a TCP port number")
                ports.append(int(number))
        return ports


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(start line, text) of every instruction: comments and blank lines dropped, ``\\`` continuations joined
    (Docker drops comment lines inside a continuation too)."""
    result: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not current:
            start = number
        if raw.rstrip().endswith("\\"):
            current.append(raw.rstrip()[:-1])
            continue
        current.append(raw)
        result.append((start, "".join(current).strip()))
        current = []
    if current:
        raise DockerfileError(f"line {start}: the file ends inside a continuation")
    return result


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for line, text in logical_lines(path.read_text()):
        keyword, _, args = text.partition(" ")
        inst = Instruction(keyword.upper(), args.strip(), line)
        if inst.keyword == "FROM":
            words = [w for w in inst.args.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            if inst.keyword != "ARG":
                raise DockerfileError(f"line {line}: {inst.keyword} before the first FROM")
        else:
            stages[-1].instructions.append(inst)
    if not stages:
        raise DockerfileError(f"{path} has no FROM")
    return stages


def final_stage(path: Path) -> Stage:
    return parse_dockerfile(path)[-1]


def exec_form(inst: Instruction, text: str) -> list[str]:
    """The JSON-array form; the shell form would run under /bin/sh, which the tests do not imitate."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise DockerfileError(f"line {inst.line}: {inst.keyword} must use the exec form "
                              f'["prog", "arg", ...], got {text!r}')
    return value


def parse_env(inst: Instruction) -> dict[str, str]:
    """``ENV K=V K2="v 2"`` or the legacy ``ENV K value with spaces``."""
    if "$" in inst.args:
        raise DockerfileError(f"line {inst.line}: ENV with $-expansion is not supported by these tests")
    first = inst.args.split(None, 1)
    if not first:
        raise DockerfileError(f"line {inst.line}: empty ENV")
    if "=" not in first[0]:
        if len(first) != 2:
            raise DockerfileError(f"line {inst.line}: ENV {first[0]} has no value")
        return {first[0]: first[1].strip()}
    values = {}
    for token in shlex.split(inst.args):
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise DockerfileError(f"line {inst.line}: ENV item {token!r} is not KEY=VALUE")
        values[key] = value
    return values


def _translate(pattern: str) -> str:
    """A .dockerignore pattern as a regular expression over '/'-separated relative paths (Go's
    filepath.Match plus ``**`` for any number of directories, including none)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out.append("(?:.*/)?")
                i += 1
            else:
                out.append(".*")
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise DockerfileError(f".dockerignore pattern {pattern!r} has an unclosed '['")
            body = pattern[i + 1:end]
            if body.startswith(("!", "^")):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


class DockerIgnore:
    """The rules of one .dockerignore file."""

    def __init__(self, text: str):
        self.rules: list[tuple[bool, re.Pattern[str]]] = []  # (is an exception "!", compiled pattern)
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:].strip() if negate else line
            # Docker cleans each pattern like a path: no leading "/" or "./", no trailing "/"
            pattern = re.sub(r"^(\./|/)+", "", pattern).rstrip("/")
            if pattern:
                self.rules.append((negate, re.compile(_translate(pattern))))

    def excluded(self, relpath: str) -> bool:
        """Whether ``relpath`` ('/'-separated, relative to the context) stays out of the build context."""
        parts = relpath.strip("/").split("/")
        candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]  # the path and its parents
        excluded = False
        for negate, regex in self.rules:
            if any(regex.fullmatch(c) for c in candidates):
                excluded = not negate
        return excluded

    def context_files(self, root: Path) -> list[str]:
        """Every file under ``root`` that reaches the build context, as sorted relative paths."""
        kept = []
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                rel = path.relative_to(root).as_posix()
                if not self.excluded(rel):
                    kept.append(rel)
        return sorted(kept)
