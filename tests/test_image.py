"""The container image: a small build context (.dockerignore), the dependencies in a layer of
their own, and — where a Docker daemon answers — ``docker build`` and the image's CLI for real.
(On a machine with the docker client but no daemon, that test is skipped with the reason.)"""

from __future__ import annotations

import fnmatch
import functools
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_CONTEXT_BYTES = 15 * 1024 * 1024  # the sources and the vendored browser assets (~7 MB)


def ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule, near enough: a pattern matches the path or one of its parent folders;
    ``**/`` matches any depth."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(
                prefix.rsplit("/", 1)[-1], pattern[3:]
            ):
                return True
    return False


def test_dockerignore_leaves_out_the_venv_git_databases_and_caches() -> None:
    patterns = ignore_patterns()
    for path in (
        ".venv/lib/python3.11/site-packages/x.py",
        ".git/objects/ab/cdef",
        "vendo.db",
        "vendo.db-wal",
        "vendo.db-secret-keys",
        "bench/.data/run.db",
        "app/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v/cache",
        ".ruff_cache/x",
        ".mypy_cache/x",
    ):
        assert ignored(path, patterns), path
    for path in ("pyproject.toml", "README.md", "app/cli.py", "app/static/graphiql/index.html"):
        assert not ignored(path, patterns), path


def test_build_context_is_small() -> None:
    """What `docker build .` would send from this working tree (its venv and database too)."""
    patterns = ignore_patterns()
    total = 0
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and not ignored(relative, patterns):
            total += path.stat().st_size
    assert total < MAX_CONTEXT_BYTES, f"{total / 1e6:.1f} MB"


def test_dockerfile_installs_dependencies_before_copying_the_code() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    dependencies = next(i for i, line in enumerate(lines) if "-r requirements.txt" in line)
    code = next(i for i, line in enumerate(lines) if line.startswith("COPY app "))
    assert lines.index("COPY pyproject.toml ./") < dependencies < code


@functools.cache
def _daemon() -> str | None:
    """None when a Docker daemon answers, else why not."""
    if shutil.which("docker") is None:
        return "the docker client is not installed"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return "no Docker daemon answers (docker info failed): the image is not built here"
    return None


@pytest.mark.skipif(_daemon() is not None, reason=str(_daemon()))
def test_docker_build_and_the_images_cli() -> None:
    tag = "vendo-gateway:test"
    build = subprocess.run(
        ["docker", "build", "-t", tag, "."], cwd=ROOT, capture_output=True, text=True, timeout=1500
    )
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run(
        ["docker", "run", "--rm", tag, "vendo-gateway", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("vendo-gateway ")
    migrate = subprocess.run(
        ["docker", "run", "--rm", tag, "vendo-gateway", "migrate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert "applied 0001: initial schema" in migrate.stdout
