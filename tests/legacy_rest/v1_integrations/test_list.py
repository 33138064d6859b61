"""``GET /api/v1/integrations``: install state, filters and per-category counts
(CONTRACT.md §4.1; docs/decisions/0026)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.models import (
    Tenant,
    User,
)
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.v1_integrations.helpers import ALL_COUNTS, BAD_STATUS, ENABLED, ROW_KEYS
from tests.support.catalog import integration_row
from tests.support.credentials import bearer, identity_jwt
from tests.support.http import assert_json, assert_text


async def test_v1_list_returns_every_enabled_integration_with_counts_and_total(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == ["integrations", "counts", "total"]
    assert [row["name"] for row in body["integrations"]] == sorted(ENABLED)
    for row in body["integrations"]:
        assert list(row) == ROW_KEYS
        assert row["status"] == "available"
        assert row["category"] == ENABLED[row["name"]]
    assert body["counts"] == ALL_COUNTS
    assert body["total"] == len(ENABLED)
    openai = await integration_row(runtime, "openai")
    assert body["integrations"][sorted(ENABLED).index("openai")] == {
        "id": str(openai.id),
        "name": "openai",
        "display_name": "OpenAI",
        "description": "GPT and embedding models.",
        "category": "llm",
        "logo_url": "https://vendo.run/logos/openai.svg",
        "docs_url": "https://platform.openai.com/docs",
        "status": "available",
        "installed_at": None,
        "params": {},
        "secrets": [],
    }


async def test_v1_list_omits_disabled_integrations(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = (await client.get("/api/v1/integrations", headers=headers)).json()
    assert "replicate" not in {row["name"] for row in body["integrations"]}


async def test_v1_list_category_filter_keeps_counts_of_every_category(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations?category=llm", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert [row["name"] for row in body["integrations"]] == ["anthropic", "openai", "openrouter"]
    assert body["counts"] == ALL_COUNTS
    assert body["total"] == 3


async def test_v1_list_unknown_category_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations?category=nope", headers=headers)
    assert_json(response, 200, {"integrations": [], "counts": ALL_COUNTS, "total": 0})


async def test_v1_list_status_filter_narrows_rows_and_counts(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for provider in ("openai", "sendgrid"):
        install = await client.post(
            f"/api/v1/integrations/{provider}/install", headers=headers, json={}
        )
        assert install.status_code == 200

    installed = (await client.get("/api/v1/integrations?status=installed", headers=headers)).json()
    assert [row["name"] for row in installed["integrations"]] == ["openai", "sendgrid"]
    assert {row["status"] for row in installed["integrations"]} == {"installed"}
    assert installed["counts"] == {"email": 1, "llm": 1}
    assert installed["total"] == 2

    available = (await client.get("/api/v1/integrations?status=available", headers=headers)).json()
    names = sorted(set(ENABLED) - {"openai", "sendgrid"})
    assert [row["name"] for row in available["integrations"]] == names
    assert available["counts"] == {**ALL_COUNTS, "email": 1, "llm": 2}
    assert available["total"] == len(names)


async def test_v1_list_status_and_category_filters_combine(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    await client.post("/api/v1/integrations/sendgrid/install", headers=headers, json={})
    response = await client.get(
        "/api/v1/integrations?status=installed&category=llm", headers=headers
    )
    body = response.json()
    assert [row["name"] for row in body["integrations"]] == ["openai"]
    assert body["counts"] == {"email": 1, "llm": 1}
    assert body["total"] == 1


async def test_v1_list_empty_filters_are_no_filters(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    plain = await client.get("/api/v1/integrations", headers=headers)
    empty = await client.get("/api/v1/integrations?category=&status=", headers=headers)
    assert empty.status_code == 200
    assert empty.content == plain.content


async def test_v1_list_unknown_status_is_bad_request(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations?status=pending", headers=headers)
    assert_text(response, 400, BAD_STATUS)


async def test_v1_list_install_state_is_per_account(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, headers: dict[str, str]
) -> None:
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    await sessions.create("other@example.com")
    async with runtime.db.read() as session:
        other = await session.scalar(select(User.id).where(User.email == "other@example.com"))
    assert other is not None
    token = identity_jwt(other)
    async with runtime.db.read() as session:
        slug = await session.scalar(select(Tenant.slug).where(Tenant.owner_id == other))
    assert slug is not None
    body = (await client.get("/api/v1/integrations", headers=bearer(token, slug))).json()
    assert {row["status"] for row in body["integrations"]} == {"available"}
