"""``POST /api/integrations/{slug}``: the toggle's order of checks, its body, the
managed-pool stub (CONTRACT.md §1.3; docs/decisions/0004, 0005)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.models import MANAGED_POOL
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    BAD_BODY,
    INTERNAL,
    INVALID_JSON,
    NOT_FOUND,
    PROVISIONING_FAILED,
    UNAUTHORIZED,
    boom,
    by_provider,
    connections_of,
    wait_for_lock_waiters,
)
from tests.support.catalog import demo_tenant_id, tenant_flag
from tests.support.credentials import (
    sign_up,
    sign_up_without_workspace,
)
from tests.support.http import assert_json


async def test_toggle_enables_and_disables(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant_id = await demo_tenant_id(runtime)
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 200, {"enabled": True})
    assert await tenant_flag(runtime, tenant_id, "sendgrid") is True
    detail = await client.get("/api/integrations/sendgrid", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True

    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": False}, headers=demo_headers
    )
    assert_json(response, 200, {"enabled": False})
    assert await tenant_flag(runtime, tenant_id, "sendgrid") is False
    detail = await client.get("/api/integrations/sendgrid", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False


async def test_toggle_without_session_is_401(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
    assert_json(response, 401, UNAUTHORIZED)


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "vs_" + "A" * 43, "x" * 300, "a.b.c"],
    ids=["garbage", "unknown", "long", "jwt"],
)
async def test_toggle_invalid_cookie_is_401(
    client: httpx.AsyncClient, demo: None, cookie: str
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        json={"enabled": True},
        headers={"Cookie": f"vendo_session={cookie}"},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_toggle_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 404, NOT_FOUND)


async def test_toggle_without_workspace_is_404(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=headers
    )
    assert_json(response, 404, NOT_FOUND)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'enabled': true}", b"enabled=true", b"\xff\xfe", b'{"enabled": tru}'],
    ids=["truncated", "single-quotes", "form", "binary", "bad-literal"],
)
async def test_toggle_malformed_json_is_400(
    client: httpx.AsyncClient, demo_headers: dict[str, str], raw: bytes
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        content=raw,
        headers={**demo_headers, "content-type": "application/json"},
    )
    assert_json(response, 400, INVALID_JSON)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"true",
        b"42",
        b'"enabled"',
        b"[true]",
        b'[{"enabled": true}]',
        b"{}",
        b'{"enable": true}',
        b'{"enabled": "true"}',
        b'{"enabled": 1}',
        b'{"enabled": 0}',
        b'{"enabled": null}',
        b'{"enabled": [true]}',
    ],
    ids=[
        "empty",
        "null",
        "boolean",
        "number",
        "string",
        "array",
        "array-of-object",
        "missing",
        "misspelt",
        "string-true",
        "one",
        "zero",
        "null-enabled",
        "list-enabled",
    ],
)
async def test_toggle_body_not_object_with_boolean_enabled_is_400(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str], raw: bytes
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        content=raw,
        headers={**demo_headers, "content-type": "application/json"},
    )
    assert_json(response, 400, BAD_BODY)
    assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is None


async def test_toggle_checks_session_before_body(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_toggle_checks_body_before_slug(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing", json={"enabled": "yes"}, headers=demo_headers
    )
    assert_json(response, 400, BAD_BODY)


async def test_toggle_ignores_extra_body_keys(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        json={"enabled": True, "note": "ignored"},
        headers=demo_headers,
    )
    assert_json(response, 200, {"enabled": True})


@pytest.mark.parametrize("provider", ["elevenlabs", "assemblyai"])
async def test_toggle_managed_pool_provider_writes_exactly_one_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, f"{provider}@example.com")
    assert await connections_of(runtime, tenant_id, provider) == []
    for _ in range(2):
        response = await client.post(
            f"/api/integrations/{provider}", json={"enabled": True}, headers=headers
        )
        assert_json(response, 200, {"enabled": True})
    rows = await connections_of(runtime, tenant_id, provider)
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, True)]
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed[provider]["tenantEnabled"], listed[provider]["provisioned"]) == (True, True)


async def test_toggle_concurrent_enables_write_exactly_one_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    """docs/decisions/0005: the managed-pool stub is written once per workspace — also when a user
    double-clicks (several toggles in flight at once)."""
    headers, tenant_id = await sign_up(sessions, runtime, "double-click@example.com")
    toggles = 6

    def send() -> Any:
        return client.post("/api/integrations/elevenlabs", json={"enabled": True}, headers=headers)

    if runtime.settings.is_sqlite:  # one writer at a time: the calls simply overlap
        responses = await asyncio.gather(*(send() for _ in range(toggles)))
    else:
        # Make the overlap certain: hold back inserts into `connections` (reads still pass)
        # until every toggle is waiting, then let them all go at once.
        async with runtime.db.engine.connect() as blocker:
            transaction = await blocker.begin()
            await blocker.execute(text("LOCK TABLE connections IN SHARE MODE"))
            tasks = [asyncio.create_task(send()) for _ in range(toggles)]
            await wait_for_lock_waiters(runtime, toggles, tasks)
            await transaction.rollback()
        responses = await asyncio.gather(*tasks)
    for response in responses:
        assert_json(response, 200, {"enabled": True})
    rows = await connections_of(runtime, tenant_id, "elevenlabs")
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, True)]


@pytest.mark.parametrize("provider", ["elevenlabs", "assemblyai"])
async def test_toggle_off_leaves_the_managed_connection_in_place(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, f"{provider}@example.com")
    for enabled in (True, False, True, False):
        response = await client.post(
            f"/api/integrations/{provider}", json={"enabled": enabled}, headers=headers
        )
        assert_json(response, 200, {"enabled": enabled})
    rows = await connections_of(runtime, tenant_id, provider)
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, True)]
    detail = await client.get(f"/api/integrations/{provider}", headers=headers)
    assert detail.json()["tenantEnabled"] is False


async def test_toggle_disable_of_managed_pool_provider_writes_no_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "quiet@example.com")
    response = await client.post(
        "/api/integrations/assemblyai", json={"enabled": False}, headers=headers
    )
    assert_json(response, 200, {"enabled": False})
    assert await connections_of(runtime, tenant_id, "assemblyai") == []


async def test_toggle_demo_elevenlabs_keeps_its_single_connection(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/elevenlabs", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 200, {"enabled": True})
    rows = await connections_of(runtime, await demo_tenant_id(runtime), "elevenlabs")
    assert len(rows) == 1


@pytest.mark.parametrize("provider", ["sendgrid", "openrouter", "deepgram"])
async def test_toggle_other_provider_writes_no_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "plain@example.com")
    response = await client.post(
        f"/api/integrations/{provider}", json={"enabled": True}, headers=headers
    )
    assert_json(response, 200, {"enabled": True})
    assert await connections_of(runtime, tenant_id, provider) == []


@pytest.mark.parametrize("provider", ["elevenlabs", "assemblyai"])
async def test_toggle_provisioning_failure_is_soft_warning_and_toggle_persists(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    failing_connection_inserts: None,
    provider: str,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "unlucky@example.com")
    response = await client.post(
        f"/api/integrations/{provider}", json={"enabled": True}, headers=headers
    )
    assert_json(response, 200, PROVISIONING_FAILED)
    assert list(response.json()) == ["enabled", "error"]
    assert b"boom" not in response.content
    assert await tenant_flag(runtime, tenant_id, provider) is True
    assert await connections_of(runtime, tenant_id, provider) == []
    detail = await client.get(f"/api/integrations/{provider}", headers=headers)
    assert detail.json()["tenantEnabled"] is True


async def test_toggle_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.set_tenant_enabled", boom)
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 500, INTERNAL)


async def test_toggle_ignores_bearer_session_token(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    """docs/decisions/0008: the dashboard routes accept the session cookie only; a Bearer is
    ignored."""
    token = await sessions.create("demo@vendo.local")
    response = await client.post(
        "/api/integrations/sendgrid",
        json={"enabled": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_json(response, 401, UNAUTHORIZED)
    assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is None
