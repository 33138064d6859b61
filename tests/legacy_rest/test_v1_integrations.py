"""Reference 04 over HTTP: the /api/v1 account integrations family — credentials, X-Account-ID,
the list with its filters and counts, the detail, install and uninstall, the two stubs, CORS — and
the choices of docs/DECISIONS.md ("Account integrations", "Secrets")."""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.models import (
    APP_KEY,
    CONNECTION_KEY,
    App,
    Connection,
    Integration,
    Tenant,
    TenantIntegration,
    User,
    utcnow,
)
from app.repositories import keys
from app.runtime import Runtime
from app.services.auth import hash_token, new_api_key
from app.services.secrets import SecretBox
from tests.conftest import JWT_SECRET, Sessions, session_headers

# --------------------------------------------------------------------------------------------
# Constants

SECRET_KEY = Fernet.generate_key().decode()

UNAUTHORIZED = "Unauthorized"
MISSING_ACCOUNT = "Missing X-Account-ID header"
ACCOUNT_NOT_FOUND = "Account not found"
INTEGRATION_NOT_FOUND = "Integration not found"
UNAVAILABLE = "Secret encryption service unavailable"
BAD_STATUS = "status must be available or installed"
NOT_AN_OBJECT = "Request body must be a JSON object"
INVALID_JSON = "Invalid JSON body"

ROW_KEYS = [
    "id",
    "name",
    "display_name",
    "description",
    "category",
    "logo_url",
    "docs_url",
    "status",
    "installed_at",
    "params",
    "secrets",
]

# The demo catalog's enabled integrations, by provider, with their categories.
ENABLED = {
    "anthropic": "llm",
    "assemblyai": "speech",
    "deepgram": "speech",
    "elevenlabs": "voice",
    "openai": "llm",
    "openrouter": "llm",
    "pinecone": "vector_db",
    "qdrant": "vector_db",
    "resend": "email",
    "sendgrid": "email",
    "slack": "messaging",
    "telegram": "messaging",
    "twilio": "messaging",
}
ALL_COUNTS = {"email": 2, "llm": 3, "messaging": 3, "speech": 2, "vector_db": 2, "voice": 1}

ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

PREFLIGHT_METHODS = "GET, POST, OPTIONS"
PREFLIGHT_HEADERS = "Authorization, Content-Type, X-Account-ID"
VENDO_ORIGIN = "https://app.vendo.run"

ACCOUNT_PATHS = [
    "/api/v1/integrations",
    "/api/v1/integrations/openai",
    "/api/v1/mcp-connections",
    "/api/v1/native-tools",
]
POST_PATHS = ["/api/v1/integrations/openai/install", "/api/v1/integrations/openai/uninstall"]


# --------------------------------------------------------------------------------------------
# Helpers and fixtures


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY}


@dataclass
class Demo:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    app_id: uuid.UUID
    connection_id: uuid.UUID
    admin_tenant_id: uuid.UUID
    admin_user_id: uuid.UUID


@pytest.fixture
async def ids(runtime: Runtime, demo: None) -> Demo:
    async with runtime.db.read() as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.slug == "demo"))).scalar_one()
        admin = (await session.execute(select(Tenant).where(Tenant.slug == "admin"))).scalar_one()
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
        connection_id = await session.scalar(
            select(Connection.id).where(
                Connection.tenant_id == tenant.id, Connection.provider == "openrouter"
            )
        )
    assert app_id is not None
    assert connection_id is not None
    return Demo(tenant.id, tenant.owner_id, app_id, connection_id, admin.id, admin.owner_id)


async def mint_key(
    runtime: Runtime,
    *,
    app_id: uuid.UUID | None = None,
    connection_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> str:
    key = new_api_key()
    kind = APP_KEY if app_id is not None else CONNECTION_KEY
    async with runtime.db.write() as session, session.begin():
        tenant_id = await keys.scope_tenant(
            session=session, app_id=app_id, connection_id=connection_id
        )
        assert tenant_id is not None
        await keys.create_key(
            session=session,
            kind=kind,
            tenant_id=tenant_id,
            scope_id=app_id or connection_id,  # type: ignore[arg-type]
            key_hash=hash_token(key),
            prefix=key[:13],
            expires_at=expires_at,
        )
    return key


def identity_jwt(user_id: uuid.UUID, *, expires_in: timedelta = timedelta(hours=1)) -> str:
    payload = {"sub": str(user_id), "aud": "authenticated", "exp": datetime.now(UTC) + expires_in}
    return jwt.encode(payload, JWT_SECRET, algorithm="HS256")


def bearer(token: str, account: str | None = "demo") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if account is not None:
        headers["X-Account-ID"] = account
    return headers


@pytest.fixture
async def app_key(runtime: Runtime, ids: Demo) -> str:
    return await mint_key(runtime, app_id=ids.app_id)


@pytest.fixture
async def headers(app_key: str) -> dict[str, str]:
    """An App Key of the demo workspace, acting for the demo account."""
    return bearer(app_key)


def assert_text(response: httpx.Response, status: int, body: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == body


def assert_json(response: httpx.Response, status: int, body: Any) -> None:
    """Exact status, exact body, JSON content type, compact encoding."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body
    compact = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert response.content == compact.encode()


async def integration_row(runtime: Runtime, provider: str) -> Integration:
    async with runtime.db.read() as session:
        row = await session.scalar(select(Integration).where(Integration.provider == provider))
    assert row is not None
    return row


async def state_of(
    runtime: Runtime, tenant_id: uuid.UUID, provider: str
) -> TenantIntegration | None:
    async with runtime.db.read() as session:
        return await session.scalar(
            select(TenantIntegration)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == provider)
        )


def expected_row(integration: Integration, **overlay: Any) -> dict[str, Any]:
    row = {
        "id": str(integration.id),
        "name": integration.provider,
        "display_name": integration.name,
        "description": integration.description,
        "category": integration.category,
        "logo_url": integration.logo_url,
        "docs_url": integration.docs_url,
        "status": "available",
        "installed_at": None,
        "params": {},
        "secrets": [],
    }
    row.update(overlay)
    return row


def box() -> SecretBox:
    return SecretBox([Fernet(SECRET_KEY)])


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("access-control-") or name == "vary"
    }


# --------------------------------------------------------------------------------------------
# 401: the credential


@pytest.mark.parametrize("path", ACCOUNT_PATHS)
async def test_v1_get_without_token_is_unauthorized(
    client: httpx.AsyncClient, ids: Demo, path: str
) -> None:
    response = await client.get(path, headers={"X-Account-ID": "demo"})
    assert_text(response, 401, UNAUTHORIZED)


@pytest.mark.parametrize("path", POST_PATHS)
async def test_v1_post_without_token_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, path: str
) -> None:
    response = await client.post(path, headers={"X-Account-ID": "demo"}, json={})
    assert_text(response, 401, UNAUTHORIZED)
    assert await state_of(runtime, ids.tenant_id, "openai") is None


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "vendo_sk_" + "x" * 43,
        "a.b.c",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "vendo_sk_" + "y" * 400,
    ],
    ids=["opaque", "unknown-key", "three-segments", "bad-signature-jwt", "oversized"],
)
async def test_v1_list_with_garbage_token_is_unauthorized(
    client: httpx.AsyncClient, ids: Demo, token: str
) -> None:
    response = await client.get("/api/v1/integrations", headers=bearer(token))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_non_bearer_scheme_is_unauthorized(
    client: httpx.AsyncClient, app_key: str
) -> None:
    response = await client.get(
        "/api/v1/integrations",
        headers={"Authorization": f"Basic {app_key}", "X-Account-ID": "demo"},
    )
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_expired_key_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo
) -> None:
    key = await mint_key(runtime, app_id=ids.app_id, expires_at=utcnow() - timedelta(seconds=1))
    response = await client.get("/api/v1/integrations", headers=bearer(key))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_revoked_key_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, app_key: str
) -> None:
    assert (await client.get("/api/v1/integrations", headers=bearer(app_key))).status_code == 200
    async with runtime.db.write() as session, session.begin():
        count = await keys.revoke_key(session=session, now=utcnow(), key_hash=hash_token(app_key))
    assert count == 1
    response = await client.get("/api/v1/integrations", headers=bearer(app_key))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_expired_jwt_is_unauthorized(
    client: httpx.AsyncClient, ids: Demo
) -> None:
    token = identity_jwt(ids.user_id, expires_in=timedelta(seconds=-60))  # past the leeway
    response = await client.get("/api/v1/integrations", headers=bearer(token))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_jwt_of_unknown_user_is_unauthorized(
    client: httpx.AsyncClient, ids: Demo
) -> None:
    response = await client.get("/api/v1/integrations", headers=bearer(identity_jwt(uuid.uuid4())))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_session_cookie_only_is_unauthorized(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get(
        "/api/v1/integrations", headers={**demo_headers, "X-Account-ID": "demo"}
    )
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_session_token_as_bearer_is_unauthorized(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    token = demo_headers["Cookie"].split("=", 1)[1]
    response = await client.get("/api/v1/integrations", headers=bearer(token))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_unauthorized_comes_before_missing_account_header(
    client: httpx.AsyncClient, ids: Demo
) -> None:
    response = await client.get("/api/v1/integrations")
    assert_text(response, 401, UNAUTHORIZED)


# --------------------------------------------------------------------------------------------
# 400: the X-Account-ID header


@pytest.mark.parametrize("path", ACCOUNT_PATHS)
async def test_v1_get_without_account_header_is_bad_request(
    client: httpx.AsyncClient, app_key: str, path: str
) -> None:
    response = await client.get(path, headers=bearer(app_key, account=None))
    assert_text(response, 400, MISSING_ACCOUNT)


@pytest.mark.parametrize("path", POST_PATHS)
async def test_v1_post_without_account_header_is_bad_request(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str, path: str
) -> None:
    response = await client.post(path, headers=bearer(app_key, account=None), json={})
    assert_text(response, 400, MISSING_ACCOUNT)
    assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_list_with_blank_account_header_is_bad_request(
    client: httpx.AsyncClient, app_key: str
) -> None:
    response = await client.get("/api/v1/integrations", headers=bearer(app_key, account="   "))
    assert_text(response, 400, MISSING_ACCOUNT)


async def test_v1_missing_account_header_comes_before_unknown_integration(
    client: httpx.AsyncClient, app_key: str
) -> None:
    response = await client.get(
        "/api/v1/integrations/no-such-thing", headers=bearer(app_key, account=None)
    )
    assert_text(response, 400, MISSING_ACCOUNT)


# --------------------------------------------------------------------------------------------
# X-Account-ID: id or slug; any other account is the same 404


async def test_v1_list_accepts_account_by_slug_and_by_id(
    client: httpx.AsyncClient, ids: Demo, app_key: str
) -> None:
    by_slug = await client.get("/api/v1/integrations", headers=bearer(app_key, "demo"))
    by_id = await client.get("/api/v1/integrations", headers=bearer(app_key, str(ids.tenant_id)))
    assert by_slug.status_code == 200
    assert by_id.status_code == 200
    assert by_slug.content == by_id.content


@pytest.mark.parametrize("path", ACCOUNT_PATHS)
async def test_v1_foreign_and_unknown_accounts_answer_the_same_not_found(
    client: httpx.AsyncClient, ids: Demo, app_key: str, path: str
) -> None:
    accounts = [
        "admin",
        str(ids.admin_tenant_id),
        "no-such-workspace",
        str(uuid.uuid4()),
        "x" * 200,
    ]
    # One request id for all, so that every header can be compared byte for byte.
    same_id = {"X-Request-ID": "probe-1"}
    responses = [
        await client.get(path, headers={**bearer(app_key, a), **same_id}) for a in accounts
    ]
    first = responses[0]
    assert_text(first, 404, ACCOUNT_NOT_FOUND)
    for response in responses[1:]:
        assert response.status_code == first.status_code
        assert response.content == first.content
        assert response.headers.raw == first.headers.raw


@pytest.mark.parametrize("path", POST_PATHS)
async def test_v1_post_for_foreign_account_is_not_found_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str, path: str
) -> None:
    body = {"params": {"a": 1}, "secrets": {"k": "v"}}
    same_id = {"X-Request-ID": "probe-2"}
    foreign = await client.post(path, headers={**bearer(app_key, "admin"), **same_id}, json=body)
    unknown = await client.post(path, headers={**bearer(app_key, "nope"), **same_id}, json=body)
    assert_text(foreign, 404, ACCOUNT_NOT_FOUND)
    assert foreign.content == unknown.content
    assert foreign.headers.raw == unknown.headers.raw
    assert await state_of(runtime, ids.admin_tenant_id, "openai") is None


async def test_v1_jwt_user_may_not_act_for_another_users_workspace(
    client: httpx.AsyncClient, ids: Demo
) -> None:
    demo_user = identity_jwt(ids.user_id)
    staff_user = identity_jwt(ids.admin_user_id)
    mine = await client.get("/api/v1/integrations", headers=bearer(demo_user, "demo"))
    theirs = await client.get("/api/v1/integrations", headers=bearer(demo_user, "admin"))
    staff_on_demo = await client.get("/api/v1/integrations", headers=bearer(staff_user, "demo"))
    assert mine.status_code == 200
    assert_text(theirs, 404, ACCOUNT_NOT_FOUND)
    assert_text(staff_on_demo, 404, ACCOUNT_NOT_FOUND)


async def test_v1_jwt_user_may_act_for_every_workspace_they_own_but_a_key_only_for_its_own(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str
) -> None:
    async with runtime.db.write() as session, session.begin():
        session.add(
            Tenant(slug="demo-staging", name="Staging", owner_id=ids.user_id, is_production=False)
        )
    user = await client.get(
        "/api/v1/integrations", headers=bearer(identity_jwt(ids.user_id), "demo-staging")
    )
    key = await client.get("/api/v1/integrations", headers=bearer(app_key, "demo-staging"))
    assert user.status_code == 200
    assert_text(key, 404, ACCOUNT_NOT_FOUND)


async def test_v1_account_not_found_comes_before_integration_not_found(
    client: httpx.AsyncClient, app_key: str
) -> None:
    response = await client.get(
        "/api/v1/integrations/no-such-thing", headers=bearer(app_key, "admin")
    )
    assert_text(response, 404, ACCOUNT_NOT_FOUND)


# --------------------------------------------------------------------------------------------
# Each credential of reference 04


async def test_v1_list_accepts_an_app_key(client: httpx.AsyncClient, app_key: str) -> None:
    response = await client.get("/api/v1/integrations", headers=bearer(app_key))
    assert response.status_code == 200
    assert response.json()["total"] == len(ENABLED)


async def test_v1_list_accepts_a_connection_key(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo
) -> None:
    key = await mint_key(runtime, connection_id=ids.connection_id)
    response = await client.get("/api/v1/integrations", headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["total"] == len(ENABLED)


async def test_v1_list_accepts_an_identity_jwt(client: httpx.AsyncClient, ids: Demo) -> None:
    response = await client.get("/api/v1/integrations", headers=bearer(identity_jwt(ids.user_id)))
    assert response.status_code == 200
    assert response.json()["total"] == len(ENABLED)


async def test_v1_list_accepts_a_jwt_naming_the_user_by_email(
    client: httpx.AsyncClient, ids: Demo
) -> None:
    token = jwt.encode(
        {
            "email": "demo@vendo.local",
            "aud": "authenticated",
            "exp": datetime.now(UTC) + timedelta(hours=1),
        },
        JWT_SECRET,
        algorithm="HS256",
    )
    response = await client.get("/api/v1/integrations", headers=bearer(token))
    assert response.status_code == 200


async def test_v1_install_accepts_each_credential(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str
) -> None:
    connection_key = await mint_key(runtime, connection_id=ids.connection_id)
    for provider, token in [
        ("openai", app_key),
        ("anthropic", connection_key),
        ("sendgrid", identity_jwt(ids.user_id)),
    ]:
        response = await client.post(
            f"/api/v1/integrations/{provider}/install", headers=bearer(token), json={}
        )
        assert response.status_code == 200, (provider, response.text)
        assert response.json()["status"] == "installed"


# --------------------------------------------------------------------------------------------
# GET /api/v1/integrations


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


# --------------------------------------------------------------------------------------------
# GET /api/v1/integrations/{id}


async def test_v1_detail_by_name(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations/openai", headers=headers)
    assert_json(response, 200, expected_row(await integration_row(runtime, "openai")))
    assert list(response.json()) == ROW_KEYS


async def test_v1_detail_by_uuid(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "openrouter")
    response = await client.get(f"/api/v1/integrations/{row.id}", headers=headers)
    assert_json(response, 200, expected_row(row))


@pytest.mark.parametrize(
    "ref", ["no_such_integration", "replicate", "00000000-0000-0000-0000-000000000000", "OpenAI"]
)
async def test_v1_detail_unknown_or_disabled_is_not_found(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str
) -> None:
    response = await client.get(f"/api/v1/integrations/{ref}", headers=headers)
    assert_text(response, 404, INTEGRATION_NOT_FOUND)


async def test_v1_detail_of_disabled_integration_by_uuid_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "replicate")
    response = await client.get(f"/api/v1/integrations/{row.id}", headers=headers)
    assert_text(response, 404, INTEGRATION_NOT_FOUND)


# --------------------------------------------------------------------------------------------
# POST /api/v1/integrations/{id}/install


async def test_v1_install_stores_params_and_encrypted_secrets(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    params = {"api_version": "2024-09", "region": "us-east-1"}
    secrets = {"webhook_secret": "whsec_abc123", "api_key": "sk_live_plaintext_42"}
    before = utcnow().replace(microsecond=0)
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": params, "secrets": secrets},
    )
    after = utcnow()
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == ROW_KEYS
    assert ISO_MILLIS.match(body["installed_at"]), body["installed_at"]
    installed_at = datetime.fromisoformat(body["installed_at"].replace("Z", "+00:00"))
    assert before <= installed_at <= after
    openai = await integration_row(runtime, "openai")
    assert body == expected_row(
        openai,
        status="installed",
        installed_at=body["installed_at"],
        params=params,
        secrets=["api_key", "webhook_secret"],
    )
    for plain in secrets.values():
        assert plain not in response.text

    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert state.status == "installed"
    assert state.params == params
    assert set(state.secrets) == set(secrets)
    for name, plain in secrets.items():
        assert state.secrets[name] != plain
        assert box().decrypt(state.secrets[name]) == plain


async def test_v1_install_by_uuid(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "sendgrid")
    response = await client.post(
        f"/api/v1/integrations/{row.id}/install", headers=headers, json={"params": {"a": 1}}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "sendgrid"
    assert response.json()["params"] == {"a": 1}


async def test_v1_install_with_empty_body_installs_without_params(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    response = await client.post("/api/v1/integrations/openai/install", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert body["status"] == "installed"
    assert body["params"] == {}
    assert body["secrets"] == []
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert (state.status, state.params, state.secrets) == ("installed", {}, {})


async def test_v1_install_ignores_server_set_fields(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    openai = await integration_row(runtime, "openai")
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={
            "id": str(uuid.uuid4()),
            "name": "hijacked",
            "status": "available",
            "installed_at": None,
            "created_at": "2000-01-01T00:00:00.000Z",
            "updated_at": "2000-01-01T00:00:00.000Z",
            "params": {"region": "eu"},
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["id"] == str(openai.id)
    assert body["name"] == "openai"
    assert body["status"] == "installed"
    assert body["installed_at"] is not None
    assert body["params"] == {"region": "eu"}


async def test_v1_install_unknown_integration_is_not_found_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    for ref in ("no_such_integration", "replicate", str(uuid.uuid4())):
        response = await client.post(
            f"/api/v1/integrations/{ref}/install",
            headers=headers,
            json={"params": {"a": 1}, "secrets": {"k": "v"}},
        )
        assert_text(response, 404, INTEGRATION_NOT_FOUND)
    assert await state_of(runtime, ids.tenant_id, "replicate") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]", NOT_AN_OBJECT),
        (b'"params"', NOT_AN_OBJECT),
        (b"42", NOT_AN_OBJECT),
        (b"{not json", INVALID_JSON),
        (b"\xff\xfe\x00", INVALID_JSON),
        (b'{"params": [1]}', "params must be an object"),
        (b'{"params": "x"}', "params must be an object"),
        (b'{"secrets": ["api_key"]}', "secrets must be an object"),
        (b'{"secrets": {"api_key": 123}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": ""}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": null}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": {"v": "x"}}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": true}}', "secrets.api_key must be a non-empty string"),
    ],
    ids=[
        "array",
        "string",
        "number",
        "malformed",
        "not-utf8",
        "params-array",
        "params-string",
        "secrets-array",
        "secret-number",
        "secret-empty",
        "secret-null",
        "secret-object",
        "secret-bool",
    ],
)
async def test_v1_install_bad_body_is_bad_request_and_writes_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    ids: Demo,
    headers: dict[str, str],
    content: bytes,
    message: str,
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**headers, "Content-Type": "application/json"},
        content=content,
    )
    assert_text(response, 400, message)
    assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_install_bad_secret_among_good_ones_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"a": 1}, "secrets": {"good": "plain-good-value", "bad": 7}},
    )
    assert_text(response, 400, "secrets.bad must be a non-empty string")
    assert "plain-good-value" not in response.text
    assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_install_bad_body_comes_before_integration_not_found(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """DECISIONS: 400 (body) → 404 Integration not found: the body is checked first."""
    response = await client.post(
        "/api/v1/integrations/no_such_integration/install",
        headers={**headers, "Content-Type": "application/json"},
        content=b"[1, 2]",
    )
    assert_text(response, 400, "Request body must be a JSON object")


async def test_v1_install_bad_body_comes_before_account_not_found(
    client: httpx.AsyncClient, app_key: str
) -> None:
    """DECISIONS: 400 (body) → 404 Account not found, the same for any account, so the order
    reveals nothing about which accounts exist."""
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**bearer(app_key, "admin"), "Content-Type": "application/json"},
        content=b'{"secrets": {"api_key": 5}}',
    )
    assert_text(response, 400, "secrets.api_key must be a non-empty string")


async def test_v1_install_params_are_replaced_when_given_and_kept_when_absent(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    first = await client.post(path, headers=headers, json={"params": {"a": 1, "b": 2}})
    assert first.json()["params"] == {"a": 1, "b": 2}
    second = await client.post(path, headers=headers, json={"params": {"c": 3}})
    assert second.json()["params"] == {"c": 3}
    kept = await client.post(path, headers=headers, json={"secrets": {"k": "v"}})
    assert kept.json()["params"] == {"c": 3}
    null = await client.post(path, headers=headers, json={"params": None})
    assert null.json()["params"] == {"c": 3}
    emptied = await client.post(path, headers=headers, json={"params": {}})
    assert emptied.json()["params"] == {}
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert state.params == {}


async def test_v1_install_params_keep_nested_values_as_given(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    params = {"nested": {"list": [1, "two", None, True]}, "unicode": "Zürich 東京", "empty": ""}
    response = await client.post(
        "/api/v1/integrations/openai/install", headers=headers, json={"params": params}
    )
    assert response.json()["params"] == params
    detail = await client.get("/api/v1/integrations/openai", headers=headers)
    assert detail.json()["params"] == params


async def test_v1_install_params_with_a_nul_character_is_a_clear_400_on_every_database(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    """U+0000 cannot be stored by PostgreSQL: bad input (400, text), never a 500, nothing
    written — the same on SQLite and PostgreSQL."""
    for params in ({"note": "a\u0000b"}, {"a\u0000b": "note"}):
        response = await client.post(
            "/api/v1/integrations/openai/install", headers=headers, json={"params": params}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_install_merges_secrets_by_name(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    await client.post(path, headers=headers, json={"secrets": {"api_key": "one", "b": "bee"}})
    response = await client.post(path, headers=headers, json={"secrets": {"api_key": "two"}})
    assert response.json()["secrets"] == ["api_key", "b"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert {name: box().decrypt(token) for name, token in state.secrets.items()} == {
        "api_key": "two",
        "b": "bee",
    }


async def test_v1_install_without_secrets_keeps_earlier_ones(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    await client.post(path, headers=headers, json={"secrets": {"api_key": "keep-me"}})
    stored = await state_of(runtime, ids.tenant_id, "openai")
    assert stored is not None
    for body in ({}, {"params": {"x": 1}}, {"secrets": {}}, {"secrets": None}):
        response = await client.post(path, headers=headers, json=body)
        assert response.status_code == 200
        assert response.json()["secrets"] == ["api_key"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert state.secrets == stored.secrets
    assert box().decrypt(state.secrets["api_key"]) == "keep-me"


async def test_v1_install_twice_keeps_installed_and_moves_installed_at(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    first = (await client.post(path, headers=headers, json={})).json()
    second = (await client.post(path, headers=headers, json={})).json()
    assert first["status"] == second["status"] == "installed"
    assert second["installed_at"] >= first["installed_at"]


async def test_v1_install_is_visible_in_list_and_detail(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    installed = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"p": 1}, "secrets": {"token": "t0ps3cret"}},
    )
    row = installed.json()
    detail = await client.get("/api/v1/integrations/openai", headers=headers)
    assert detail.json() == row
    listed = (await client.get("/api/v1/integrations", headers=headers)).json()
    assert [r for r in listed["integrations"] if r["name"] == "openai"] == [row]
    assert "t0ps3cret" not in detail.text
    assert "t0ps3cret" not in (await client.get("/api/v1/integrations", headers=headers)).text


# --------------------------------------------------------------------------------------------
# POST /api/v1/integrations/{id}/uninstall


async def test_v1_uninstall_flips_back_and_keeps_params_and_secrets(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-kept"}},
    )
    stored = await state_of(runtime, ids.tenant_id, "openai")
    assert stored is not None
    response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    openai = await integration_row(runtime, "openai")
    assert_json(
        response,
        200,
        expected_row(openai, status="available", params={"region": "eu"}, secrets=["api_key"]),
    )
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert (state.status, state.installed_at) == ("available", None)
    assert state.params == {"region": "eu"}
    assert state.secrets == stored.secrets


async def test_v1_reinstall_after_uninstall_without_secrets_keeps_them(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-kept"}},
    )
    await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    response = await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    body = response.json()
    assert body["status"] == "installed"
    assert body["params"] == {"region": "eu"}
    assert body["secrets"] == ["api_key"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert box().decrypt(state.secrets["api_key"]) == "sk-kept"


async def test_v1_uninstall_of_never_installed_integration_answers_available(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.post("/api/v1/integrations/sendgrid/uninstall", headers=headers)
    assert_json(response, 200, expected_row(await integration_row(runtime, "sendgrid")))


async def test_v1_uninstall_by_uuid_and_unknown_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "openai")
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    response = await client.post(f"/api/v1/integrations/{row.id}/uninstall", headers=headers)
    assert response.json()["status"] == "available"
    for ref in ("no_such_integration", "replicate", str(uuid.uuid4())):
        missing = await client.post(f"/api/v1/integrations/{ref}/uninstall", headers=headers)
        assert_text(missing, 404, INTEGRATION_NOT_FOUND)


# --------------------------------------------------------------------------------------------
# 500 Database error


async def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret database detail")


@pytest.mark.parametrize(
    ("method", "path", "target"),
    [
        ("GET", "/api/v1/integrations", "account_integrations"),
        ("GET", "/api/v1/integrations/openai", "account_integration"),
        ("POST", "/api/v1/integrations/openai/install", "install"),
        ("POST", "/api/v1/integrations/openai/uninstall", "uninstall"),
    ],
)
async def test_v1_database_failure_is_500_database_error(
    client: httpx.AsyncClient,
    runtime: Runtime,
    ids: Demo,
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    target: str,
) -> None:
    from app.repositories import integrations

    monkeypatch.setattr(integrations, target, boom)
    response = await client.request(
        method,
        path,
        headers=headers,
        json={"secrets": {"api_key": "sk-during-failure"}} if method == "POST" else None,
    )
    assert_text(response, 500, "Database error")
    assert "secret database detail" not in response.text
    assert "sk-during-failure" not in caplog.text
    assert await state_of(runtime, ids.tenant_id, "openai") is None


# --------------------------------------------------------------------------------------------
# Stubs


async def test_v1_mcp_connections_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/mcp-connections", headers=headers)
    assert_json(response, 200, {"mcp_connections": []})


async def test_v1_native_tools_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/native-tools", headers=headers)
    assert_json(response, 200, {"native_tools": []})


async def test_v1_stubs_accept_each_credential(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str
) -> None:
    connection_key = await mint_key(runtime, connection_id=ids.connection_id)
    for token in (app_key, connection_key, identity_jwt(ids.user_id)):
        mcp = await client.get("/api/v1/mcp-connections", headers=bearer(token))
        native = await client.get("/api/v1/native-tools", headers=bearer(token, str(ids.tenant_id)))
        assert_json(mcp, 200, {"mcp_connections": []})
        assert_json(native, 200, {"native_tools": []})


# --------------------------------------------------------------------------------------------
# No secret key configured


class TestWithoutSecretKey:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}

    async def test_v1_install_with_secrets_is_unavailable_and_writes_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/api/v1/integrations/openai/install",
            headers=headers,
            json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-never-stored"}},
        )
        assert_text(response, 503, UNAVAILABLE)
        assert await state_of(runtime, ids.tenant_id, "openai") is None

    async def test_v1_install_with_secrets_refused_is_logged_naming_the_setting(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """The client sees 503; the operator's log says why, and which setting to set."""
        caplog.set_level(logging.INFO)
        response = await client.post(
            "/api/v1/integrations/openai/install",
            headers=headers,
            json={"secrets": {"api_key": "sk-never-logged"}},
        )
        assert_text(response, 503, UNAVAILABLE)
        refusals = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
        assert (
            "vendo.secrets",
            "WARNING",
            "refused to read or write a secret: VENDO_SECRET_KEYS is not set "
            "(comma-separated Fernet keys; see the README)",
        ) in refusals
        assert not [m for _, _, m in refusals if "sk-never-logged" in m]

    async def test_v1_install_with_secrets_leaves_an_existing_row_as_it_was(
        self, client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
    ) -> None:
        path = "/api/v1/integrations/openai"
        await client.post(f"{path}/install", headers=headers, json={"params": {"v": 1}})
        await client.post(f"{path}/uninstall", headers=headers)
        before = await state_of(runtime, ids.tenant_id, "openai")
        assert before is not None
        response = await client.post(
            f"{path}/install",
            headers=headers,
            json={"params": {"v": 2}, "secrets": {"api_key": "sk-never-stored"}},
        )
        assert_text(response, 503, UNAVAILABLE)
        after = await state_of(runtime, ids.tenant_id, "openai")
        assert after is not None
        assert after.model_dump() == before.model_dump()
        assert after.status == "available"

    async def test_v1_install_without_secrets_still_works(
        self, client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
    ) -> None:
        for body in ({"params": {"region": "eu"}}, {"params": {"region": "eu"}, "secrets": {}}):
            response = await client.post(
                "/api/v1/integrations/openai/install", headers=headers, json=body
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "installed"
            assert response.json()["params"] == {"region": "eu"}
        state = await state_of(runtime, ids.tenant_id, "openai")
        assert state is not None
        assert state.status == "installed"

    async def test_v1_bad_secret_is_bad_request_before_unavailable(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/api/v1/integrations/openai/install",
            headers=headers,
            json={"secrets": {"api_key": 5}},
        )
        assert_text(response, 400, "secrets.api_key must be a non-empty string")

    async def test_v1_unknown_integration_is_not_found_before_unavailable(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/api/v1/integrations/no_such_integration/install",
            headers=headers,
            json={"secrets": {"api_key": "x"}},
        )
        assert_text(response, 404, INTEGRATION_NOT_FOUND)

    async def test_v1_uninstall_still_works(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "available"


# --------------------------------------------------------------------------------------------
# CORS (/api/v1/* only)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/integrations", "GET"),
        ("/api/v1/integrations/openai", "GET"),
        ("/api/v1/integrations/openai/install", "POST"),
        ("/api/v1/integrations/openai/uninstall", "POST"),
        ("/api/v1/mcp-connections", "GET"),
        ("/api/v1/native-tools", "GET"),
    ],
)
async def test_v1_preflight_answers_204_with_the_allow_headers(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.options(
        path,
        headers={
            "Origin": VENDO_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, x-account-id",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == VENDO_ORIGIN
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == PREFLIGHT_METHODS
    assert response.headers["access-control-allow-headers"] == PREFLIGHT_HEADERS
    assert "access-control-allow-credentials" not in response.headers


async def test_v1_preflight_from_another_origin_allows_any(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/v1/integrations",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == PREFLIGHT_METHODS
    assert response.headers["access-control-allow-headers"] == PREFLIGHT_HEADERS
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origin", ["https://app.vendo.run", "https://vendo.run", "https://a.b-c.vendo.run"]
)
async def test_v1_matching_origin_is_reflected_with_vary(
    client: httpx.AsyncClient, headers: dict[str, str], origin: str
) -> None:
    response = await client.get("/api/v1/integrations", headers={**headers, "Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": origin, "vary": "Origin"}


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.com",
        "http://app.vendo.run",
        "https://app.vendo.run.evil.com",
        "https://evilvendo.run",
        "https://app.vendo.run:8443",
        "null",
    ],
)
async def test_v1_other_origin_gets_star(
    client: httpx.AsyncClient, headers: dict[str, str], origin: str
) -> None:
    response = await client.get("/api/v1/integrations", headers={**headers, "Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": "*", "vary": "Origin"}


async def test_v1_cors_headers_are_on_error_answers_too(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    unauthorized = await client.get("/api/v1/integrations", headers={"Origin": VENDO_ORIGIN})
    assert_text(unauthorized, 401, UNAUTHORIZED)
    assert cors_headers(unauthorized) == {
        "access-control-allow-origin": VENDO_ORIGIN,
        "vary": "Origin",
    }
    missing = await client.get(
        "/api/v1/integrations/nope", headers={**headers, "Origin": VENDO_ORIGIN}
    )
    assert_text(missing, 404, INTEGRATION_NOT_FOUND)
    assert cors_headers(missing) == {"access-control-allow-origin": VENDO_ORIGIN, "vary": "Origin"}


async def test_v1_cors_on_install_answer(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**headers, "Origin": VENDO_ORIGIN},
        json={},
    )
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": VENDO_ORIGIN, "vary": "Origin"}


async def test_v1_no_cors_headers_without_origin(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations", headers=headers)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    unauthorized = await client.get("/api/v1/integrations")
    assert unauthorized.status_code == 401
    assert cors_headers(unauthorized) == {}


async def test_no_cors_on_api_integrations(client: httpx.AsyncClient, demo: None) -> None:
    listed = await client.get("/api/integrations", headers={"Origin": VENDO_ORIGIN})
    assert listed.status_code == 200
    assert cors_headers(listed) == {}
    preflight = await client.options(
        "/api/integrations",
        headers={"Origin": VENDO_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code != 204
    assert cors_headers(preflight) == {}
    saved = await client.post("/api/integrations", headers={"Origin": VENDO_ORIGIN}, json=[])
    assert saved.status_code == 401
    assert cors_headers(saved) == {}


async def test_no_cors_on_session_cookie_routes(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get(
        "/api/integrations/openai", headers={**demo_headers, "Origin": VENDO_ORIGIN}
    )
    assert response.status_code == 200
    assert cors_headers(response) == {}


async def test_v1_session_cookie_with_key_does_not_change_identity(
    client: httpx.AsyncClient, sessions: Sessions, app_key: str
) -> None:
    """A cookie of another user alongside the key: the key decides, and the cookie is ignored."""
    cookie = session_headers(await sessions.create("someone@example.com"))
    response = await client.get(
        "/api/v1/integrations", headers={**bearer(app_key, "demo"), **cookie}
    )
    assert response.status_code == 200
