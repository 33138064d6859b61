"""``/api/v1/*``: which credentials count, the ``X-Account-ID`` header, and which accounts
a credential may act for (CONTRACT.md §4, §3.2; docs/decisions/0024, 0025)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from app.models import Tenant
from app.runtime import Runtime
from tests.conftest import JWT_SECRET
from tests.legacy_rest.v1_integrations.helpers import (
    ACCOUNT_NOT_FOUND,
    ACCOUNT_PATHS,
    ENABLED,
    MISSING_ACCOUNT,
    POST_PATHS,
    UNAUTHORIZED,
    Demo,
)
from tests.support.catalog import state_of
from tests.support.credentials import bearer, identity_jwt, mint_key
from tests.support.http import assert_text

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
    response = await client.get("/api/v1/integrations", headers=bearer(token, "demo"))
    assert_text(response, 401, UNAUTHORIZED)


async def test_v1_list_with_non_bearer_scheme_is_unauthorized(
    client: httpx.AsyncClient, app_key: str
) -> None:
    response = await client.get(
        "/api/v1/integrations",
        headers={"Authorization": f"Basic {app_key}", "X-Account-ID": "demo"},
    )
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
    response = await client.get("/api/v1/integrations", headers=bearer(token, "demo"))
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
    response = await client.get(path, headers=bearer(app_key))
    assert_text(response, 400, MISSING_ACCOUNT)


@pytest.mark.parametrize("path", POST_PATHS)
async def test_v1_post_without_account_header_is_bad_request(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str, path: str
) -> None:
    response = await client.post(path, headers=bearer(app_key), json={})
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
    response = await client.get("/api/v1/integrations/no-such-thing", headers=bearer(app_key))
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
# Each credential of CONTRACT.md §4


async def test_v1_list_accepts_an_app_key(client: httpx.AsyncClient, app_key: str) -> None:
    response = await client.get("/api/v1/integrations", headers=bearer(app_key, "demo"))
    assert response.status_code == 200
    assert response.json()["total"] == len(ENABLED)


async def test_v1_list_accepts_a_connection_key(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo
) -> None:
    key = await mint_key(runtime, connection_id=ids.connection_id)
    response = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert response.status_code == 200
    assert response.json()["total"] == len(ENABLED)


async def test_v1_list_accepts_an_identity_jwt(client: httpx.AsyncClient, ids: Demo) -> None:
    response = await client.get(
        "/api/v1/integrations", headers=bearer(identity_jwt(ids.user_id), "demo")
    )
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
    response = await client.get("/api/v1/integrations", headers=bearer(token, "demo"))
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
            f"/api/v1/integrations/{provider}/install", headers=bearer(token, "demo"), json={}
        )
        assert response.status_code == 200, (provider, response.text)
        assert response.json()["status"] == "installed"
