"""``GET /api/tools/{slug}/usage-framing``: credit presets as days of the tool's usage
(CONTRACT.md §2.4; docs/decisions/0021)."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from app.models import UsageEvent
from app.runtime import Runtime
from tests.legacy_rest.tools_routes.helpers import (
    BAD_SLUGS,
    CALLERS,
    FRAMING_NOT_FOUND,
    UNLISTED,
    add_tool,
    assert_json,
    days_ago,
    framing,
    new_workspace,
    spend,
)
from tests.support.builders import add_rows


async def test_framing_counts_first_and_last_utc_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$4 from 23:59:59 three days ago to 00:00:01 today: 4 UTC days, $1/day."""
    tool_id = await add_tool(runtime, "steady")
    await spend(
        runtime,
        workspace,
        tool_id,
        [(days_ago(3, 23, 59, 59), 2_000_000), (days_ago(0, 0, 0, 1), 2_000_000)],
    )
    assert_json(
        await client.get("/api/tools/steady/usage-framing"), 200, framing((5, 25, 100), cold=False)
    )


async def test_framing_rounds_half_up(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$2/day: 5/2 = 2.5 → 3 and 25/2 = 12.5 → 13 (not banker's 2 and 12)."""
    tool_id = await add_tool(runtime, "halves")
    await spend(
        runtime, workspace, tool_id, [(days_ago(1), 1_500_000), (days_ago(0, 9), 2_500_000)]
    )
    assert_json(
        await client.get("/api/tools/halves/usage-framing"), 200, framing((3, 13, 50), cold=False)
    )


async def test_framing_one_day_is_singular(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    tool_id = await add_tool(runtime, "fiver")
    await spend(
        runtime, workspace, tool_id, [(days_ago(0, 1), 2_000_000), (days_ago(0, 2), 3_000_000)]
    )
    response = await client.get("/api/tools/fiver/usage-framing")
    assert_json(response, 200, framing((1, 5, 20), cold=False))
    assert response.json()["amounts"][0]["label"] == "≈ 1 day of usage"


async def test_framing_half_a_day_rounds_up_to_one_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$10/day: 5/10 = 0.5 → 1 day, 2.5 → 3, 10."""
    tool_id = await add_tool(runtime, "tenner")
    await spend(runtime, workspace, tool_id, [(days_ago(0, 3), 10_000_000)])
    assert_json(
        await client.get("/api/tools/tenner/usage-framing"), 200, framing((1, 3, 10), cold=False)
    )


async def test_framing_under_one_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$12/day: 5/12 = 0.42 → "< 1 day of usage", 25/12 = 2.08 → 2, 100/12 = 8.33 → 8."""
    tool_id = await add_tool(runtime, "hungry")
    await spend(runtime, workspace, tool_id, [(days_ago(0, 4), 12_000_000)])
    response = await client.get("/api/tools/hungry/usage-framing")
    assert_json(response, 200, framing((0, 2, 8), cold=False))
    assert response.json()["amounts"][0]["label"] == "< 1 day of usage"


async def test_framing_sums_every_app_of_the_tool_and_nothing_else(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Two apps (two workspaces) of the tool: $3 + $3 over 3 days = $2/day; another tool's app
    and usage without an app do not count."""
    tool_id = await add_tool(runtime, "shared")
    other_tool = await add_tool(runtime, "other")
    elsewhere = await new_workspace(runtime, "elsewhere@example.com")
    await spend(runtime, workspace, tool_id, [(days_ago(2), 3_000_000)])
    await spend(runtime, elsewhere, tool_id, [(days_ago(0), 3_000_000)])
    await spend(runtime, workspace, other_tool, [(days_ago(9), 90_000_000)])
    await add_rows(
        runtime,
        UsageEvent(
            tenant_id=workspace,
            provider="openrouter",
            app_id=None,
            cost_micros=50_000_000,
            occurred_at=days_ago(20),
        ),
    )
    assert_json(
        await client.get("/api/tools/shared/usage-framing"), 200, framing((3, 13, 50), cold=False)
    )


async def test_framing_average_is_not_rounded_before_dividing(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$1 over 3 days = $0.333…/day: 15, 75, 300 (an average rounded to cents, $0.33, would give
    15, 76, 303)."""
    tool_id = await add_tool(runtime, "thirds")
    await spend(runtime, workspace, tool_id, [(days_ago(2), 1_000_000)])
    assert_json(
        await client.get("/api/tools/thirds/usage-framing"), 200, framing((15, 75, 300), cold=False)
    )


async def test_framing_cold_start_uses_the_category_fallback(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Category "robots" falls back to $2/day: 3, 13, 50, cold."""
    await add_tool(runtime, "new-robot", category="robots")
    assert_json(
        await client.get("/api/tools/new-robot/usage-framing"), 200, framing((3, 13, 50), cold=True)
    )


async def test_framing_cold_start_uses_the_star_row(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """No row for "gizmos": the `*` row, $0.40/day: 12.5 → 13, 62.5 → 63, 250, cold."""
    await add_tool(runtime, "new-gizmo", category="gizmos")
    assert_json(
        await client.get("/api/tools/new-gizmo/usage-framing"),
        200,
        framing((13, 63, 250), cold=True),
    )


async def test_framing_cold_start_without_any_fallback_row_is_one_dollar_a_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime
) -> None:
    await add_tool(runtime, "lonely", category="gizmos")
    assert_json(
        await client.get("/api/tools/lonely/usage-framing"), 200, framing((5, 25, 100), cold=True)
    )


async def test_framing_free_usage_is_a_cold_start(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Usage events that cost nothing are no spend history."""
    tool_id = await add_tool(runtime, "freebie", category="robots")
    await spend(runtime, workspace, tool_id, [(days_ago(5), 0), (days_ago(1), 0)])
    assert_json(
        await client.get("/api/tools/freebie/usage-framing"), 200, framing((3, 13, 50), cold=True)
    )


async def test_framing_demo_cold_starts(client: httpx.AsyncClient, demo: None) -> None:
    """The demo fallbacks: agent $1.50, messaging $0.25, voice $0.80, `*` $1.00 a day."""
    cases = {
        "sketchpad": (3, 17, 67),
        "herald": (20, 100, 400),
        "switchboard": (6, 31, 125),
        "postmaster": (5, 25, 100),
    }
    for slug, days in cases.items():
        response = await client.get(f"/api/tools/{slug}/usage-framing")
        assert_json(response, 200, framing(days, cold=True))


async def test_framing_demo_tool_with_history_is_not_cold(
    client: httpx.AsyncClient, demo: None
) -> None:
    body = (await client.get("/api/tools/hermes/usage-framing")).json()
    assert [amount["usd"] for amount in body["amounts"]] == [5, 25, 100]
    assert [amount["cold_start"] for amount in body["amounts"]] == [False, False, False]
    assert [list(amount) for amount in body["amounts"]] == [["usd", "label", "cold_start"]] * 3


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
@pytest.mark.parametrize("slug", [*UNLISTED, "nope"])
async def test_framing_unlisted_or_unknown_tool_is_not_found(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(f"/api/tools/{slug}/usage-framing", headers=caller_headers)
    assert_json(response, 404, FRAMING_NOT_FOUND)


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_framing_bad_slug_is_not_found(
    client: httpx.AsyncClient, demo: None, slug: str
) -> None:
    assert_json(await client.get(f"/api/tools/{slug}/usage-framing"), 404, FRAMING_NOT_FOUND)


async def test_framing_is_cached_per_slug(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    tool_id = await add_tool(runtime, "cached", category="robots")
    other_id = await add_tool(runtime, "uncached", category="robots")
    cold = framing((3, 13, 50), cold=True)
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, cold)
    await spend(runtime, workspace, tool_id, [(days_ago(0), 10_000_000)])
    await spend(runtime, workspace, other_id, [(days_ago(0), 10_000_000)])
    # Still the cached answer for the first slug; the second was never asked, so it is fresh.
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, cold)
    hot = framing((1, 3, 10), cold=False)
    assert_json(await client.get("/api/tools/uncached/usage-framing"), 200, hot)
    await runtime.cache.invalidate("usage-framing")
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, hot)
