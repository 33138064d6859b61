"""``GET /api/integrations/{slug}``: one integration, disabled ones only signed in
(CONTRACT.md §1.2; docs/decisions/0002, 0008)."""

from __future__ import annotations

import httpx
import pytest

from app.models import (
    BYOK_STATIC,
    MANAGED_POOL,
    Connection,
)
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    CANONICAL_KEYS,
    DETAIL_ROW_KEYS,
    INTERNAL,
    NOT_FOUND,
    OPENROUTER_CANONICAL,
    add_rows,
    boom,
    by_provider,
)
from tests.support.catalog import demo_tenant_id, tenant_flag
from tests.support.credentials import (
    sign_up,
    sign_up_without_workspace,
)
from tests.support.http import assert_json


async def test_detail_anonymous_returns_canonical_row(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/integrations/openrouter")
    assert_json(response, 200, OPENROUTER_CANONICAL)
    assert list(response.json()) == CANONICAL_KEYS


async def test_detail_anonymous_unknown_slug_is_404(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await client.get("/api/integrations/no-such-thing"), 404, NOT_FOUND)


async def test_detail_anonymous_disabled_integration_is_404(
    client: httpx.AsyncClient, demo: None
) -> None:
    assert_json(await client.get("/api/integrations/replicate"), 404, NOT_FOUND)


async def test_detail_signed_in_shows_disabled_integration_with_tenant_enabled(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/replicate", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == DETAIL_ROW_KEYS
    assert body["provider"] == "replicate"
    assert body["enabled"] is False
    assert body["tenantEnabled"] is False


async def test_detail_signed_in_row_shape(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/openrouter", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == DETAIL_ROW_KEYS
    listed = by_provider((await client.get("/api/integrations", headers=demo_headers)).json())
    expected = {key: listed["openrouter"][key] for key in DETAIL_ROW_KEYS}
    assert body == expected
    assert body["tenantEnabled"] is True


async def test_detail_signed_in_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/no-such-thing", headers=demo_headers)
    assert_json(response, 404, NOT_FOUND)


async def test_detail_openrouter_falls_back_to_byok_static_until_toggled(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant_id = await demo_tenant_id(runtime)
    assert await tenant_flag(runtime, tenant_id, "openrouter") is None
    detail = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True

    toggle = await client.post(
        "/api/integrations/openrouter", json={"enabled": False}, headers=demo_headers
    )
    assert_json(toggle, 200, {"enabled": False})
    detail = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=demo_headers)).json())
    assert listed["openrouter"]["tenantEnabled"] is False
    # The connection is still there: provisioned, but switched off by the tenant.
    assert listed["openrouter"]["provisioned"] is True

    await client.post("/api/integrations/openrouter", json={"enabled": True}, headers=demo_headers)
    detail = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True


async def test_detail_openrouter_fallback_needs_an_active_byok_static_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "router@example.com")
    await add_rows(
        runtime,
        Connection(tenant_id=tenant_id, provider="openrouter", profile=MANAGED_POOL),
        Connection(tenant_id=tenant_id, provider="openrouter", profile=BYOK_STATIC, active=False),
    )
    detail = await client.get("/api/integrations/openrouter", headers=headers)
    assert detail.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed["openrouter"]["tenantEnabled"], listed["openrouter"]["provisioned"]) == (
        False,
        True,
    )

    await add_rows(
        runtime, Connection(tenant_id=tenant_id, provider="openrouter", profile=BYOK_STATIC)
    )
    detail = await client.get("/api/integrations/openrouter", headers=headers)
    assert detail.json()["tenantEnabled"] is True


async def test_detail_other_provider_falls_back_to_any_active_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "speech@example.com")
    await add_rows(
        runtime,
        Connection(tenant_id=tenant_id, provider="deepgram", profile=MANAGED_POOL),
        Connection(tenant_id=tenant_id, provider="twilio", profile=BYOK_STATIC, active=False),
    )
    deepgram = await client.get("/api/integrations/deepgram", headers=headers)
    assert deepgram.json()["tenantEnabled"] is True
    twilio = await client.get("/api/integrations/twilio", headers=headers)
    assert twilio.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed["deepgram"]["tenantEnabled"], listed["deepgram"]["provisioned"]) == (True, True)
    assert (listed["twilio"]["tenantEnabled"], listed["twilio"]["provisioned"]) == (False, False)


async def test_detail_signed_in_without_workspace_has_tenant_enabled_false(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    response = await client.get("/api/integrations/openrouter", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == DETAIL_ROW_KEYS
    assert body["tenantEnabled"] is False


async def test_detail_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.get_integration", boom)
    assert_json(await client.get("/api/integrations/openrouter"), 500, INTERNAL)
    response = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert_json(response, 500, INTERNAL)


@pytest.mark.parametrize("cookie", ["garbage", "vs_" + "A" * 43], ids=["garbage", "unknown"])
async def test_detail_invalid_cookie_is_anonymous(
    client: httpx.AsyncClient, demo: None, cookie: str
) -> None:
    headers = {"Cookie": f"vendo_session={cookie}"}
    assert_json(
        await client.get("/api/integrations/openrouter", headers=headers), 200, OPENROUTER_CANONICAL
    )
    assert_json(await client.get("/api/integrations/replicate", headers=headers), 404, NOT_FOUND)
