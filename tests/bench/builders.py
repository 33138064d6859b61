"""Builders of the bench's results: one wrk run, one configuration's record, one run's results,
shaped as ``bench.runner`` records them."""

from __future__ import annotations

from typing import Any

from bench.figures import summarise


def wrk_run(
    requests: int, p50: float, *, cpu: float = 2.0, seconds: float = 1.0, rps: float | None = None
) -> dict[str, Any]:
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": rps if rps is not None else requests / seconds,
        "p50_ms": p50,
        "p90_ms": p50 * 2,
        "p99_ms": p50 * 3,
        "max_ms": p50 * 4,
        "non_2xx": 1,
        "socket_errors": 0,
        "errors": 1,
        "bytes_per_request": 987,
        "server_cpu_ms": cpu,
        "db_cpu_ms": None,
        "wrk_cores": 0.5,
        "other_cores": 0.1,
        "waited_for_quiet_s": 0.0,
        "waited_for_server_s": 0.25,
    }


def entry(rounds: list[dict[str, Any]], *, size: int = 1000, kind: str = "core") -> dict[str, Any]:
    found = {
        "server": "gateway",
        "kind": kind,
        "method": "GET",
        "path": "/",
        "note": "",
        "connections": 4,
        "duration": 4.0,
        "preflight": {"status": 200, "bytes": size, "ms": 1.0, "problem": None},
        "rounds": rounds,
    }
    summarise(found)
    return found


def record(key: str, scenarios: dict[str, dict[str, Any]]) -> dict[str, Any]:
    target, workers = key.split("-")
    return {
        "key": key,
        "target": target,
        "workers": int(workers[:-1]),
        "redis": target == "postgres",
        "pinning": {"server": [0], "wrk": [1], "note": "server on core(s) [0], wrk on core 1"},
        "gateway_command": "vendo-gateway serve",
        "scenarios": scenarios,
        "rss_mb": {"worker 100": 150.5},
    }


def results(
    configs: list[dict[str, Any]],
    *,
    started_at: str = "2026-12-04T04:22:43+00:00",
    quick: bool = False,
    pairs: dict[str, list[tuple[str, str]]] | None = None,
    **options: Any,
) -> dict[str, Any]:
    return {
        "started_at": started_at,
        "quick": quick,
        "options": {
            "rounds": 2,
            "duration": 4.0,
            "connections": 16,
            "targets": ["sqlite", "postgres"],
            "quick": quick,
            "events": 1_000_000,
            "rebuild": False,
            "max_age_hours": 24.0,
            "only": [],
            "skip_sql": False,
            "wait_quiet": 0.0,
            **options,
        },
        "machine": {
            "cpus": 2,
            "cpu": "AMD EPYC",
            "memory": "24683664 kB",
            "kernel": "6.18",
            "python": "3.11.7",
            "wrk": "wrk debian/4.1.0-3+b2",
        },
        "bench_settings": {"VENDO_ENV": "production"},
        "datasets": {},
        "configs": configs,
        "sql": {},
        "pairs": pairs or {},
        "warnings": [],
        "seconds": 60.0,
        "ratios": [],
    }
