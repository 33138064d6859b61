"""``POST /api/integrations``: caches invalidated by a save, and concurrent saves
(docs/decisions/0033)."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import text

from app.models import Integration
from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import (
    EMAIL,
    REFERENCE_SAVE_ALL,
    apis_of,
    count_named,
    decrypted,
    integration,
    item,
    post,
)


async def test_bulk_save_invalidates_the_anonymous_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
) -> None:
    first = await client.get("/api/integrations")
    assert first.status_code == 200
    providers = [row["provider"] for row in first.json()["integrations"]]
    assert "aaa-direct" not in providers
    # A row written behind the gateway's back is not seen: the answer comes from the cache.
    async with runtime.db.write() as session, session.begin():
        session.add(Integration(provider="aaa-direct", name="Direct", category="email"))
    cached = await client.get("/api/integrations")
    assert cached.content == first.content
    missing = await client.get("/api/integrations/new-mail")
    assert missing.status_code == 404

    response = await post(client, [item("new-mail", description="Fresh", category=EMAIL)], staff)
    assert response.status_code == 200, response.text

    after = await client.get("/api/integrations")
    rows = {row["provider"]: row for row in after.json()["integrations"]}
    assert "aaa-direct" in rows
    assert rows["new-mail"] == {
        "provider": "new-mail",
        "name": "new-mail",
        "description": "Fresh",
        "category": EMAIL,
        "default_profile": "vendo_managed_pool",
        "supported_profiles": ["vendo_managed_pool"],
        "logo_url": None,
        "icon_name": None,
        "docs_url": None,
        "env_bootstrap": None,
    }
    detail = await client.get("/api/integrations/new-mail")
    assert detail.status_code == 200
    assert detail.json()["description"] == "Fresh"


async def test_bulk_save_update_is_visible_on_the_next_anonymous_detail(
    client: httpx.AsyncClient, demo: None, staff: dict[str, str]
) -> None:
    first = await client.get("/api/integrations/sendgrid")
    assert first.json()["description"] == "Transactional email."
    response = await post(
        client,
        [{"name": "sendgrid", "type": "sendgrid", "description": "Changed",
          "configuration": {"api_key": "SG.k"}}],
        staff,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    after = await client.get("/api/integrations/sendgrid")
    assert after.json()["description"] == "Changed"


async def test_bulk_save_failed_batch_does_not_invalidate_anything_visible(
    client: httpx.AsyncClient, demo: None, staff: dict[str, str]
) -> None:
    first = await client.get("/api/integrations")
    await post(client, [item("new-mail"), {"name": "bad"}], staff)
    after = await client.get("/api/integrations")
    assert after.content == first.content


async def test_bulk_save_concurrent_saves_of_one_new_name_create_one_row(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    body = [item("race", "openai", configuration={"api_key": "sk-race"})]
    first, second = await asyncio.gather(post(client, body, staff), post(client, body, staff))
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    created = sorted(r.json()["integrations"][0]["created"] for r in (first, second))
    assert created == [False, True]
    assert first.json()["integrations"][0]["id"] == second.json()["integrations"][0]["id"]
    assert await count_named(runtime, "race") == 1
    row = await integration(runtime, "race")
    assert row is not None
    assert await apis_of(runtime, row.id) == [("default", "Default", True)]
    assert decrypted(row) == {"api_key": "sk-race"}


async def test_bulk_save_concurrent_batches_sharing_names_create_each_once(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    one = [item("shared-a"), item("shared-b"), item("only-one")]
    two = [item("shared-b"), item("shared-a"), item("only-two")]
    responses = await asyncio.gather(*(post(client, b, staff) for b in (one, two, one, two)))
    for response in responses:
        assert response.status_code == 200, response.text
    for name in ("shared-a", "shared-b", "only-one", "only-two"):
        assert await count_named(runtime, name) == 1, name


async def test_bulk_save_rows_are_readable_in_the_database_as_documented(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    """The raw row: configuration holds plain values only, secret_configuration Fernet tokens."""
    await post(client, json.loads(REFERENCE_SAVE_ALL), staff)
    async with runtime.db.read() as session:
        raw = (
            await session.execute(
                text(
                    "SELECT configuration, secret_configuration FROM integrations "
                    "WHERE provider = 'open-ai-test'"
                )
            )
        ).one()
    configuration, secrets = (json.loads(v) if isinstance(v, str) else v for v in raw)
    assert configuration == {}
    assert list(secrets) == ["api_key"]
    assert secrets["api_key"].startswith("gAAAA")
