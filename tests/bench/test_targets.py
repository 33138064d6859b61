"""The targets (bench/targets.py): each a ratio of two scenarios' medians, with its round-by-round
spread and, for a legacy route and its twin, a mark when they do not do the same work."""

from __future__ import annotations

from bench.targets import compute_ratios
from tests.bench.builders import entry, record, results, wrk_run

REST = "GET /api/tools/catalog [anon]"
TWIN = "graphql LegacyToolsCatalog [anon]"


def pair_ratio(rest_size: int, twin_size: int) -> dict[str, object]:
    scenarios = {
        REST: entry([wrk_run(100, 11.0), wrk_run(100, 22.0)], size=rest_size, kind="legacy"),
        TWIN: entry([wrk_run(100, 10.0), wrk_run(100, 20.0)], size=twin_size, kind="twin"),
    }
    found = compute_ratios(
        results([record("sqlite-1w", scenarios)], pairs={"sqlite": [(REST, TWIN)]})
    )
    return next(r for r in found if r["name"] == f"latency {REST} ÷ its GraphQL twin")


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


def test_missing_scenarios_give_no_value_and_no_verdict():
    found = compute_ratios(results([record("sqlite-1w", {})]))
    assert [(r["name"], r["value"], r["ok"]) for r in found] == [
        ("cached anonymous GET ÷ static bytes", None, None),
        ("GraphQL list 200 ÷ raw SQL", None, None),
        ("tools nested ÷ raw SQL", None, None),
        ("usage trend REST, 1 connection: p99 ms", None, None),
        ("usage trend GraphQL, 1 connection: p99 ms", None, None),
        ("balance REST, 1 connection: p99 ms", None, None),
        ("balance GraphQL, 1 connection: p99 ms", None, None),
        ("deployment connections REST, 1 connection: p99 ms", None, None),
        ("deployment connections GraphQL, 1 connection: p99 ms", None, None),
        ("RSS per worker after the run (MB, max)", 150.5, True),
    ]
