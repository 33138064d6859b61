"""Tenant isolation: two tenants with look-alike data — apps, connections,
toggles, usage, installs and keys. Every read and write of tenant A made with tenant B's
credentials, by id, slug, appId, X-Account-ID, GraphQL node id or cache key, gets not-found or
empty: never A's data, never a 403 that confirms A exists. B's answers about A's objects are
compared byte for byte with B's answers about objects that do not exist."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.models import (
    BYOK_STATIC,
    App,
    AppConnectionBinding,
    Connection,
    Integration,
    Tenant,
    TenantIntegration,
    Tool,
    UsageEvent,
    User,
)
from app.runtime import Runtime
from tests.conftest import Sessions, session_headers
from tests.support.builders import add_rows
from tests.support.credentials import identity_jwt, mint_key, sign_up
from tests.support.documents import TOGGLE_MUTATION
from tests.support.http import assert_json, assert_same_bytes, assert_text

SECRET_KEY = Fernet.generate_key().decode()
REQUEST_ID = "isolation-check-1"
MISSING_ACCOUNT_ID = "00000000-0000-4000-8000-000000000000"
MISSING_APP_ID = "11111111-1111-4111-8111-111111111111"

ACCOUNT_QUERY = """
query Account($id: String!) {
  account(id: $id) { id slug integrations { total nodes { installation { status params } } } }
}
"""
ACCOUNT_INTEGRATION_QUERY = """
query AccountIntegration($id: String!) {
  account(id: $id) { integration(id: "openai") { installation { status params secretNames } } }
}
"""
INSTALL_MUTATION = """
mutation Install($account: String!) {
  installIntegration(account: $account, id: "openai", params: {region: "stolen"}) {
    installation { status params }
  }
}
"""
UNINSTALL_MUTATION = """
mutation Uninstall($account: String!) {
  uninstallIntegration(account: $account, id: "openai") { installation { status } }
}
"""
TOOL_INTEGRATIONS_QUERY = """
query ToolIntegrations($appId: String) {
  toolIntegrations(slug: "hermes", appId: $appId) {
    required { integration { provider } alreadyEnabled }
    optional { integration { provider } alreadyEnabled }
  }
  tool(slug: "hermes") { integrations(appId: $appId) { required { alreadyEnabled } } }
}
"""
NODE_QUERY = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Integration { provider tenantEnabled provisioned usageThisMonth costThisMonth }
  }
}
"""
OVERLAY_QUERY = """
query Overlay {
  viewer { email workspace { slug } }
  workspace { slug }
  integrations { nodes { provider tenantEnabled provisioned usageThisMonth costThisMonth } }
  usageTrend(provider: "elevenlabs") { spendMonthlyUsd dailyTrend { events cost } }
}
"""


def global_id(type_name: str, value: str) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


@dataclass
class Tenants:
    """A is the demo workspace; B is a look-alike with data of its own."""

    a_id: uuid.UUID
    a_slug: str
    a_user: uuid.UUID
    a_session: dict[str, str]
    a_key: str
    a_app: uuid.UUID
    b_id: uuid.UUID
    b_slug: str
    b_user: uuid.UUID
    b_session: dict[str, str]
    b_key: str
    b_app: uuid.UUID
    b_jwt: str


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY, "integration_rate_limit": "1000/minute"}


@pytest.fixture
async def tenants(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> Tenants:
    async with runtime.db.read() as session:
        a = (await session.execute(select(Tenant).where(Tenant.slug == "demo"))).scalar_one()
        a_app = await session.scalar(select(App.id).where(App.name == "My Hermes"))
        hermes = await session.scalar(select(Tool.id).where(Tool.slug == "hermes"))
    assert a_app is not None
    assert hermes is not None
    a_session = session_headers(await sessions.create("demo@vendo.local"))
    b_session, b_id = await sign_up(sessions, runtime, "bob@other.example")
    async with runtime.db.read() as session:
        b = (await session.execute(select(Tenant).where(Tenant.id == b_id))).scalar_one()

    # B's look-alikes: an app of the same tool bound to a connection, a toggle, usage.
    connection = Connection(tenant_id=b.id, provider="telegram", profile=BYOK_STATIC)
    b_app = App(tenant_id=b.id, tool_id=hermes, name="My Hermes")
    await add_rows(runtime, connection, b_app)
    await add_rows(runtime, AppConnectionBinding(app_id=b_app.id, connection_id=connection.id))
    now = datetime.now(UTC)
    await add_rows(
        runtime,
        *(
            UsageEvent(
                tenant_id=b.id, provider="openrouter", app_id=b_app.id, cost_micros=1_000,
                occurred_at=now - timedelta(seconds=i),
            )
            for i in range(3)
        ),
    )  # fmt: skip
    toggled = await client.post(
        "/api/integrations/slack", json={"enabled": True}, headers=b_session
    )
    assert toggled.status_code == 200

    a_key = await mint_key(runtime, app_id=a_app)
    b_key = await mint_key(runtime, app_id=b_app.id)
    # Installs on both sides, through the route: the same integration, different values.
    for key, tenant_id, region in ((a_key, a.id, "a-region"), (b_key, b.id, "b-region")):
        response = await client.post(
            "/api/v1/integrations/openai/install",
            json={"params": {"region": region}, "secrets": {"api_key": f"sk-{region}"}},
            headers={"Authorization": f"Bearer {key}", "X-Account-ID": str(tenant_id)},
        )
        assert response.status_code == 200, response.text
    return Tenants(
        a_id=a.id,
        a_slug=a.slug,
        a_user=a.owner_id,
        a_session=a_session,
        a_key=a_key,
        a_app=a_app,
        b_id=b.id,
        b_slug=b.slug,
        b_user=b.owner_id,
        b_session=b_session,
        b_key=b_key,
        b_app=b_app.id,
        b_jwt=identity_jwt(b.owner_id),
    )


async def openai_state(runtime: Runtime, tenant_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    async with runtime.db.read() as session:
        row = await session.scalar(
            select(TenantIntegration)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == "openai")
        )
    assert row is not None
    return row.status, row.params


async def flag(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> bool | None:
    async with runtime.db.read() as session:
        return await session.scalar(
            select(TenantIntegration.enabled)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == provider)
        )


def b_credentials(t: Tenants) -> list[tuple[str, dict[str, str]]]:
    return [
        ("app key", {"Authorization": f"Bearer {t.b_key}"}),
        ("identity jwt", {"Authorization": f"Bearer {t.b_jwt}"}),
    ]


V1_REQUESTS = [
    ("GET", "/api/v1/integrations"),
    ("GET", "/api/v1/integrations?status=installed"),
    ("GET", "/api/v1/integrations/openai"),
    ("POST", "/api/v1/integrations/openai/install"),
    ("POST", "/api/v1/integrations/openai/uninstall"),
    ("GET", "/api/v1/mcp-connections"),
    ("GET", "/api/v1/native-tools"),
]


# --------------------------------------------------------------------------------------------
# /api/v1: X-Account-ID


@pytest.mark.parametrize("credential", ["app key", "identity jwt"])
async def test_v1_other_tenants_account_answers_like_a_missing_one(
    client: httpx.AsyncClient, runtime: Runtime, tenants: Tenants, credential: str
) -> None:
    auth = dict(b_credentials(tenants))[credential]
    references = [
        (str(tenants.a_id), MISSING_ACCOUNT_ID),
        (tenants.a_slug, "no-such-workspace"),
        (str(tenants.a_id).upper(), MISSING_ACCOUNT_ID.upper()),
    ]
    for method, path in V1_REQUESTS:
        body = {"params": {"region": "stolen"}} if path.endswith("install") else None
        for theirs, missing in references:

            async def call(
                account: str, method: str = method, path: str = path, body: Any = body
            ) -> httpx.Response:
                headers = {**auth, "X-Account-ID": account, "X-Request-ID": REQUEST_ID}
                return await client.request(method, path, json=body, headers=headers)

            answer = await call(theirs)
            assert_text(answer, 404, "Account not found")
            assert_same_bytes(answer, await call(missing))
    assert await openai_state(runtime, tenants.a_id) == ("installed", {"region": "a-region"})


@pytest.mark.parametrize("credential", ["app key", "identity jwt"])
async def test_v1_own_account_shows_only_own_install(
    client: httpx.AsyncClient, tenants: Tenants, credential: str
) -> None:
    auth = dict(b_credentials(tenants))[credential]
    response = await client.get(
        "/api/v1/integrations/openai", headers={**auth, "X-Account-ID": tenants.b_slug}
    )
    assert response.status_code == 200
    assert response.json()["params"] == {"region": "b-region"}
    assert response.json()["secrets"] == ["api_key"]
    assert "a-region" not in response.text


async def test_v1_connection_key_of_other_tenant_cannot_reach_it(
    client: httpx.AsyncClient, runtime: Runtime, tenants: Tenants
) -> None:
    async with runtime.db.read() as session:
        b_connection = await session.scalar(
            select(Connection.id).where(Connection.tenant_id == tenants.b_id)
        )
    key = await mint_key(runtime, connection_id=b_connection)
    headers = {"Authorization": f"Bearer {key}", "X-Request-ID": REQUEST_ID}
    theirs = await client.get(
        "/api/v1/integrations", headers={**headers, "X-Account-ID": tenants.a_slug}
    )
    missing = await client.get(
        "/api/v1/integrations", headers={**headers, "X-Account-ID": "no-such-workspace"}
    )
    assert_text(theirs, 404, "Account not found")
    assert_same_bytes(theirs, missing)


# --------------------------------------------------------------------------------------------
# GraphQL: account, node, appId


async def test_graphql_other_tenants_account_answers_like_a_missing_one(
    client: httpx.AsyncClient, runtime: Runtime, tenants: Tenants
) -> None:
    headers = {"Authorization": f"Bearer {tenants.b_key}", "X-Request-ID": REQUEST_ID}
    references = [(str(tenants.a_id), MISSING_ACCOUNT_ID), (tenants.a_slug, "no-such-workspace")]
    for document in (
        ACCOUNT_QUERY,
        ACCOUNT_INTEGRATION_QUERY,
        INSTALL_MUTATION,
        UNINSTALL_MUTATION,
    ):
        name = "id" if "account(id" in document else "account"
        for theirs, missing in references:

            async def call(
                account: str, document: str = document, name: str = name
            ) -> httpx.Response:
                payload = {"query": document, "variables": {name: account}}
                return await client.post("/graphql", json=payload, headers=headers)

            answer = await call(theirs)
            assert answer.status_code == 200
            assert answer.json()["data"] is None
            assert answer.json()["errors"][0]["message"] == "Account not found"
            assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
            assert_same_bytes(answer, await call(missing))
    assert await openai_state(runtime, tenants.a_id) == ("installed", {"region": "a-region"})


async def test_graphql_session_user_cannot_reach_other_account(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    pairs = [(tenants.a_session, tenants.b_slug), (tenants.b_session, tenants.a_slug)]
    for mine, theirs in pairs:
        headers = {**mine, "X-Request-ID": REQUEST_ID}

        async def call(account: str, headers: dict[str, str] = headers) -> httpx.Response:
            payload = {"query": ACCOUNT_QUERY, "variables": {"id": account}}
            return await client.post("/graphql", json=payload, headers=headers)

        answer = await call(theirs)
        assert answer.json()["errors"][0]["message"] == "Account not found"
        assert_same_bytes(answer, await call("no-such-workspace"))


async def test_graphql_node_of_other_tenants_object_answers_like_a_missing_one(
    client: httpx.AsyncClient, runtime: Runtime, tenants: Tenants
) -> None:
    async with runtime.db.read() as session:
        a_connection = await session.scalar(
            select(Connection.id).where(Connection.tenant_id == tenants.a_id)
        )
    theirs = {
        "App": tenants.a_app,
        "Workspace": tenants.a_id,
        "Tenant": tenants.a_id,
        "Account": tenants.a_id,
        "Connection": a_connection,
        "ApiKey": tenants.a_id,
        "User": tenants.a_user,
    }
    headers = {**tenants.b_session, "X-Request-ID": REQUEST_ID}

    async def call(type_name: str, value: str) -> httpx.Response:
        variables = {"id": global_id(type_name, value)}
        return await client.post(
            "/graphql", json={"query": NODE_QUERY, "variables": variables}, headers=headers
        )

    for type_name, value in theirs.items():
        answer = await call(type_name, str(value))
        assert_json(answer, 200, {"data": {"node": None}})
        assert_same_bytes(answer, await call(type_name, MISSING_ACCOUNT_ID))


async def test_graphql_integration_node_shows_the_callers_overlay(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    found = await client.post(
        "/graphql",
        json={"query": '{ integration(slug: "elevenlabs") { id } }'},
        headers=tenants.b_session,
    )
    node_id = found.json()["data"]["integration"]["id"]
    payload = {"query": NODE_QUERY, "variables": {"id": node_id}}
    b_view = await client.post("/graphql", json=payload, headers=tenants.b_session)
    assert_json(
        b_view,
        200,
        {
            "data": {
                "node": {
                    "__typename": "Integration",
                    "provider": "elevenlabs",
                    "tenantEnabled": False,
                    "provisioned": False,
                    "usageThisMonth": 0,
                    "costThisMonth": 0,
                }
            }
        },
    )
    a_view = (await client.post("/graphql", json=payload, headers=tenants.a_session)).json()
    assert a_view["data"]["node"]["tenantEnabled"] is True
    assert a_view["data"]["node"]["provisioned"] is True


async def test_graphql_other_tenants_app_id_answers_like_no_app(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    headers = {**tenants.b_session, "X-Request-ID": REQUEST_ID}

    async def call(app_id: str | None) -> httpx.Response:
        payload = {"query": TOOL_INTEGRATIONS_QUERY, "variables": {"appId": app_id}}
        return await client.post("/graphql", json=payload, headers=headers)

    answer = await call(str(tenants.a_app))
    assert answer.status_code == 200
    assert "errors" not in answer.json()
    for other in (MISSING_APP_ID, None, "x"):
        assert_same_bytes(answer, await call(other))


async def test_graphql_own_app_id_reflects_own_bindings(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    """The control: B's own app is bound to telegram only; A's openrouter binding never shows."""
    payload = {"query": TOOL_INTEGRATIONS_QUERY, "variables": {"appId": str(tenants.b_app)}}
    answer = await client.post("/graphql", json=payload, headers=tenants.b_session)
    required = answer.json()["data"]["toolIntegrations"]["required"]
    assert required == [
        {"integration": {"provider": "openrouter"}, "alreadyEnabled": False},
        {"integration": {"provider": "telegram"}, "alreadyEnabled": True},
    ]


async def test_graphql_overlay_is_the_callers_own(
    client: httpx.AsyncClient, tenants: Tenants, sessions: Sessions, runtime: Runtime
) -> None:
    response = await client.post(
        "/graphql", json={"query": OVERLAY_QUERY}, headers=tenants.b_session
    )
    data = response.json()["data"]
    assert data["viewer"] == {"email": "bob@other.example", "workspace": {"slug": tenants.b_slug}}
    assert data["workspace"] == {"slug": tenants.b_slug}
    rows = {row["provider"]: row for row in data["integrations"]["nodes"]}
    assert rows["elevenlabs"] == {
        "provider": "elevenlabs",
        "tenantEnabled": False,
        "provisioned": False,
        "usageThisMonth": 0,
        "costThisMonth": 0,
    }
    assert rows["openrouter"]["tenantEnabled"] is False
    assert rows["openrouter"]["usageThisMonth"] == 3
    assert rows["openrouter"]["costThisMonth"] == 3_000
    assert rows["slack"]["tenantEnabled"] is True
    assert rows["telegram"]["provisioned"] is True
    assert data["usageTrend"]["spendMonthlyUsd"] == 0
    assert all(day == {"events": 0, "cost": 0} for day in data["usageTrend"]["dailyTrend"])


async def test_graphql_toggle_changes_only_the_callers_row(
    client: httpx.AsyncClient, runtime: Runtime, tenants: Tenants
) -> None:
    payload = {"query": TOGGLE_MUTATION, "variables": {"slug": "elevenlabs", "enabled": False}}
    response = await client.post("/graphql", json=payload, headers=tenants.b_session)
    expected = {"enabled": False, "provisioningError": None}
    assert_json(response, 200, {"data": {"setIntegrationEnabled": expected}})
    assert await flag(runtime, tenants.b_id, "elevenlabs") is False
    assert await flag(runtime, tenants.a_id, "elevenlabs") is True


# --------------------------------------------------------------------------------------------
# The dashboard routes: the session's own workspace, nothing else


async def fresh_tenant_headers(sessions: Sessions, runtime: Runtime) -> dict[str, str]:
    headers, _ = await sign_up(sessions, runtime, f"fresh-{uuid.uuid4().hex[:8]}@example.com")
    return headers


async def test_dashboard_reads_of_a_providers_only_other_tenant_uses_look_empty(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, tenants: Tenants
) -> None:
    """A uses these providers; B never did: B's answer is byte for byte a fresh tenant's."""
    fresh = await fresh_tenant_headers(sessions, runtime)
    for path in (
        "/api/integrations/elevenlabs/usage",
        "/api/integrations/assemblyai/usage",
        "/api/integrations/elevenlabs",
        "/api/integrations/assemblyai",
    ):
        b_answer = await client.get(path, headers={**tenants.b_session, "X-Request-ID": REQUEST_ID})
        fresh_answer = await client.get(path, headers={**fresh, "X-Request-ID": REQUEST_ID})
        assert b_answer.status_code == 200
        assert_same_bytes(b_answer, fresh_answer)


async def test_dashboard_tool_integrations_with_other_tenants_app_id_answers_like_none(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    headers = {**tenants.b_session, "X-Request-ID": REQUEST_ID}
    path = "/api/tools/hermes/integrations"
    theirs = await client.get(path, params={"appId": str(tenants.a_app)}, headers=headers)
    assert theirs.status_code == 200
    for app_id in (MISSING_APP_ID, "x", ""):
        assert_same_bytes(theirs, await client.get(path, params={"appId": app_id}, headers=headers))
    assert_same_bytes(theirs, await client.get(path, headers=headers))
    required = {row["provider"]: row["alreadyEnabled"] for row in theirs.json()["required"]}
    assert required == {"openrouter": False, "telegram": True}


async def test_dashboard_regenerate_answers_from_the_callers_workspace(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, tenants: Tenants
) -> None:
    """A has an openrouter connection (provisioned); B has none: B hears what a fresh tenant
    hears, not A's OpenRouter message."""
    fresh = await fresh_tenant_headers(sessions, runtime)
    path = "/api/integrations/openrouter/regenerate"
    # A cookie write declares JSON, even with no body (legacy_rest/cookie_writes.py).
    extra = {"X-Request-ID": REQUEST_ID, "Content-Type": "application/json"}
    b_answer = await client.post(path, headers={**tenants.b_session, **extra})
    fresh_answer = await client.post(path, headers={**fresh, **extra})
    assert_json(b_answer, 400, {"message": "Integration not provisioned"})
    assert_same_bytes(b_answer, fresh_answer)


async def test_dashboard_toggle_changes_only_the_callers_row(
    client: httpx.AsyncClient, runtime: Runtime, tenants: Tenants
) -> None:
    response = await client.post(
        "/api/integrations/telegram", json={"enabled": True}, headers=tenants.b_session
    )
    assert_json(response, 200, {"enabled": True})
    assert await flag(runtime, tenants.b_id, "telegram") is True
    assert await flag(runtime, tenants.a_id, "telegram") is False


async def test_dashboard_list_is_the_callers_overlay(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    a_rows = {
        r["provider"]: r
        for r in (await client.get("/api/integrations", headers=tenants.a_session)).json()
    }
    b_rows = {
        r["provider"]: r
        for r in (await client.get("/api/integrations", headers=tenants.b_session)).json()
    }
    assert a_rows["elevenlabs"]["tenantEnabled"] is True
    assert b_rows["elevenlabs"]["tenantEnabled"] is False
    assert b_rows["elevenlabs"]["usageThisMonth"] == 0
    assert a_rows["slack"]["tenantEnabled"] is False
    assert b_rows["slack"]["tenantEnabled"] is True
    assert b_rows["openrouter"]["costThisMonth"] == 3_000
    assert a_rows["openrouter"]["costThisMonth"] != 3_000


# --------------------------------------------------------------------------------------------
# Caches: anonymous and signed-in answers never mix, nor do tenants'


async def test_cache_signed_in_answer_never_reaches_another_tenant(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    a_first = await client.get("/api/integrations", headers=tenants.a_session)
    b_then = await client.get("/api/integrations", headers=tenants.b_session)
    assert a_first.content != b_then.content
    assert {r["provider"]: r["tenantEnabled"] for r in b_then.json()}["elevenlabs"] is False


async def test_cache_anonymous_first_then_signed_in(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    anonymous = await client.get("/api/integrations")
    assert list(anonymous.json()) == ["integrations"]
    signed_in = await client.get("/api/integrations", headers=tenants.b_session)
    assert isinstance(signed_in.json(), list)
    assert "tenantEnabled" in signed_in.json()[0]


async def test_cache_signed_in_first_then_anonymous(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    await client.get("/api/integrations", headers=tenants.a_session)
    await client.get("/api/integrations", headers=tenants.b_session)
    anonymous = await client.get("/api/integrations")
    assert list(anonymous.json()) == ["integrations"]
    assert "tenantEnabled" not in anonymous.text


async def test_cache_signed_in_detail_of_disabled_integration_stays_private(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    signed_in = await client.get("/api/integrations/replicate", headers=tenants.a_session)
    assert signed_in.status_code == 200
    assert_json(await client.get("/api/integrations/replicate"), 404, {"message": "Not found"})


async def test_cache_anonymous_not_found_does_not_hide_it_from_signed_in(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    assert_json(await client.get("/api/integrations/replicate"), 404, {"message": "Not found"})
    signed_in = await client.get("/api/integrations/replicate", headers=tenants.b_session)
    assert signed_in.status_code == 200
    assert signed_in.json()["tenantEnabled"] is False


async def test_cache_anonymous_detail_does_not_reach_signed_in(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    anonymous = await client.get("/api/integrations/elevenlabs")
    assert "tenantEnabled" not in anonymous.json()
    a_detail = await client.get("/api/integrations/elevenlabs", headers=tenants.a_session)
    b_detail = await client.get("/api/integrations/elevenlabs", headers=tenants.b_session)
    assert a_detail.json()["tenantEnabled"] is True
    assert b_detail.json()["tenantEnabled"] is False


async def test_cache_staff_catalog_and_public_catalog_never_mix(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, tenants: Tenants
) -> None:
    staff = session_headers(await sessions.create("admin@vendo.local", staff=True))
    public_first = await client.get("/api/tools/catalog", headers=tenants.b_session)
    staff_then = await client.get("/api/tools/catalog", headers=staff)
    public_again = await client.get("/api/tools/catalog")
    public_slugs = [t["slug"] for t in public_first.json()["tools"]]
    staff_slugs = [t["slug"] for t in staff_then.json()["tools"]]
    assert "ops-console" not in public_slugs
    assert "ops-console" in staff_slugs
    assert "vendo-test-smoke" in staff_slugs
    assert [t["slug"] for t in public_again.json()["tools"]] == public_slugs


async def test_cache_staff_catalog_first_then_public(
    client: httpx.AsyncClient, sessions: Sessions, tenants: Tenants
) -> None:
    staff = session_headers(await sessions.create("admin@vendo.local", staff=True))
    staff_first = await client.get("/api/tools/catalog", headers=staff)
    assert "ops-console" in [t["slug"] for t in staff_first.json()["tools"]]
    for headers in ({}, tenants.a_session, tenants.b_session):
        public = await client.get("/api/tools/catalog", headers=headers)
        assert "ops-console" not in [t["slug"] for t in public.json()["tools"]]
        assert "archivist" not in [t["slug"] for t in public.json()["tools"]]


async def test_cache_user_of_a_deleted_workspace_sees_no_other_workspace(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, tenants: Tenants
) -> None:
    """Signed in without a workspace: the documented 404, never someone else's overlay."""
    token = await sessions.create("orphan@example.com")
    async with runtime.db.write() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == "orphan@example.com"))
        tenant = await session.scalar(select(Tenant).where(Tenant.owner_id == user_id))
        await session.delete(tenant)
    await client.get("/api/integrations", headers=tenants.a_session)
    response = await client.get("/api/integrations", headers=session_headers(token))
    assert_json(response, 404, {"message": "No workspace found"})
