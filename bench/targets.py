"""The targets, each judged on a ratio of two scenarios' medians (or on one figure): the cached
GET against static bytes, the GraphQL list and tools against raw SQL, each legacy route against
its twin, the usage trend's and the balance's p99 at one connection, RSS per worker, and two
workers against one. Each ratio's detail also gives it round by round, as a noise gauge."""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench.scenarios import (
    ONE_CONNECTION,
    S_ANON_LIST,
    S_CACHED_DETAIL,
    S_GQL_DETAIL,
    S_GQL_LIST,
    S_GQL_TOOLS,
    S_GQL_TYPENAME,
    S_GQL_VIEWER,
    S_RAW_DETAIL,
    S_RAW_LIST,
    S_RAW_TOOLS,
    S_RAW_VIEWER,
    S_STATIC,
    S_STATIC_DETAIL,
    S_STATIC_TYPENAME,
    S_STOCK_DETAIL,
    SCALING,
    spends_ip_limit,
)

Results = dict[str, Any]
Ratio = dict[str, Any]

BASELINE_RATIOS = (
    ("cached anonymous GET ÷ static bytes", S_ANON_LIST, S_STATIC, 0.85),
    ("GraphQL list 200 ÷ raw SQL", S_GQL_LIST, S_RAW_LIST, 0.5),
    ("tools nested ÷ raw SQL", S_GQL_TOOLS, S_RAW_TOOLS, 0.5),
    # Small requests (docs/decisions/0132).
    ("one object by key ÷ raw SQL by key", S_GQL_DETAIL, S_RAW_DETAIL, 0.7),
    ("signed-in viewer ÷ raw session lookup", S_GQL_VIEWER, S_RAW_VIEWER, 0.6),
    ("{ __typename } ÷ static bytes", S_GQL_TYPENAME, S_STATIC_TYPENAME, 0.4),
    ("cached small GET ÷ static bytes, every line logged", S_CACHED_DETAIL, S_STATIC_DETAIL, 0.9),
    ("one object by key ÷ stock Strawberry + SQLModel", S_GQL_DETAIL, S_STOCK_DETAIL, None),
)
# Server CPU per request with two workers ÷ with one (PostgreSQL + Redis): what a 2-core machine
# can show of scaling (wall clock cannot: server, wrk and PostgreSQL share the cores).
CPU_SCALING_CEILING = 1.15


def compute_ratios(results: Results) -> list[Ratio]:
    ratios: list[Ratio] = []
    for config in ("sqlite-1w", "postgres-1w"):
        if not any(r["key"] == config for r in results["configs"]):
            continue
        ratios += baseline_ratios(results, config)
        ratios += pair_ratios(results, config)
        ratios += one_connection_p99(results, config)
    ratios += rss_per_worker(results)
    ratios += scaling(results)
    ratios += cpu_scaling(results)
    return ratios


def ratio(
    name: str, config: str, value: float | None, target: str, ok: bool | None, detail: str = ""
) -> Ratio:
    return {
        "name": name,
        "config": config,
        "value": value,
        "target": target,
        "ok": ok,
        "detail": detail,
    }


def _entry(results: Results, config: str, scenario: str) -> dict[str, Any] | None:
    for record in results["configs"]:
        if record["key"] == config:
            return record["scenarios"].get(scenario)  # type: ignore[no-any-return]
    return None


def _median(results: Results, config: str, scenario: str, key: str) -> float | None:
    entry = _entry(results, config, scenario)
    return entry["median"].get(key) if entry and entry.get("median") else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _paired(results: Results, config: str, a: str, b: str, key: str) -> str:
    """The ratio round by round (both scenarios of a round ran minutes apart at most, so a host
    that changes speed between rounds moves both): its median and range, as a noise gauge
    beside the ratio of the medians, which is the value judged."""
    rounds_a = (_entry(results, config, a) or {}).get("rounds") or []
    rounds_b = (_entry(results, config, b) or {}).get("rounds") or []
    pairs = [
        x[key] / y[key]
        for x, y in zip(rounds_a, rounds_b, strict=False)
        if x.get(key) is not None and y.get(key)
    ]
    if len(pairs) < 2:
        return ""
    return (
        f"; round by round: median {statistics.median(pairs):.3f}"
        f" ({min(pairs):.3f}–{max(pairs):.3f})"
    )


def baseline_ratios(results: Results, config: str) -> list[Ratio]:
    """Req/s of the cached GET, the GraphQL list and the tools against their baselines."""
    found = []
    for name, a, b, floor in BASELINE_RATIOS:
        rps_a = _median(results, config, a, "rps")
        rps_b = _median(results, config, b, "rps")
        value = _ratio(rps_a, rps_b)
        cpu = _ratio(
            _median(results, config, b, "server_cpu_ms"),
            _median(results, config, a, "server_cpu_ms"),
        )
        found.append(
            ratio(
                name,
                config,
                value,
                f"≥ {floor}" if floor is not None else "— (the peer)",
                None if value is None or floor is None else value >= floor,
                f"{rps_a} / {rps_b} req/s; by server CPU per request: {cpu}"
                + _paired(results, config, a, b, "rps"),
            )
        )
    return found


def pair_ratios(results: Results, config: str) -> list[Ratio]:
    """p50 of each legacy route against its twin's."""
    found = []
    for rest, twin in results["pairs"].get(config.split("-")[0], []):
        a = _median(results, config, rest, "p50_ms")
        b = _median(results, config, twin, "p50_ms")
        if a is None and b is None:
            continue
        value = _ratio(a, b)
        found.append(
            ratio(
                f"latency {rest} ÷ its GraphQL twin",
                config,
                value,
                "≤ 1.1",
                None if value is None else value <= 1.1,
                _pair_detail(results, config, rest, twin),
            )
        )
    return found


def _pair_detail(results: Results, config: str, rest: str, twin: str) -> str:
    a = _median(results, config, rest, "p50_ms")
    b = _median(results, config, twin, "p50_ms")
    p99 = _ratio(_median(results, config, rest, "p99_ms"), _median(results, config, twin, "p99_ms"))
    detail = f"p50 {a} / {b} ms; p99 ratio {p99}" + _paired(results, config, rest, twin, "p50_ms")
    sizes = [
        (_entry(results, config, s) or {}).get("preflight", {}).get("bytes") for s in (rest, twin)
    ]
    if all(sizes) and abs(sizes[0] - sizes[1]) > 0.1 * max(sizes):
        detail += f"; NOT the same work: {sizes[0]:,} vs {sizes[1]:,} bytes"
    if spends_ip_limit(rest):
        detail += (
            "; NOT the same work: the route also spends its per-IP limit (with Redis, a round trip)"
        )
    return detail


def one_connection_p99(results: Results, config: str) -> list[Ratio]:
    """The p99 at one connection, REST and GraphQL, of the usage trend, the balance and a
    deployment's connections."""
    found = []
    for _, scenario in ONE_CONNECTION:
        p99 = _median(results, config, scenario, "p99_ms")
        found.append(
            ratio(
                f"{scenario}: p99 ms",
                config,
                p99,
                "≤ 10",
                None if p99 is None else p99 <= 10,
                f"p50 {_median(results, config, scenario, 'p50_ms')} ms",
            )
        )
    return found


def rss_per_worker(results: Results) -> list[Ratio]:
    found = []
    for record in results["configs"]:
        rss = [v for k, v in record.get("rss_mb", {}).items() if k.startswith("worker")]
        if rss:
            found.append(
                ratio(
                    "RSS per worker after the run (MB, max)",
                    record["key"],
                    max(rss),
                    "≤ 200",
                    max(rss) <= 200,
                    ", ".join(f"{v:g}" for v in rss),
                )
            )
    return found


def scaling(results: Results) -> list[Ratio]:
    """Req/s of two workers against one on PostgreSQL + Redis, per scenario and their geometric
    mean (with the pinning note: only a measure when server and wrk were apart)."""
    if not any(r["key"] == "postgres-2w" for r in results["configs"]):
        return []
    found = []
    values = []
    for scenario in SCALING:
        value = _ratio(
            _median(results, "postgres-2w", scenario, "rps"),
            _median(results, "postgres-1w", scenario, "rps"),
        )
        if value is not None:
            values.append(value)
        found.append(
            ratio(
                f"2 workers ÷ 1 worker: {scenario}",
                "postgres",
                value,
                "≥ 1.7",
                None if value is None else value >= 1.7,
            )
        )
    if values:
        mean = round(math.exp(sum(math.log(v) for v in values) / len(values)), 3)
        pinning = next(
            r["pinning"]["note"] for r in results["configs"] if r["key"] == "postgres-2w"
        )
        found.append(
            ratio(
                "2 workers ÷ 1 worker: geometric mean",
                "postgres",
                mean,
                "≥ 1.7",
                mean >= 1.7,
                pinning,
            )
        )
    return found


def cpu_scaling(results: Results) -> list[Ratio]:
    """Server CPU per request of two workers against one on PostgreSQL + Redis, per scenario of
    the scaling subset (≤ 1.15: a second worker adds no work per request)."""
    if not any(r["key"] == "postgres-2w" for r in results["configs"]):
        return []
    found = []
    for scenario in SCALING:
        two = _median(results, "postgres-2w", scenario, "server_cpu_ms")
        one = _median(results, "postgres-1w", scenario, "server_cpu_ms")
        value = _ratio(two, one)
        if value is None:
            continue
        found.append(
            ratio(
                f"CPU per request, 2 workers ÷ 1: {scenario}",
                "postgres",
                value,
                f"≤ {CPU_SCALING_CEILING}",
                value <= CPU_SCALING_CEILING,
                f"{two} / {one} ms",
            )
        )
    return found
