"""``GET /api/tools/{slug}``: one tool with its active release, in the string envelope
(CONTRACT.md §2.3; docs/decisions/0017)."""

from __future__ import annotations

import httpx
import pytest

from app.runtime import Runtime
from tests.legacy_rest.tools_routes.helpers import (
    BAD_SLUGS,
    CALLERS,
    HERMES_RELEASE,
    RELEASE_KEYS,
    SWITCHBOARD_RELEASE,
    TOOL_INTERNAL,
    TOOL_NOT_FOUND,
    TOOL_ROW_KEYS,
    UNLISTED,
    add_tool,
    assert_json,
    corrupt_marketing,
    release,
    tool_rows,
)
from tests.support.sql import table_gone


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_detail_is_row_plus_active_release(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/hermes", headers=caller_headers)
    assert_json(response, 200, {"tool": {**rows["hermes"], "release": HERMES_RELEASE}})
    assert list(response.json()["tool"]) == [*TOOL_ROW_KEYS, "release"]
    assert list(response.json()["tool"]["release"]) == RELEASE_KEYS


async def test_detail_unreleased_tool_has_null_release(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/sketchpad")
    assert_json(response, 200, {"tool": {**rows["sketchpad"], "release": None}})


async def test_detail_invalid_layout_is_null(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/switchboard")
    assert_json(response, 200, {"tool": {**rows["switchboard"], "release": SWITCHBOARD_RELEASE}})


async def test_detail_shows_the_active_release_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await add_tool(
        runtime,
        "versions",
        release={**release("2.0.0"), "deploy_ready": False},
        inactive=release("3.0.0"),
    )
    body = (await client.get("/api/tools/versions")).json()
    assert body["tool"]["release"] == {
        "version": "2.0.0",
        "deploy_ready": False,
        "requires": {"required": [], "optional": []},
        "wizard_inputs": [],
        "wizard_layout": None,
        "auth_mode": "supabase",
        "source_repo": None,
        "icon_url": None,
    }


async def test_detail_tool_with_only_inactive_releases_has_null_release(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await add_tool(runtime, "dormant", inactive=release("0.1.0"))
    assert (await client.get("/api/tools/dormant")).json()["tool"]["release"] is None


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
@pytest.mark.parametrize("slug", UNLISTED)
async def test_detail_unlisted_tool_is_not_found_for_everyone(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    """The detail takes no credential: staff cookies do not turn on admin mode here."""
    assert_json(await client.get(f"/api/tools/{slug}", headers=caller_headers), 404, TOOL_NOT_FOUND)


async def test_detail_unknown_slug_is_not_found(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.get("/api/tools/nope")
    assert_json(response, 404, TOOL_NOT_FOUND)
    assert "cache-control" not in response.headers


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_detail_bad_slug_is_not_found(
    client: httpx.AsyncClient, demo: None, slug: str
) -> None:
    assert_json(await client.get(f"/api/tools/{slug}"), 404, TOOL_NOT_FOUND)


@pytest.mark.parametrize("table", ["tools", "releases"])
async def test_detail_database_failure_is_internal_error(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, table: str
) -> None:
    async with table_gone(runtime, table):
        assert_json(await client.get("/api/tools/hermes"), 500, TOOL_INTERNAL)


async def test_detail_corrupt_row_is_internal_error(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await corrupt_marketing(runtime, "hermes")
    assert_json(await client.get("/api/tools/hermes"), 500, TOOL_INTERNAL)
    # Other tools still answer.
    assert (await client.get("/api/tools/scribe")).status_code == 200
