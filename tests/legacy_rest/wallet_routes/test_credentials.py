"""Which credential the balance routes take, and how they tell a JWT from a key: dot-segment
counting (docs/CONTRACT.md §3.2). The matrix of every route and every failed or other-kind
credential is tests/legacy_rest/test_credential_matrix.py; here, what it cannot say."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.models import APP_KEY, ApiKey
from app.runtime import Runtime
from app.services.auth import hash_token
from tests.conftest import Sessions, session_headers
from tests.legacy_rest.wallet_routes.helpers import BILLING, CLI, MISSING, UNAUTHORIZED, V1
from tests.support.builders import add_rows
from tests.support.credentials import bearer, identity_jwt, tenant_of, user_id_of
from tests.support.http import assert_json


def refused(path: str, message: str) -> dict[str, object]:
    return {"message": message} if path == CLI else {"error": {"message": message}}


async def stored_key(runtime: Runtime, token: str) -> None:
    """``token`` stored as an App Key of the demo app, whatever its spelling."""
    from sqlalchemy import select

    from app.models import App

    tenant = await tenant_of(runtime, "demo@vendo.local")
    async with runtime.db.read() as session:
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
    key = ApiKey(
        kind=APP_KEY, tenant_id=tenant, app_id=app_id, key_hash=hash_token(token), prefix=token[:13]
    )
    await add_rows(runtime, key)


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
@pytest.mark.parametrize(
    "token",
    ["vendo_sk_one.two", "vendo_sk_a.b.c.d", "vendo_sk_a+b.c.d", "vendo_sk_a.b.c="],
    ids=["two-segments", "four-segments", "three-not-base64url", "padded"],
)
async def test_balance_looks_up_a_token_without_three_base64url_segments_as_a_key(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, path: str, token: str
) -> None:
    await stored_key(runtime, token)
    response = await client.get(path, headers=bearer(token))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
async def test_balance_treats_three_base64url_segments_as_a_jwt_even_if_stored_as_a_key(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo: None,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    token = "vendo_sk_abc.def.ghi"
    await stored_key(runtime, token)
    with caplog.at_level(logging.INFO, logger="vendo.auth"):
        response = await client.get(path, headers=bearer(token))
    assert_json(response, 401, refused(path, UNAUTHORIZED))
    if path == CLI:  # JWTs are not taken here: not even decoded
        assert "identity token refused" not in caplog.text
    else:
        assert "identity token refused: reason=malformed" in caplog.text


async def test_cli_balance_refuses_a_valid_identity_jwt(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    await sessions.create("demo@vendo.local")
    token = identity_jwt(await user_id_of(runtime, "demo@vendo.local"))
    assert (await client.get(V1, headers=bearer(token))).status_code == 200
    assert_json(await client.get(CLI, headers=bearer(token)), 401, {"message": UNAUTHORIZED})


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
async def test_balance_refuses_the_session_cookie_and_a_session_token_as_bearer(
    client: httpx.AsyncClient, sessions: Sessions, demo: None, path: str
) -> None:
    token = await sessions.create("demo@vendo.local")
    cookie = await client.get(path, headers=session_headers(token))
    assert_json(cookie, 401, refused(path, MISSING))
    as_bearer = await client.get(path, headers=bearer(token))
    assert_json(as_bearer, 401, refused(path, UNAUTHORIZED))


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, MISSING),
        ("", MISSING),
        ("Bearer", MISSING),
        ("Bearer   ", MISSING),
        ("Basic dXNlcjpwYXNz", MISSING),
        ("Bearer garbage", UNAUTHORIZED),
        ("Bearer a.b.c", UNAUTHORIZED),
        ("Bearer vendo_sk_" + "x" * 300, UNAUTHORIZED),
    ],
)
async def test_balance_without_a_usable_bearer_token_is_401(
    client: httpx.AsyncClient, demo: None, path: str, authorization: str | None, message: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_json(await client.get(path, headers=headers), 401, refused(path, message))
