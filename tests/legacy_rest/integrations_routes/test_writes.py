"""The integrations writes: the toggle (order of checks, body, managed-pool stub), regenerate,
and the ``integrationLimiter`` they share with GraphQL (CONTRACT.md §1.3, §1.4, §3.8;
docs/decisions/0004, 0005, 0006, 0012)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from app.models import (
    MANAGED_POOL,
    Connection,
)
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    BAD_BODY,
    INTERNAL,
    INVALID_JSON,
    JSON_TYPE,
    NO_REGENERATION,
    NOT_FOUND,
    NOT_PROVISIONED,
    OPENROUTER_NO_REGENERATION,
    PROVISIONING_FAILED,
    RATE_LIMITED,
    UNAUTHORIZED,
    add_rows,
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
from tests.support.documents import REGENERATE_MUTATION, TOGGLE_MUTATION
from tests.support.http import assert_json

# --------------------------------------------------------------------------------------------
# POST /api/integrations/{slug}


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
async def test_toggle_off_deactivates_the_managed_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    """CONTRACT.md §1: tenantEnabled is the flag or an active connection; the stub the enable
    wrote goes inactive with the flag (one row, reactivated by the next enable)."""
    headers, tenant_id = await sign_up(sessions, runtime, f"{provider}@example.com")
    for enabled in (True, False, True, False):
        response = await client.post(
            f"/api/integrations/{provider}", json={"enabled": enabled}, headers=headers
        )
        assert_json(response, 200, {"enabled": enabled})
    rows = await connections_of(runtime, tenant_id, provider)
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, False)]
    detail = await client.get(f"/api/integrations/{provider}", headers=headers)
    assert detail.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed[provider]["tenantEnabled"], listed[provider]["provisioned"]) == (False, False)


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


# --------------------------------------------------------------------------------------------
# POST /api/integrations/{slug}/regenerate


async def test_regenerate_without_session_is_401(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await client.post("/api/integrations/openrouter/regenerate"), 401, UNAUTHORIZED)
    # 401 comes before 404.
    response = await client.post("/api/integrations/no-such-thing/regenerate")
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_invalid_cookie_is_401(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post(
        "/api/integrations/openrouter/regenerate",
        headers={"Cookie": "vendo_session=garbage", **JSON_TYPE},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_without_workspace_is_404_before_slug_check(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    for slug in ("openrouter", "no-such-thing"):
        response = await client.post(
            f"/api/integrations/{slug}/regenerate", headers={**headers, **JSON_TYPE}
        )
        assert_json(response, 404, {"message": "No workspace"})


async def test_regenerate_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 404, {"message": "Integration not found"})


@pytest.mark.parametrize("provider", ["openrouter", "sendgrid", "elevenlabs"])
async def test_regenerate_never_enabled_is_not_provisioned(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, _ = await sign_up(sessions, runtime, "fresh@example.com")
    response = await client.post(
        f"/api/integrations/{provider}/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NOT_PROVISIONED)


async def test_regenerate_switched_off_without_connection_is_not_provisioned(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    # The demo workspace's telegram flag is false and it holds no telegram connection.
    response = await client.post(
        "/api/integrations/telegram/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, NOT_PROVISIONED)


async def test_regenerate_openrouter_has_specific_message(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, OPENROUTER_NO_REGENERATION)


async def test_regenerate_enabled_integration_is_unsupported(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, _ = await sign_up(sessions, runtime, "fresh@example.com")
    await client.post("/api/integrations/sendgrid", json={"enabled": True}, headers=headers)
    response = await client.post(
        "/api/integrations/sendgrid/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)
    await client.post("/api/integrations/openrouter", json={"enabled": True}, headers=headers)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, OPENROUTER_NO_REGENERATION)


async def test_regenerate_connection_alone_counts_as_provisioned(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "fresh@example.com")
    await add_rows(
        runtime, Connection(tenant_id=tenant_id, provider="deepgram", profile=MANAGED_POOL)
    )
    response = await client.post(
        "/api/integrations/deepgram/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)


async def test_regenerate_demo_elevenlabs_is_unsupported(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/elevenlabs/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)


async def test_regenerate_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.get_integration", boom)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 500, INTERNAL)


# --------------------------------------------------------------------------------------------
# The integrationLimiter


class TestIntegrationLimiter:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"integration_rate_limit": "3/minute"}

    async def test_limiter_fourth_toggle_is_429(
        self, client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        for enabled in (True, False, True):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": enabled}, headers=demo_headers
            )
            assert_json(response, 200, {"enabled": enabled})
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": False}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)
        # The refused toggle was not applied.
        assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is True

    async def test_limiter_toggle_and_regenerate_share_the_budget(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        response = await client.post(
            "/api/integrations/sendgrid/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 400, NO_REGENERATION)
        await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        response = await client.post(
            "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_is_checked_before_not_found(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        sessions: Sessions,
        demo_headers: dict[str, str],
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
            )
        response = await client.post(
            "/api/integrations/no-such-thing", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)
        response = await client.post(
            "/api/integrations/no-such-thing/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)
        nomad = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
        response = await client.post(
            "/api/integrations/openrouter/regenerate", headers={**nomad, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_after_401_and_400_checks(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
        assert_json(response, 401, UNAUTHORIZED)
        assert_json(await client.post("/api/integrations/sendgrid/regenerate"), 401, UNAUTHORIZED)
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": 1}, headers=demo_headers
        )
        assert_json(response, 400, BAD_BODY)

    async def test_limiter_unauthenticated_and_invalid_calls_spend_nothing(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(5):
            response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
            assert response.status_code == 401
            response = await client.post("/api/integrations/sendgrid/regenerate")
            assert response.status_code == 401
            response = await client.post(
                "/api/integrations/sendgrid", content=b"{", headers={**demo_headers, **JSON_TYPE}
            )
            assert response.status_code == 400
        for _ in range(3):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert_json(response, 200, {"enabled": True})
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_reads_do_not_spend(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(5):
            await client.get("/api/integrations", headers=demo_headers)
            await client.get("/api/integrations/sendgrid", headers=demo_headers)
            await client.get("/api/integrations/sendgrid/usage", headers=demo_headers)
        for _ in range(3):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert response.status_code == 200

    async def test_limiter_is_per_client_ip(
        self, app: Starlette, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert response.status_code == 429
        transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            response = await other.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        assert_json(response, 200, {"enabled": True})

    async def test_limiter_graphql_mutation_draws_on_the_same_budget(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(2):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert response.status_code == 200
        variables = {"slug": "sendgrid", "enabled": False}
        payload = {"query": TOGGLE_MUTATION, "variables": variables}
        first = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert first == {
            "data": {"setIntegrationEnabled": {"enabled": False, "provisioningError": None}}
        }
        second = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert second["data"] is None
        assert [error["extensions"]["code"] for error in second["errors"]] == ["RATE_LIMITED"]
        assert second["errors"][0]["message"] == "Rate limit exceeded"
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_graphql_regenerate_spends_and_is_refused(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
            )
        payload = {"query": REGENERATE_MUTATION, "variables": {"slug": "openrouter"}}
        body = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert [error["extensions"]["code"] for error in body["errors"]] == ["RATE_LIMITED"]
