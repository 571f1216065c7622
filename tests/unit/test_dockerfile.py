"""The image's recipe keeps its promises without a Docker engine to build it here: two stages, a base
pinned to one release, a non-root user, `citygate` as the entry point, a health check on /health, and
every dependency of pyproject.toml installed from the hashed lock (and only what .dockerignore lets in)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
LOCK = (ROOT / "deploy" / "docker" / "requirements.lock").read_text(encoding="utf-8")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_two_stages_on_a_pinned_base() -> None:
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-\w+$", DOCKERFILE, re.M)
    assert len(re.findall(r"^FROM \$\{PYTHON_IMAGE\}", DOCKERFILE, re.M)) == 2


def test_it_runs_citygate_as_a_non_root_user_with_a_health_check() -> None:
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, re.M)
    assert 'ENTRYPOINT ["citygate"]' in DOCKERFILE and 'CMD ["worker"]' in DOCKERFILE
    health = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK") :]
    assert "/health" in health.split("ENTRYPOINT")[0]


def test_every_dependency_is_locked_with_a_hash() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}$", LOCK, re.M))
    locked = {_name(name) for name in pins}
    assert {_name(requirement) for requirement in project["dependencies"]} <= locked
    assert "--require-hashes" in DOCKERFILE


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}  # fmt: skip
    copied = {
        source.rstrip("/").removeprefix("./")
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    }
    assert copied <= allowed
