"""How the bench lays out a configuration's runs (bench/schedule.py): which scenarios run as a
pair, in which order and in how many slices, with how many connections and for how long."""

from __future__ import annotations

import pytest

from bench.scenarios import Scenario
from bench.schedule import abba, block_order, blocks, choose_connections, slicing, stretched


def scenario(name: str, kind: str = "core", connections: int | None = None) -> Scenario:
    return Scenario(name, "gateway", "GET", "/", {}, kind=kind, connections=connections)


REST = scenario("GET /api/v1/mcp-connections [bearer]", "legacy")
OTHER_REST = scenario("GET /api/v1/native-tools [bearer]", "legacy")
TWIN = scenario("graphql LegacyV1Integrations [bearer]", "twin")
CORE = scenario("graphql: integrations 200 × 10 fields")
PAIRS = [(REST.name, TWIN.name), (OTHER_REST.name, TWIN.name)]


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


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, 16),  # not timed (preflight failed): the maximum
        (0.001, 16),  # fast: the maximum
        (0.1, 13),  # 4 s ÷ (3 × 0.1 s)
        (1.0, 2),  # slow: the floor
    ],
)
def test_connections_let_each_complete_several_requests(seconds: float | None, expected: int):
    assert choose_connections(CORE, seconds, duration=4.0, maximum=16, floor=2) == expected


def test_a_scenario_with_fixed_connections_keeps_them():
    fixed = scenario("usage trend REST, 1 connection", connections=1)
    assert choose_connections(fixed, 0.001, duration=4.0, maximum=16, floor=2) == 1


def test_a_slow_scenario_runs_longer_up_to_a_minute():
    assert stretched(4.0, 2, 1.5, stretch=True) == 7.5  # 2.5 requests per connection
    assert stretched(4.0, 16, 0.01, stretch=True) == 4.0
    assert stretched(4.0, 16, 5.0, stretch=True) == 60.0
    assert stretched(4.0, 2, 1.5, stretch=False) == 4.0  # --quick
