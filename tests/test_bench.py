"""The bench's interleaving of a legacy route and its GraphQL twin (bench/run.py): which scenarios
run as a pair, in which order, how a round's slices merge, and what the medians are taken over."""

from __future__ import annotations

from typing import Any

import pytest

from bench.run import Scenario, abba, block_order, blocks, medians, merge_slices, slicing


def scenario(name: str, kind: str = "core") -> Scenario:
    return Scenario(name, "gateway", "GET", "/", {}, kind=kind)


REST = scenario("GET /api/v1/mcp-connections [bearer]", "legacy")
OTHER_REST = scenario("GET /api/v1/native-tools [bearer]", "legacy")
TWIN = scenario("graphql LegacyV1Integrations [bearer]", "twin")
CORE = scenario("graphql: integrations 200 × 10 fields")
PAIRS = [(REST.name, TWIN.name), (OTHER_REST.name, TWIN.name)]


def run(requests: int, p50: float, *, cpu: float = 2.0, seconds: float = 1.0) -> dict[str, Any]:
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
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


def test_a_route_followed_by_its_twin_is_one_block_and_a_twin_already_run_is_not_repeated():
    # The twin is shared: the second route's twin already ran, so that route runs alone.
    order = [CORE, REST, TWIN, OTHER_REST, CORE]
    assert blocks(order, PAIRS) == [(CORE,), (REST, TWIN), (OTHER_REST,), (CORE,)]


def test_a_pair_runs_a_b_b_a_so_a_drift_weighs_on_both_sides_alike():
    assert [s.name for s in abba(REST, TWIN, 4)] == [
        REST.name,
        TWIN.name,
        TWIN.name,
        REST.name,
        REST.name,
        TWIN.name,
        TWIN.name,
        REST.name,
    ]
    assert abba(REST, TWIN, 1) == [REST, TWIN]


def test_each_side_of_a_pair_goes_first_in_every_other_round():
    assert block_order((REST, TWIN), 1, 0) == [REST, TWIN]
    assert block_order((REST, TWIN), 1, 1) == [TWIN, REST]
    assert block_order((REST, TWIN), 2, 1) == [TWIN, REST, REST, TWIN]
    assert block_order((CORE,), 1, 1) == [CORE]
    assert block_order((OTHER_REST,), 3, 0) == [OTHER_REST] * 3


@pytest.mark.parametrize(
    ("block", "duration", "expected"),
    [
        ((CORE,), 4.0, (1, 4)),  # not a legacy route: one run, as long as asked
        ((REST, TWIN), 4.0, (4, 1)),
        ((OTHER_REST,), 4.0, (4, 1)),  # alone (the two-worker configuration): sliced the same
        ((REST, TWIN), 1.0, (1, 1)),  # --quick: 1 s, no room for slices
        ((REST, TWIN), 10.3, (4, 3)),  # stretched: whole seconds, as wrk takes them
        ((CORE,), 2.6, (1, 3)),
    ],
)
def test_slicing(block: tuple[Scenario, ...], duration: float, expected: tuple[int, int]):
    assert slicing(block, duration) == expected


def test_merged_slices_add_counts_and_weigh_latency_by_requests():
    merged = merge_slices([run(100, 10.0, cpu=2.0), run(300, 30.0, cpu=4.0, seconds=3.0)])
    assert merged["requests"] == 400
    assert merged["seconds"] == 4.0
    assert merged["rps"] == 100.0
    assert merged["p50_ms"] == 25.0  # (100 × 10 + 300 × 30) / 400
    assert merged["p99_ms"] == 75.0
    assert merged["max_ms"] == 120.0
    assert merged["server_cpu_ms"] == 3.5
    assert merged["db_cpu_ms"] is None
    assert merged["errors"] == merged["non_2xx"] == 2
    assert merged["waited_for_server_s"] == 0.5
    assert len(merged["slices"]) == 2


def test_a_failed_slice_fails_the_round():
    failed = {"error": "wrk rc 1"}
    assert merge_slices([run(100, 10.0), failed]) == failed


def test_medians_of_a_sliced_scenario_are_over_its_slices():
    # Two rounds; one slow burst spoils one slice of the first and one of the second. Medians
    # over rounds would be the merged rounds' (15.5 and 17.75 → 16.6); over slices, 10.
    rounds = [
        merge_slices([run(100, 10.0), run(100, 10.0), run(100, 10.0), run(100, 32.0)]),
        merge_slices([run(100, 10.0), run(100, 41.0), run(100, 10.0), run(100, 10.0)]),
    ]
    assert medians(rounds)["p50_ms"] == 10.0
    unsliced = [run(100, 12.0), run(100, 20.0), run(100, 14.0)]
    assert medians(unsliced)["p50_ms"] == 14.0
