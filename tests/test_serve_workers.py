"""The real thing under two workers: ``vendo-gateway migrate``, ``seed --demo`` and
``serve --workers 2`` as subprocesses, on a fresh SQLite file (or a dedicated PostgreSQL database
and Redis prefix when ``VENDO_TEST_POSTGRES_URL`` / ``VENDO_TEST_REDIS_URL`` are set).

What an operator checks: /healthz and /readyz answer, /metrics on whichever worker answers counts
every request of both workers exactly once, the JSON log has exactly one line per request, and
SIGTERM stops everything cleanly within seconds."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.web.metrics import FLUSH_SECONDS
from tests.conftest import POSTGRES_URL, REDIS_URL

WORKERS = 2
PER_ROUTE = 30  # N = 60 requests: 30 legacy GETs, 30 GraphQL POSTs
LAST = 12  # legacy GETs just before SIGTERM
GRAPHQL = "query ServeCheck { integrations(first: 2) { nodes { provider } } }"
STARTUP_SECONDS = 25.0
STOP_SECONDS = 8.0
POOL_GAUGE = "vendo_db_pool_connections"


# --------------------------------------------------------------------------------------------
# Helpers


def cli(*argv: str) -> list[str]:
    """``vendo-gateway …`` of the interpreter running the tests (the venv's console script)."""
    return [sys.executable, "-m", "app.cli", *argv]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def environ_of(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def samples(body: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(body)
        for s in family.samples
    ]


def total(found: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    return sum(
        value
        for sample, sample_labels, value in found
        if sample == name and all(sample_labels.get(k) == v for k, v in labels.items())
    )


async def _admin(statement: str) -> None:
    import asyncpg

    assert POSTGRES_URL is not None
    connection = await asyncpg.connect(
        POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class Deployment:
    env: dict[str, str]
    cwd: Path


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """The environment an operator exports: a fresh database (SQLite file in the directory, or a
    dedicated PostgreSQL database) and, with Redis, a unique key prefix; JSON logs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VENDO_", "PROMETHEUS_MULTIPROC_DIR", "OTEL_"))
    }
    env |= {"VENDO_LOG_FORMAT": "json", "VENDO_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
    database = None
    if POSTGRES_URL:
        database = f"vendo_serve_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
        env["VENDO_DATABASE_URL"] = POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"
    else:
        env["VENDO_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'vendo.db'}"
    prefix = f"vendo-serve-{uuid.uuid4().hex[:10]}:"
    if REDIS_URL:
        env |= {
            "VENDO_CACHE_URL": REDIS_URL,
            "VENDO_RATE_LIMIT_STORAGE": REDIS_URL,
            "VENDO_REDIS_PREFIX": prefix,
        }
    yield Deployment(env=env, cwd=tmp_path)
    if database is not None:
        asyncio.run(_admin(f'DROP DATABASE "{database}" WITH (FORCE)'))
    if REDIS_URL:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        try:
            stale = list(client.scan_iter(match=f"{prefix}*"))
            if stale:
                client.delete(*stale)
        finally:
            client.close()


def run(deployment: Deployment, *argv: str) -> str:
    result = subprocess.run(
        cli(*argv),
        cwd=deployment.cwd,
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def get(url: str, **kwargs: Any) -> httpx.Response:
    """One request on a fresh connection (so the kernel may hand it to either worker)."""
    with httpx.Client(timeout=10) as http:
        return http.request(kwargs.pop("method", "GET"), url, **kwargs)


# --------------------------------------------------------------------------------------------
# The test


def test_serve_two_workers_metrics_logs_and_clean_stop(deployment: Deployment) -> None:
    run(deployment, "migrate")
    assert "seeded" in run(deployment, "seed", "--demo")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stderr_path = deployment.cwd / "serve.stderr"
    stdout_path = deployment.cwd / "serve.stdout"
    with stderr_path.open("wb") as stderr, stdout_path.open("wb") as stdout:
        server = subprocess.Popen(
            cli("serve", "--port", str(port), "--workers", str(WORKERS)),
            cwd=deployment.cwd,
            env=deployment.env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    metrics_dirs: set[str] = set()
    try:
        # Up: both workers report startup, and /healthz answers.
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, stderr_path.read_text()
            started = stderr_path.read_text().count("Application startup complete")
            try:
                healthy = get(f"{base}/healthz").status_code == 200
            except httpx.TransportError:
                healthy = False
            if healthy and started >= WORKERS:
                break
            assert time.monotonic() < deadline, stderr_path.read_text()
            time.sleep(0.1)
        workers = children(server.pid)
        metrics_dirs = {environ_of(pid).get("PROMETHEUS_MULTIPROC_DIR", "") for pid in workers} - {
            ""
        }

        health = get(f"{base}/healthz")
        assert health.json() == {"status": "ok"}
        ready = get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        expected_checks = {"database": "ok"}
        if REDIS_URL:
            expected_checks |= {"cache": "ok", "rate_limits": "ok"}
        assert ready.json() == {"status": "ready", "checks": expected_checks}

        # N requests, several at a time, each on its own connection.
        def legacy(i: int) -> httpx.Response:
            return get(f"{base}/api/integrations", headers={"X-Request-ID": f"legacy-{i}"})

        def graphql(i: int) -> httpx.Response:
            return get(
                f"{base}/graphql",
                method="POST",
                json={"query": GRAPHQL},
                headers={"X-Request-ID": f"graphql-{i}"},
            )

        with ThreadPoolExecutor(6) as pool:
            sent = [pool.submit(legacy, i) for i in range(PER_ROUTE)]
            sent += [pool.submit(graphql, i) for i in range(PER_ROUTE)]
            responses = [future.result() for future in sent]
        assert [r.status_code for r in responses] == [200] * (2 * PER_ROUTE)
        ids = [r.headers["x-request-id"] for r in responses]
        assert sorted(ids) == sorted(
            [f"legacy-{i}" for i in range(PER_ROUTE)] + [f"graphql-{i}" for i in range(PER_ROUTE)]
        )
        assert all("errors" not in r.json() for r in responses[PER_ROUTE:])

        # /metrics, whichever worker answers, counts every request of both, once: each worker
        # adds its samples to the shared files within FLUSH_SECONDS (docs/decisions/0048).
        time.sleep(FLUSH_SECONDS + 0.5)
        content_types = set()
        for _ in range(6):
            response = get(f"{base}/metrics")
            assert response.status_code == 200
            content_types.add(response.headers["content-type"])
            found = samples(response.text)
            requests = "vendo_http_requests_total"
            assert total(found, requests) == 2 * PER_ROUTE
            legacy_200 = {"route": "GET /api/integrations", "status": "200"}
            assert total(found, requests, **legacy_200, operation="LegacyIntegrationList") == (
                PER_ROUTE
            )
            graphql_200 = {"route": "/graphql", "status": "200"}
            assert total(found, requests, **graphql_200, operation="ServeCheck") == PER_ROUTE
            latency = "vendo_http_request_duration_seconds_count"
            assert total(found, latency) == 2 * PER_ROUTE
            assert total(found, "vendo_http_request_duration_seconds_bucket", le="+Inf") == (
                2 * PER_ROUTE
            )
            pool = {labels["state"] for name, labels, _ in found if name == POOL_GAUGE}
            assert pool >= {"checked_out", "idle"}
            # One catalog lookup per anonymous GET: misses first, then hits.
            cache = {"tag": "integrations-catalog"}
            hits = total(found, "vendo_cache_lookups_total", **cache, result="hit")
            misses = total(found, "vendo_cache_lookups_total", **cache, result="miss")
            assert hits + misses == PER_ROUTE
            assert hits >= 1
            assert misses >= 1

        # serve set the multiprocess directory for its workers, and both of them served.
        assert len(metrics_dirs) == 1, metrics_dirs
        [metrics_dir] = metrics_dirs
        writers = {
            int(name.rsplit("_", 1)[1].removesuffix(".db"))
            for name in os.listdir(metrics_dir)
            if name.startswith("counter_")
        }
        assert len(writers & workers) == WORKERS, (writers, workers)

        # The last requests, just before the stop: their lines are in each worker's last batch
        # of log lines (batched by default, VENDO_LOG_FLUSH_SECONDS).
        with ThreadPoolExecutor(6) as pool:
            last = list(pool.map(legacy, range(PER_ROUTE, PER_ROUTE + LAST)))
        assert [r.status_code for r in last] == [200] * LAST
        ids += [r.headers["x-request-id"] for r in last]

        # Stop: SIGTERM, a clean exit within seconds, no worker left behind.
        server.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        assert server.wait(timeout=STOP_SECONDS) == 0
        assert time.monotonic() - stopping < STOP_SECONDS
        deadline = time.monotonic() + 2
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        for directory in metrics_dirs:
            shutil.rmtree(directory, ignore_errors=True)

    # The log: every line is JSON; exactly one access line per request, with its own id, the
    # last ones included; and each worker's shutdown lines, written after its last request.
    lines = [json.loads(line) for line in stderr_path.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line.get("logger") == "vendo.access"]
    assert len(access) == 2 * PER_ROUTE + LAST  # probes and /metrics log at DEBUG only
    messages = [line["message"] for line in lines]
    assert messages.count("Application shutdown complete.") == WORKERS
    assert sorted(m for m in messages if m.startswith("Finished server process")) == sorted(
        f"Finished server process [{pid}]" for pid in writers & workers
    )
    assert sorted(line["request_id"] for line in access) == sorted(ids)
    for line in access:
        kind = line["request_id"].split("-")[0]
        route, operation = (
            ("GET /api/integrations", "LegacyIntegrationList")
            if kind == "legacy"
            else ("/graphql", "ServeCheck")
        )
        assert (line["route"], line["operation"], line["status"]) == (route, operation, 200)
        assert line["level"] == "info"
        assert isinstance(line["duration_ms"], int | float)
    assert not any(line["level"] in ("error", "critical") for line in lines), lines
    # Prometheus' text format, checked last so that the rest is reported whatever this says.
    assert content_types == {"text/plain; version=0.0.4; charset=utf-8"}
