"""``POST /api/integrations``: staff credentials, from which headers, and who is refused
(CONTRACT.md §5; docs/decisions/0031)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from app.models import APP_KEY, App
from app.repositories import keys
from app.runtime import Runtime
from app.services.auth import hash_token, new_api_key
from tests.conftest import JWT_SECRET, session_headers
from tests.legacy_rest.bulk_save.helpers import FORBIDDEN, UNAUTHORIZED, integration, item, post
from tests.support.credentials import identity_jwt, user_id_of
from tests.support.http import assert_json


async def test_bulk_save_without_credentials_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for path in ("/api/integrations", "/api/integrations/"):
        response = await post(client, [item("x")], {}, path)
        assert_json(response, 401, UNAUTHORIZED)
    assert await integration(runtime, "x") is None


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Authorization": "garbage"},
        {"X-Authorization": "Bearer garbage"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "garbage"},
        {"X-Authorization": "a.b.c"},
        {"Cookie": "vendo_session=vs_unknown"},
        {"X-Authorization": "vs_" + "x" * 43},
    ],
    ids=["x-bare", "x-bearer", "bearer", "no-scheme", "three-segments", "cookie", "x-session"],
)
async def test_bulk_save_with_invalid_credentials_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await post(client, [item("x")], headers)
    assert_json(response, 401, UNAUTHORIZED)
    assert await integration(runtime, "x") is None


async def test_bulk_save_with_jwt_signed_by_another_key_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, staff_session: str
) -> None:
    user = await user_id_of(runtime, "root@example.com")
    token = jwt.encode(
        {"sub": str(user), "aud": "authenticated", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-secret-that-is-also-long-enough!!",
        algorithm="HS256",
    )
    response = await post(client, [item("x")], {"X-Authorization": token})
    assert_json(response, 401, UNAUTHORIZED)


async def test_bulk_save_with_jwt_without_exp_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, staff_session: str
) -> None:
    user = await user_id_of(runtime, "root@example.com")
    token = jwt.encode({"sub": str(user), "aud": "authenticated"}, JWT_SECRET, algorithm="HS256")
    response = await post(client, [item("x")], {"X-Authorization": token})
    assert_json(response, 401, UNAUTHORIZED)


async def test_bulk_save_with_an_app_key_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    key = new_api_key()
    async with runtime.db.write() as session, session.begin():
        app_row = (await session.execute(select(App).limit(1))).scalar_one()
        await keys.create_key(
            session=session,
            kind=APP_KEY,
            tenant_id=app_row.tenant_id,
            scope_id=app_row.id,
            key_hash=hash_token(key),
            prefix=key[:13],
            expires_at=None,
        )
    for headers in ({"X-Authorization": key}, {"Authorization": f"Bearer {key}"}):
        response = await post(client, [item("x")], headers)
        assert_json(response, 401, UNAUTHORIZED)


async def test_bulk_save_non_staff_session_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime, member_session: str
) -> None:
    for headers in (
        session_headers(member_session),
        {"X-Authorization": member_session},
        {"Authorization": f"Bearer {member_session}"},
    ):
        response = await post(client, [item("x")], headers)
        assert_json(response, 403, FORBIDDEN)
    assert await integration(runtime, "x") is None


async def test_bulk_save_non_staff_jwt_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime, member_session: str
) -> None:
    token = identity_jwt(await user_id_of(runtime, "member@example.com"))
    for headers in ({"X-Authorization": token}, {"Authorization": f"Bearer {token}"}):
        response = await post(client, [item("x")], headers)
        assert_json(response, 403, FORBIDDEN)
    assert await integration(runtime, "x") is None


async def test_bulk_save_non_staff_with_invalid_items_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime, member_session: str
) -> None:
    response = await post(client, [{"name": "-bad"}], session_headers(member_session))
    assert_json(response, 403, FORBIDDEN)


@pytest.mark.parametrize("path", ["/api/integrations", "/api/integrations/"])
@pytest.mark.parametrize("how", ["x-bare", "x-bearer", "bearer", "cookie", "x-session", "session"])
async def test_bulk_save_staff_is_accepted(
    client: httpx.AsyncClient,
    runtime: Runtime,
    staff_jwt: str,
    staff_session: str,
    path: str,
    how: str,
) -> None:
    headers = {
        "x-bare": {"X-Authorization": staff_jwt},
        "x-bearer": {"X-Authorization": f"Bearer {staff_jwt}"},
        "bearer": {"Authorization": f"Bearer {staff_jwt}"},
        "cookie": session_headers(staff_session),
        "x-session": {"X-Authorization": staff_session},
        "session": {"Authorization": f"Bearer {staff_session}"},
    }[how]
    response = await post(client, [item("mail-1")], headers, path)
    row = await integration(runtime, "mail-1")
    assert row is not None
    assert_json(
        response,
        200,
        {
            "integrations": [
                {
                    "id": str(row.id),
                    "name": "mail-1",
                    "type": "sendgrid",
                    "category": "EMAIL",
                    "created": True,
                }
            ]
        },
    )


async def test_bulk_save_invalid_x_authorization_falls_back_to_authorization(
    client: httpx.AsyncClient, staff_jwt: str
) -> None:
    response = await post(
        client,
        [item("mail-1")],
        {"X-Authorization": "garbage", "Authorization": f"Bearer {staff_jwt}"},
    )
    assert response.status_code == 200, response.text


async def test_bulk_save_unauthorized_comes_before_body_checks(
    client: httpx.AsyncClient,
) -> None:
    malformed = await client.post(
        "/api/integrations", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_json(malformed, 401, UNAUTHORIZED)
    invalid_items = await post(client, [{"name": "-"}], {})
    assert_json(invalid_items, 401, UNAUTHORIZED)
