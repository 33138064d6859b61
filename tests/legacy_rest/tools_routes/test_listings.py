"""The tool listings and the tool detail for anonymous, signed-in and staff callers: who sees
which tool, exact rows in key order, the wizard inputs and layout, graceful degrade, caching
(CONTRACT.md §2.1–§2.3; docs/decisions/0016–0019)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.models import Session
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.tools_routes.helpers import (
    BAD_SLUGS,
    CALLERS,
    DEPLOYABLE,
    DEPLOYABLE_KEYS,
    DEPLOYABLE_LISTED,
    DEPLOYABLE_STAFF,
    EMPTY_INTEGRATIONS,
    EMPTY_TOOLS,
    EVERY_TOOL,
    HERMES_LAYOUT,
    HERMES_RELEASE,
    LISTED,
    LONG,
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
    rename_tool,
    tool_rows,
)
from tests.support.sql import table_gone

# --------------------------------------------------------------------------------------------
# GET /api/tools/catalog


async def assert_catalog(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], slugs: list[str]
) -> httpx.Response:
    """GET /api/tools/catalog with ``headers``: 200, exactly the rows of ``slugs`` in order."""
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in slugs]})
    return response


@pytest.mark.parametrize(
    ("caller_headers", "slugs"),
    [("anonymous", LISTED), ("signed-in", LISTED), ("staff", EVERY_TOOL)],
    ids=["anonymous-listed-in-slug-order", "signed-in-listed-only", "staff-every-tool"],
    indirect=["caller_headers"],
)
async def test_catalog_lists_what_the_caller_may_see(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str], slugs: list[str]
) -> None:
    response = await assert_catalog(client, runtime, caller_headers, slugs)
    if not caller_headers:
        assert "cache-control" not in response.headers


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
    await assert_catalog(client, runtime, {"Cookie": f"vendo_session={cookie}"}, LISTED)


async def test_catalog_staff_session_as_bearer_is_not_admin_mode(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    """Admin mode comes from the session cookie; a Bearer token is no session."""
    token = await sessions.create("admin@vendo.local", staff=True)
    await assert_catalog(client, runtime, {"Authorization": f"Bearer {token}"}, LISTED)


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
@pytest.mark.parametrize(
    ("path", "table"),
    [("/api/tools/catalog", "tools"), ("/api/tools/deployable", "releases")],
    ids=["catalog", "deployable"],
)
async def test_listing_database_failure_degrades_to_empty_list(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    path: str,
    table: str,
) -> None:
    caplog.set_level(logging.ERROR)
    async with table_gone(runtime, table):
        assert_json(await client.get(path, headers=caller_headers), 200, EMPTY_TOOLS)
    assert any(record.levelno >= logging.ERROR for record in caplog.records)
    response = await client.get(path, headers=caller_headers)
    assert response.json()["tools"] != []


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
    await assert_catalog(client, runtime, staff_headers, EVERY_TOOL)


# --------------------------------------------------------------------------------------------
# GET /api/tools/deployable


@pytest.mark.parametrize("caller_headers", ["anonymous", "signed-in"], indirect=True)
async def test_deployable_non_staff_sees_released_listed_tools(
    client: httpx.AsyncClient, caller_headers: dict[str, str]
) -> None:
    response = await client.get("/api/tools/deployable", headers=caller_headers)
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_LISTED]})


async def test_deployable_staff_sees_disabled_internal_and_test_tools_never_unreleased(
    client: httpx.AsyncClient, staff_headers: dict[str, str]
) -> None:
    response = await client.get("/api/tools/deployable", headers=staff_headers)
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_STAFF]})
    assert "sketchpad" not in [row["toolSlug"] for row in response.json()["tools"]]


async def test_deployable_entries_have_documented_keys_in_order(
    client: httpx.AsyncClient, staff_headers: dict[str, str]
) -> None:
    body = (await client.get("/api/tools/deployable", headers=staff_headers)).json()
    assert list(body) == ["tools"]
    assert [list(row) for row in body["tools"]] == [DEPLOYABLE_KEYS] * len(DEPLOYABLE_STAFF)


async def test_deployable_invalid_layout_is_null_and_missing_inputs_are_empty(
    client: httpx.AsyncClient, demo: None
) -> None:
    tools = {
        row["toolSlug"]: row for row in (await client.get("/api/tools/deployable")).json()["tools"]
    }
    assert tools["switchboard"]["wizardLayout"] is None
    assert tools["switchboard"]["wizardInputs"] == []
    assert tools["hermes"]["wizardLayout"] == HERMES_LAYOUT


async def test_deployable_requires_an_active_deploy_ready_release_for_everyone(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    await add_tool(runtime, "not-ready", release={**release(), "deploy_ready": False})
    await add_tool(runtime, "only-inactive", inactive=release("9.9.9"))
    await add_tool(runtime, "two-releases", release=release("2.0.0"), inactive=release("1.0.0"))
    for headers in ({}, staff_headers):
        body = (await client.get("/api/tools/deployable", headers=headers)).json()
        slugs = [row["toolSlug"] for row in body["tools"]]
        assert "not-ready" not in slugs
        assert "only-inactive" not in slugs
        versions = {row["toolSlug"]: row["version"] for row in body["tools"]}
        assert versions["two-releases"] == "2.0.0"


async def test_deployable_wizard_inputs_keep_objects_only(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await add_tool(
        runtime,
        "inputs-mixed",
        release=release(wizard_inputs=[{"key": "A", "extra": [1]}, "junk", 3, None, {}]),
    )
    await add_tool(runtime, "inputs-null", release=release(wizard_inputs=None))
    await add_tool(runtime, "inputs-object", release=release(wizard_inputs={"key": "A"}))
    tools = {
        row["toolSlug"]: row for row in (await client.get("/api/tools/deployable")).json()["tools"]
    }
    assert tools["inputs-mixed"]["wizardInputs"] == [{"key": "A", "extra": [1]}, {}]
    assert tools["inputs-null"]["wizardInputs"] == []
    assert tools["inputs-object"]["wizardInputs"] == []


async def test_wizard_inputs_keep_their_stored_key_order(
    client: httpx.AsyncClient, demo: None
) -> None:
    """CONTRACT.md §2.2 prints the input as stored: key, label, type, required."""
    expected = (
        b'"wizardInputs":[{"key":"TIMEZONE","label":"Timezone","type":"string","required":false}]'
    )
    deployable_body = (await client.get("/api/tools/deployable")).content
    assert expected in deployable_body
    detail = (await client.get("/api/tools/hermes")).content
    assert expected.replace(b"wizardInputs", b"wizard_inputs") in detail


async def test_deployable_layout_failing_the_schema_is_null(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    good = {
        "version": 1,
        "subSteps": [{"id": "a", "title": "A", "sections": [{"type": "notice", "body": "Hi"}]}],
    }
    await add_tool(runtime, "layout-good", release=release(wizard_layout=good))
    await add_tool(runtime, "layout-v2", release=release(wizard_layout={**good, "version": 2}))
    await add_tool(runtime, "layout-list", release=release(wizard_layout=[good]))
    await add_tool(
        runtime,
        "layout-extra",
        release=release(wizard_layout={**good, "theme": "dark"}),
    )
    tools = {
        row["toolSlug"]: row for row in (await client.get("/api/tools/deployable")).json()["tools"]
    }
    assert tools["layout-good"]["wizardLayout"] == good
    assert tools["layout-v2"]["wizardLayout"] is None
    assert tools["layout-list"]["wizardLayout"] is None
    assert tools["layout-extra"]["wizardLayout"] == good  # unknown keys dropped


async def test_deployable_empty_database_lists_nothing(client: httpx.AsyncClient) -> None:
    assert_json(await client.get("/api/tools/deployable"), 200, EMPTY_TOOLS)


async def test_deployable_long_query_string_is_ignored(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/tools/deployable", params={"q": LONG})
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_LISTED]})


# --------------------------------------------------------------------------------------------
# GET /api/tools/{slug}


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_detail_is_row_plus_active_release(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/hermes", headers=caller_headers)
    assert_json(response, 200, {"tool": {**rows["hermes"], "release": HERMES_RELEASE}})
    assert list(response.json()["tool"]) == [*TOOL_ROW_KEYS, "release"]
    assert list(response.json()["tool"]["release"]) == RELEASE_KEYS


@pytest.mark.parametrize(
    ("slug", "expected_release"),
    [("sketchpad", None), ("switchboard", SWITCHBOARD_RELEASE)],
    ids=["unreleased-tool-has-null-release", "invalid-layout-is-null"],
)
async def test_detail_release_of_a_tool(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo: None,
    slug: str,
    expected_release: dict[str, Any] | None,
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get(f"/api/tools/{slug}")
    assert_json(response, 200, {"tool": {**rows[slug], "release": expected_release}})


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
