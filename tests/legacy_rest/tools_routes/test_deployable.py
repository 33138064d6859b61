"""``GET /api/tools/deployable``: released, deploy-ready tools for the deploy wizard, the
wizard inputs and layout (CONTRACT.md §2.2; docs/decisions/0016, 0019)."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.runtime import Runtime
from tests.legacy_rest.tools_routes.helpers import (
    CALLERS,
    DEPLOYABLE,
    DEPLOYABLE_KEYS,
    DEPLOYABLE_LISTED,
    DEPLOYABLE_STAFF,
    EMPTY_TOOLS,
    HERMES_LAYOUT,
    LONG,
    add_tool,
    assert_json,
    release,
)
from tests.support.sql import table_gone


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


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_deployable_database_failure_degrades_to_empty_list(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    async with table_gone(runtime, "releases"):
        response = await client.get("/api/tools/deployable", headers=caller_headers)
        assert_json(response, 200, EMPTY_TOOLS)
    assert any(record.levelno >= logging.ERROR for record in caplog.records)
    response = await client.get("/api/tools/deployable", headers=caller_headers)
    assert response.json()["tools"] != []


async def test_deployable_empty_database_lists_nothing(client: httpx.AsyncClient) -> None:
    assert_json(await client.get("/api/tools/deployable"), 200, EMPTY_TOOLS)


async def test_deployable_long_query_string_is_ignored(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/tools/deployable", params={"q": LONG})
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_LISTED]})
