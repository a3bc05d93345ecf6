"""The Dockerfile's rules, read from the file (no container engine is needed): two stages from one pinned slim
base, the project alone installed with pinned dependencies, a final stage with the venv and nothing to build
with, a numeric non-root user, a read-only-root-friendly environment, the processes' ports, an exec-form CMD.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from api.settings import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"

BUILD_TOOLS = frozenset(
    {"gcc", "g++", "cc", "clang", "make", "build-essential", "cmake", "python3-dev", "libc6-dev", "libffi-dev",
     "libssl-dev", "rustc", "cargo", "git"}
)  # fmt: skip
VENV = "/opt/venv"


# --- a small Dockerfile reader -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    """Upper case: FROM, RUN, COPY, ..."""
    value: str
    """Everything after the keyword, continuation lines joined with a space."""
    line: int

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON array of RUN/CMD/ENTRYPOINT exec form, or None for shell form."""
        if not self.value.startswith("["):
            return None
        parsed = json.loads(self.value)
        assert isinstance(parsed, list), self
        assert all(isinstance(a, str) for a in parsed), self
        return parsed

    def pairs(self) -> dict[str, str]:
        """ENV/LABEL/ARG as name -> value (`K=V K2="v 2"`, or the legacy `ENV K value`)."""
        words = shlex.split(self.value)
        if self.keyword in ("ENV", "LABEL") and words and "=" not in words[0]:
            return {words[0]: " ".join(words[1:])}
        return dict(w.partition("=")[::2] for w in words)


@dataclass
class Stage:
    base: str
    """The FROM image with the ARGs declared before the first FROM substituted."""
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in self.all("ENV"):
            found.update(i.pairs())
        return found


@dataclass
class Dockerfile:
    args: dict[str, str]
    """ARGs before the first FROM, with their defaults."""
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each instruction: comments and blank lines dropped, `\\` continuations
    joined (a comment line inside a continuation is dropped, as Docker does)."""
    out: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not parts):
            continue
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        out.append((start, " ".join(p for p in parts if p)))
        parts = []
    if parts:
        out.append((start, " ".join(p for p in parts if p)))
    return out


def substitute(value: str, args: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced by the ARG defaults."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)), value)


def parse(text: str) -> Dockerfile:
    """The instructions of a Dockerfile, by stage."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for number, line in logical_lines(text):
        keyword, _, value = line.partition(" ")
        instruction = Instruction(keyword.upper(), value.strip(), number)
        if instruction.keyword == "FROM":
            words = [w for w in instruction.value.split() if not w.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(substitute(words[0], args), name))
        elif not stages:
            assert instruction.keyword == "ARG", f"line {number}: only ARG may come before the first FROM"
            args.update(instruction.pairs())
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(args, stages)


@cache
def dockerfile() -> Dockerfile:
    return parse(DOCKERFILE.read_text())


@cache
def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text())


def commands(run: Instruction) -> list[list[str]]:
    """The simple commands of a shell-form RUN (split at &&, ||, ;), as words."""
    form = run.exec_form
    if form is not None:
        return [form]
    return [shlex.split(part) for part in re.split(r"&&|\|\||;", run.value) if part.strip()]


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


# --- the reader itself ---------------------------------------------------------------------------------


def test_the_reader_joins_continuations_substitutes_args_and_splits_stages() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE=python:3.11.9-slim\n\n"
        "FROM ${BASE} AS build\n"
        "RUN a \\\n"
        "    # dropped\n"
        "    && b\n"
        "FROM $BASE\n"
        'ENV A=1 B="two words"\n'
        "ENV LEGACY value with spaces\n"
        'CMD ["python", "-m", "api"]\n'
    )
    parsed = parse(text)
    assert parsed.args == {"BASE": "python:3.11.9-slim"}
    assert [(s.base, s.name) for s in parsed.stages] == [("python:3.11.9-slim", "build"), ("python:3.11.9-slim", None)]
    run = parsed.stages[0].instructions[0]
    assert (run.keyword, run.value, run.line) == ("RUN", "a && b", 5)
    assert commands(run) == [["a"], ["b"]]
    assert parsed.final.env() == {"A": "1", "B": "two words", "LEGACY": "value with spaces"}
    assert parsed.final.all("CMD")[0].exec_form == ["python", "-m", "api"]
    assert image_reference("reg:5000/a/b:1.2@sha256:x") == ("reg:5000/a/b", "1.2", "sha256:x")
    assert image_reference("reg:5000/a/b") == ("reg:5000/a/b", None, None)


# --- the rules -----------------------------------------------------------------------------------------


def test_two_stages_from_one_slim_base_pinned_by_version() -> None:
    df = dockerfile()
    assert len(df.stages) >= 2, "multi-stage: a builder stage and a final stage"
    assert all(s.base == df.final.base for s in df.stages), "the venv's python is the base's: one base for all"
    repository, tag, digest = image_reference(df.final.base)
    assert repository in ("python", "docker.io/library/python"), df.final.base
    assert tag is not None or digest is not None, f"{df.final.base}: pin the base by tag (and digest)"
    assert tag != "latest"
    assert tag is not None
    assert "slim" in tag, "the slim variant: no compilers in the final image"
    match = re.match(r"(\d+)\.(\d+)\.(\d+)-", tag)
    assert match, f"{tag}: pin the patch version"
    wanted = re.match(r">=\s*(\d+)\.(\d+)", pyproject()["project"]["requires-python"])
    assert wanted is not None
    assert (int(match[1]), int(match[2])) >= (int(wanted[1]), int(wanted[2]))
    assert df.stages[0].name is not None, "the builder stage is named, and the final stage copies from it"


def test_final_stage_runs_as_a_numeric_non_root_user_set_before_cmd() -> None:
    final = dockerfile().final
    users = final.all("USER")
    assert users, "the final stage sets USER"
    user, _, group = users[-1].value.partition(":")
    assert user.isdigit(), "numeric: runAsNonRoot can verify it"
    assert int(user) != 0, "not root"
    assert not group or (group.isdigit() and int(group) != 0)
    cmd = final.all("CMD")[-1]
    assert users[-1].line < cmd.line
    after = [i for i in final.instructions if i.line > users[-1].line]
    assert not [i for i in after if i.keyword == "RUN"], "nothing runs as root after USER, nothing as the user"


def test_the_final_stage_gets_the_venv_and_no_build_tools() -> None:
    df = dockerfile()
    final = df.final
    for run in final.all("RUN"):
        for words in commands(run):
            assert not BUILD_TOOLS & set(words), f"line {run.line}: build tools in the final stage: {words}"
            assert "pip" not in words[:3], f"line {run.line}: the final stage installs nothing with pip"
    copies = final.all("COPY") + final.all("ADD")
    assert copies, "the final stage copies the venv"
    for copy in copies:
        words = copy.value.split()
        assert copy.keyword == "COPY", f"line {copy.line}: ADD fetches and unpacks; the final stage only copies"
        assert words[0] == f"--from={df.stages[0].name}", f"line {copy.line}: only from the builder"
        assert words[1:] == [VENV, VENV], f"line {copy.line}: only the venv (the app is installed in it)"
    assert final.env().get("PATH", "").startswith(f"{VENV}/bin:")


def test_pip_installs_only_the_project_without_cache_or_extras() -> None:
    installs = [
        (run, words)
        for stage in dockerfile().stages
        for run in stage.all("RUN")
        for words in commands(run)
        if "install" in words and any(w == "pip" or w.endswith("/pip") for w in words[: words.index("install")])
    ]
    assert installs, "the builder installs the project with pip"
    for run, words in installs:
        options = words[words.index("install") + 1 :]
        assert "--no-cache-dir" in options, f"line {run.line}: pip install --no-cache-dir"
        targets = [w for w in options if not w.startswith("-")]
        assert targets == ["."], f"line {run.line}: only the project (its pinned dependencies), not {targets}"
        assert not {"-e", "--editable", "-r", "--requirement", "-U", "--upgrade"} & set(options), run.value
    for dependency in pyproject()["project"]["dependencies"]:
        assert re.fullmatch(r"[A-Za-z0-9._-]+(\[[\w,]+\])?==[\w.]+", dependency), f"not pinned exactly: {dependency}"


def test_the_builder_copies_every_installed_package() -> None:
    builder = dockerfile().stages[0]
    copied: set[str] = set()
    for copy in builder.all("COPY"):
        sources = [w for w in copy.value.split() if not w.startswith("--")][:-1]
        copied |= {s.rstrip("/") for s in sources}
    setuptools = pyproject()["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in setuptools["packages"]["find"]["include"]}
    modules = {f"{m}.py" for m in setuptools["py-modules"]}
    missing = (packages | modules | {"pyproject.toml", pyproject()["project"]["readme"]}) - copied
    assert not missing, f"pip install . would build without: {sorted(missing)}"
    assert "." not in copied, "named paths only: the context may hold kubeconfigs and tokens"


def test_exposed_ports_are_the_processes_defaults() -> None:
    from worker import WorkerSettings  # imported here: the worker module pulls in the Temporal worker

    exposed = {int(p.split("/")[0]) for i in dockerfile().final.all("EXPOSE") for p in i.value.split()}
    api_port = ApiSettings.model_fields["port"].default
    metrics_port = WorkerSettings.model_fields["metrics_port"].default
    assert exposed == {api_port, metrics_port} == {8080, 9464}


def test_the_default_command_is_the_api_in_exec_form_and_the_worker_module_is_installed() -> None:
    final = dockerfile().final
    cmd = final.all("CMD")
    assert len(cmd) == 1
    assert cmd[0].exec_form == ["python", "-m", "api"], "exec form: python is PID 1 and gets the stop signal"
    for entrypoint in final.all("ENTRYPOINT"):
        assert entrypoint.exec_form is not None
    assert (ROOT / "api" / "__main__.py").is_file()
    # The documented override, `python -m worker`, runs the installed module (no source tree in the image).
    assert "worker" in pyproject()["tool"]["setuptools"]["py-modules"]
    assert 'if __name__ == "__main__":' in (ROOT / "worker.py").read_text()


def test_the_environment_suits_a_read_only_root_filesystem() -> None:
    final = dockerfile().final
    env = final.env()
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert env.get("HOME", "").startswith("/tmp"), "HOME on the writable emptyDir"
    assert final.all("WORKDIR"), "a WORKDIR, not /"
    # Python as PID 1 ignores SIGTERM (no handler); SIGINT has one in uvicorn and in asyncio.run.
    assert [i.value for i in final.all("STOPSIGNAL")] == ["SIGINT"]


def test_the_image_is_labelled() -> None:
    labels: dict[str, str] = {}
    for label in dockerfile().final.all("LABEL"):
        labels.update(label.pairs())
    for key in ("title", "description", "version", "revision"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"LABEL org.opencontainers.image.{key}"
    args = {k for i in dockerfile().final.all("ARG") for k in i.pairs()}
    assert {"VERSION", "REVISION"} <= args, "version and revision come from the build (--build-arg)"


@pytest.mark.parametrize("entry", [".git", ".venv", ".run", "**/__pycache__", ".mypy_cache", ".pytest_cache", "tests"])
def test_dockerignore_keeps_local_state_out_of_the_context(entry: str) -> None:
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    assert entry in lines, f".dockerignore: {entry}"
