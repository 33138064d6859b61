"""The targets (bench/targets.py): each a ratio of two scenarios' medians, with its round-by-round
spread and, for a legacy route and its twin, a mark when they do not do the same work."""

from __future__ import annotations

import pytest

from bench.targets import compute_ratios
from tests.bench.builders import entry, record, results, wrk_run

REST = "GET /api/tools/catalog [anon]"
TWIN = "graphql LegacyToolsCatalog [anon]"


def pair_ratio(
    rest_size: int, twin_size: int, rest: str = REST, twin: str = TWIN
) -> dict[str, object]:
    scenarios = {
        rest: entry([wrk_run(100, 11.0), wrk_run(100, 22.0)], size=rest_size, kind="legacy"),
        twin: entry([wrk_run(100, 10.0), wrk_run(100, 20.0)], size=twin_size, kind="twin"),
    }
    found = compute_ratios(
        results([record("sqlite-1w", scenarios)], pairs={"sqlite": [(rest, twin)]})
    )
    return next(r for r in found if r["name"] == f"latency {rest} ÷ its GraphQL twin")


def test_a_route_is_judged_on_its_median_p50_against_its_twins():
    assert pair_ratio(1000, 1050) == {
        "name": f"latency {REST} ÷ its GraphQL twin",
        "config": "sqlite-1w",
        "value": 1.1,
        "target": "≤ 1.1",
        "ok": True,
        "detail": "p50 16.5 / 15.0 ms; p99 ratio 1.1; round by round: median 1.100 (1.100–1.100)",
    }


def test_a_pair_whose_bodies_differ_by_more_than_a_tenth_is_marked():
    assert pair_ratio(1000, 1200)["detail"].endswith(  # type: ignore[union-attr]
        "; NOT the same work: 1,000 vs 1,200 bytes"
    )


@pytest.mark.parametrize(
    "route", ["GET /api/v1/balance [app_key]", "GET /api/cli/balance [app_key]"]
)
def test_a_route_that_spends_a_per_ip_limit_is_marked(route: str) -> None:
    """The balance routes spend their per-IP window (CONTRACT.md §3.8); their twin does not."""
    assert pair_ratio(176, 180, rest=route, twin="graphql LegacyBalance [app_key]")[
        "detail"
    ].endswith(  # type: ignore[union-attr]
        "; NOT the same work: the route also spends its per-IP limit (with Redis, a round trip)"
    )


def test_a_route_without_a_per_ip_limit_is_not_marked() -> None:
    assert "per-IP" not in pair_ratio(1000, 1050)["detail"]  # type: ignore[operator]


def test_missing_scenarios_give_no_value_and_no_verdict():
    found = compute_ratios(results([record("sqlite-1w", {})]))
    assert [(r["name"], r["value"], r["ok"]) for r in found] == [
        ("cached anonymous GET ÷ static bytes", None, None),
        ("GraphQL list 200 ÷ raw SQL", None, None),
        ("tools nested ÷ raw SQL", None, None),
        ("one object by key ÷ raw SQL by key", None, None),
        ("signed-in viewer ÷ raw session lookup", None, None),
        ("{ __typename } ÷ static bytes", None, None),
        ("cached small GET ÷ static bytes, every line logged", None, None),
        ("one object by key ÷ stock Strawberry + SQLModel", None, None),
        ("usage trend REST, 1 connection: p99 ms", None, None),
        ("usage trend GraphQL, 1 connection: p99 ms", None, None),
        ("balance REST, 1 connection: p99 ms", None, None),
        ("balance GraphQL, 1 connection: p99 ms", None, None),
        ("deployment connections REST, 1 connection: p99 ms", None, None),
        ("deployment connections GraphQL, 1 connection: p99 ms", None, None),
        ("RSS per worker after the run (MB, max)", 150.5, True),
    ]


def test_a_small_request_is_judged_against_its_baseline_and_the_peer_has_no_verdict():
    scenarios = {
        "graphql: integration(slug) × 9 fields": entry([wrk_run(700, 1.0), wrk_run(900, 1.0)]),
        "baseline: raw SQL integration by key": entry([wrk_run(1000, 1.0), wrk_run(1000, 1.0)]),
        "baseline: stock Strawberry + SQLModel session, integration(slug)": entry(
            [wrk_run(400, 1.0), wrk_run(400, 1.0)]
        ),
    }
    found = {r["name"]: r for r in compute_ratios(results([record("sqlite-1w", scenarios)]))}
    key = found["one object by key ÷ raw SQL by key"]
    assert (key["value"], key["target"], key["ok"]) == (0.8, "≥ 0.7", True)
    peer = found["one object by key ÷ stock Strawberry + SQLModel"]
    assert (peer["value"], peer["target"], peer["ok"]) == (2.0, "— (the peer)", None)


def test_cpu_per_request_of_two_workers_is_judged_against_one():
    name = "graphql: { __typename }"
    one = record("postgres-1w", {name: entry([wrk_run(100, 1.0, cpu=0.4)] * 2)})
    two = record("postgres-2w", {name: entry([wrk_run(100, 1.0, cpu=0.5)] * 2)})
    found = [r for r in compute_ratios(results([one, two])) if r["name"].startswith("CPU")]
    assert found == [
        {
            "name": f"CPU per request, 2 workers ÷ 1: {name}",
            "config": "postgres",
            "value": 1.25,
            "target": "≤ 1.15",
            "ok": False,
            "detail": "0.5 / 0.4 ms",
        }
    ]
