"""``GET /api/tools/catalog`` for anonymous, signed-in and staff callers: who sees which
tool, exact rows in key order, graceful degrade, caching (CONTRACT.md §2.1;
docs/decisions/0016, 0017, 0018)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from app.models import Session
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.tools_routes.helpers import (
    CALLERS,
    DEPLOYABLE,
    DEPLOYABLE_LISTED,
    EMPTY_INTEGRATIONS,
    EMPTY_TOOLS,
    EVERY_TOOL,
    LISTED,
    LONG,
    TOOL_ROW_KEYS,
    add_tool,
    assert_json,
    corrupt_marketing,
    rename_tool,
    tool_rows,
)
from tests.support.sql import table_gone


async def test_catalog_anonymous_lists_listed_tools_in_slug_order(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog")
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})
    assert "cache-control" not in response.headers


async def test_catalog_signed_in_sees_listed_tools_only(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=demo_headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


async def test_catalog_staff_sees_every_tool(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=staff_headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in EVERY_TOOL]})


async def test_catalog_rows_have_documented_keys_in_order(
    client: httpx.AsyncClient, staff_headers: dict[str, str]
) -> None:
    body = (await client.get("/api/tools/catalog", headers=staff_headers)).json()
    assert list(body) == ["tools"]
    assert [list(row) for row in body["tools"]] == [TOOL_ROW_KEYS] * len(EVERY_TOOL)


async def test_catalog_empty_database_lists_nothing(client: httpx.AsyncClient) -> None:
    assert_json(await client.get("/api/tools/catalog"), 200, EMPTY_TOOLS)


async def test_catalog_listing_rules_are_exact(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    """Only the `vendo-test-` prefix hides a tool, and only `internal: true` does."""
    await add_tool(runtime, "vendo-testing")  # no dash after "test": listed
    await add_tool(runtime, "my-vendo-test-tool")  # not a prefix: listed
    await add_tool(runtime, "vendo-test-")  # the bare prefix: hidden
    await add_tool(runtime, "open-house", marketing={"internal": False, "featured": True})
    await add_tool(runtime, "quiet", marketing={"internal": True})
    await add_tool(runtime, "off", enabled=False, marketing={"internal": False})
    public = (await client.get("/api/tools/catalog")).json()
    assert [row["slug"] for row in public["tools"]] == sorted(
        [*LISTED, "vendo-testing", "my-vendo-test-tool", "open-house"]
    )
    staff = (await client.get("/api/tools/catalog", headers=staff_headers)).json()
    hidden = ["quiet", "off"]
    assert [row["slug"] for row in staff["tools"]] == sorted(
        [*EVERY_TOOL, "vendo-testing", "my-vendo-test-tool", "vendo-test-", "open-house", *hidden]
    )


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "vs_" + "A" * 43, "x" * 300, "a.b.c", ""],
    ids=["garbage", "unknown-token", "overlong", "jwt-like", "empty"],
)
async def test_catalog_invalid_cookie_gets_public_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, cookie: str
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers={"Cookie": f"vendo_session={cookie}"})
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


async def test_catalog_staff_session_as_bearer_is_not_admin_mode(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    """Admin mode comes from the session cookie; a Bearer token is no session."""
    token = await sessions.create("admin@vendo.local", staff=True)
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers={"Authorization": f"Bearer {token}"})
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


async def test_expired_staff_session_is_anonymous(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    token = staff_headers["Cookie"].split("=", 1)[1]
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Session)
            .where(Session.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    rows = await tool_rows(runtime)
    catalog = await client.get("/api/tools/catalog", headers=staff_headers)
    assert_json(catalog, 200, {"tools": [rows[slug] for slug in LISTED]})
    deployable_tools = await client.get("/api/tools/deployable", headers=staff_headers)
    assert_json(deployable_tools, 200, {"tools": [DEPLOYABLE[s] for s in DEPLOYABLE_LISTED]})
    integrations = await client.get("/api/tools/ops-console/integrations", headers=staff_headers)
    assert_json(integrations, 200, EMPTY_INTEGRATIONS)


async def test_catalog_long_query_string_is_ignored(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", params={"q": LONG, "appId": LONG})
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_catalog_database_failure_degrades_to_empty_list(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    async with table_gone(runtime, "tools"):
        assert_json(
            await client.get("/api/tools/catalog", headers=caller_headers), 200, EMPTY_TOOLS
        )
    assert any(record.levelno >= logging.ERROR for record in caplog.records)


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_catalog_corrupt_row_degrades_to_empty_list(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    await corrupt_marketing(runtime, "hermes")
    assert_json(await client.get("/api/tools/catalog", headers=caller_headers), 200, EMPTY_TOOLS)


async def test_catalog_degraded_answer_is_not_cached(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    """A transient failure must not blank the marketing catalog for an hour."""
    async with table_gone(runtime, "tools"):
        assert_json(await client.get("/api/tools/catalog"), 200, EMPTY_TOOLS)
    rows = await tool_rows(runtime)
    assert_json(await client.get("/api/tools/catalog"), 200, {"tools": [rows[s] for s in LISTED]})


async def test_catalog_public_answer_is_cached_until_invalidated(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    first = await client.get("/api/tools/catalog")
    assert first.status_code == 200
    await rename_tool(runtime, "hermes", "Hermes Renamed")
    again = await client.get("/api/tools/catalog")
    assert again.content == first.content
    # Its content does not depend on who asks: signed-in callers share the entry.
    signed_in = await client.get("/api/tools/catalog", headers=demo_headers)
    assert signed_in.content == first.content
    await runtime.cache.invalidate("tools-catalog")
    fresh = (await client.get("/api/tools/catalog")).json()
    assert {row["slug"]: row["name"] for row in fresh["tools"]}["hermes"] == "Hermes Renamed"


async def test_catalog_staff_answer_is_never_cached(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    staff = await client.get("/api/tools/catalog", headers=staff_headers)
    assert len(staff.json()["tools"]) == len(EVERY_TOOL)
    # The staff answer did not fill the public entry.
    public = (await client.get("/api/tools/catalog")).json()
    assert [row["slug"] for row in public["tools"]] == LISTED
    await rename_tool(runtime, "hermes", "Hermes Renamed")
    await rename_tool(runtime, "archivist", "Archivist Renamed")
    # Staff never read the (now stale) public entry, nor a staff entry of their own.
    again = (await client.get("/api/tools/catalog", headers=staff_headers)).json()
    names = {row["slug"]: row["name"] for row in again["tools"]}
    assert len(again["tools"]) == len(EVERY_TOOL)
    assert names["hermes"] == "Hermes Renamed"
    assert names["archivist"] == "Archivist Renamed"
    # The public entry is still the one written before the renames.
    public_again = (await client.get("/api/tools/catalog")).json()
    assert public_again == public


async def test_catalog_staff_answer_after_public_entry_is_not_the_public_one(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    await client.get("/api/tools/catalog")
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=staff_headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in EVERY_TOOL]})
