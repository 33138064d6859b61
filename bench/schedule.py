"""How a configuration's runs are laid out: each scenario's connections and seconds, one round's
blocks (a legacy route with its twin; the usage trends at one connection), a block's slices and
their order — A B B A, each side going first in every other round."""

from __future__ import annotations

from collections.abc import Sequence

from bench.scenarios import Scenario

MIN_CONNECTIONS = 2  # slow scenarios get fewer connections, never fewer than this (quick: 1)
MAX_STRETCH = 60.0  # a slow scenario runs up to this long, to complete a few requests per conn
PAIR_SLICES = 4  # a legacy route and its twin run interleaved, each in this many slices


def choose_connections(
    scenario: Scenario, seconds: float | None, *, duration: float, maximum: int, floor: int
) -> int:
    """Enough connections to load the server, few enough that each completes several requests
    within the run: ``duration / (3 × service time)``, between ``floor`` and ``maximum``."""
    if scenario.connections is not None:
        return scenario.connections
    if not seconds:
        return maximum
    fit = int(duration / (3 * seconds))
    return max(min(floor, maximum), min(maximum, fit))


def stretched(duration: float, connections: int, seconds: float | None, *, stretch: bool) -> float:
    """A scenario slower than ``duration`` allows runs longer: ~2.5 requests per connection."""
    if not stretch or not seconds:
        return duration
    return round(max(duration, min(MAX_STRETCH, 2.5 * connections * seconds)), 1)


def blocks(
    scenarios: Sequence[Scenario], pairs: Sequence[tuple[str, str]]
) -> list[tuple[Scenario, ...]]:
    """One round's runs: each scenario alone, except the first of a pair directly followed by
    its second (a legacy route and its GraphQL twin; ``TAKE_TURNS``), which run together as one
    block (``block_order``; a legacy pair in slices, ``slicing``)."""
    twins = dict(pairs)
    found: list[tuple[Scenario, ...]] = []
    i = 0
    while i < len(scenarios):
        if i + 1 < len(scenarios) and twins.get(scenarios[i].name) == scenarios[i + 1].name:
            found.append((scenarios[i], scenarios[i + 1]))
            i += 2
        else:
            found.append((scenarios[i],))
            i += 1
    return found


def slicing(block: tuple[Scenario, ...], duration: float) -> tuple[int, int]:
    """How a block runs: (slices, whole seconds each; wrk takes whole seconds). Legacy routes
    and their twins run in ``PAIR_SLICES`` slices — alone too (the two-worker configuration has
    no twins), so that a route is measured the same way in every configuration."""
    if not any(s.kind in ("legacy", "twin") for s in block):
        return 1, max(1, round(duration))
    slices = max(1, min(PAIR_SLICES, int(duration)))
    return slices, max(1, round(duration / slices))


def abba(first: Scenario, second: Scenario, slices: int) -> list[Scenario]:
    """The order of a pair's slices: A B B A A B B A …, so that each side's slices sit
    symmetrically in the pair's time and a drift of the host's speed weighs on both alike."""
    order: list[Scenario] = []
    for k in range(slices):
        order += [first, second] if k % 2 == 0 else [second, first]
    return order


def block_order(block: tuple[Scenario, ...], slices: int, round_: int) -> list[Scenario]:
    """The runs of one block in one round: a pair's slices A B B A …, each side going first in
    every other round; a scenario alone, its slices one after another."""
    if len(block) == 2:
        first, second = block if round_ % 2 == 0 else block[::-1]
        return abba(first, second, slices)
    return [*block] * slices
