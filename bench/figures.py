"""From wrk runs to a scenario's figures: one round of a sliced scenario from its slices, the
medians (over the rounds; over all the slices of a sliced scenario) and the totals."""

from __future__ import annotations

import statistics
from typing import Any

MEDIAN_KEYS = ("rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu_ms", "db_cpu_ms", "other_cores")


def merge_slices(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """One round of one side of a pair, from its slices: counts and seconds added, req/s and CPU
    per request over the whole, latency percentiles the request-weighted mean of the slices'
    (wrk reports percentiles, not the distribution), max the largest."""
    failed = [s for s in slices if "error" in s]
    if failed:
        return failed[0]
    requests = sum(s["requests"] for s in slices)
    seconds = sum(s["seconds"] for s in slices)
    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        **{key: weighted(slices, key) for key in ("p50_ms", "p90_ms", "p99_ms")},
        "max_ms": max((s["max_ms"] for s in slices if s["max_ms"] is not None), default=None),
        **{key: sum(s[key] for s in slices) for key in ("non_2xx", "socket_errors", "errors")},
        "bytes_per_request": slices[0]["bytes_per_request"],
        "server_cpu_ms": weighted(slices, "server_cpu_ms"),
        "db_cpu_ms": weighted(slices, "db_cpu_ms"),
        "wrk_cores": weighted(slices, "wrk_cores", "seconds", 2),
        "other_cores": weighted(slices, "other_cores", "seconds", 2),
        "waited_for_quiet_s": round(sum(s["waited_for_quiet_s"] for s in slices), 1),
        "waited_for_server_s": round(sum(s["waited_for_server_s"] for s in slices), 2),
        "slices": slices,
    }


def weighted(
    slices: list[dict[str, Any]], key: str, weight: str = "requests", digits: int = 3
) -> float | None:
    """The mean of ``key`` over the slices that have it, weighted by ``weight``."""
    known = [(s[key], s[weight]) for s in slices if s.get(key) is not None and s[weight]]
    total = sum(w for _, w in known)
    return round(sum(v * w for v, w in known) / total, digits) if total else None


def medians(rounds: list[dict[str, Any]]) -> dict[str, float | None]:
    """A scenario's figures: medians over its rounds — over all the slices of a sliced one, so
    that a burst of the host's noise spoils a few slices of either side of a pair, not a whole
    round of one."""
    runs = [run for r in rounds for run in r.get("slices", [r])]
    return {key: median_of(runs, key) for key in MEDIAN_KEYS}


def median_of(rounds: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rounds if r.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


def summarise(entry: dict[str, Any]) -> None:
    """Add a scenario's medians and totals (over the rounds wrk did not fail) to its entry."""
    rounds = [r for r in entry["rounds"] if "error" not in r]
    entry["median"] = medians(rounds)
    entry["requests_total"] = sum(r["requests"] for r in rounds)
    entry["errors_total"] = sum(r["errors"] for r in rounds)
    entry["non_2xx_total"] = sum(r["non_2xx"] for r in rounds)
