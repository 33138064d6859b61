"""Cross-site writes with the session cookie (legacy_rest/cookie_writes.py): what an HTML form or
a page of another origin can make the browser send to ``POST /api/integrations/{slug}``,
``…/regenerate``, the bulk save, ``POST /api/connections/{id}/keys`` and
``DELETE /api/keys/{id}`` is refused — 403 for a foreign ``Origin``, 415 for a missing
or form/text content type — before anything is read or written; curl, servers and Bearer
callers are unaffected."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from starlette.applications import Starlette

from app.models import ApiKey, App, Connection, User
from app.runtime import Runtime
from app.services.auth import hash_token
from tests.conftest import Sessions, session_headers
from tests.support.browser import FORM_CONTENT_TYPES as BROWSER_FORM_CONTENT_TYPES
from tests.support.credentials import demo_key, identity_jwt, mint_key
from tests.support.http import assert_json
from tests.support.sql import snapshot

UNSUPPORTED = {"message": "Content-Type must be application/json"}
FOREIGN_ORIGIN = {"message": "Origin not allowed"}
UNAUTHORIZED = {"message": "Unauthorized"}
RATE_LIMITED = {"message": "Rate limit exceeded"}
CONFIGURED = "https://app.example.com"
JSON_TYPE = {"Content-Type": "application/json"}

FORM_CONTENT_TYPES = [None, "", "text/plain", *BROWSER_FORM_CONTENT_TYPES]
FOREIGN_ORIGINS = [
    "https://evil.example.com",
    "http://testserver.evil.net",
    "http://evil.testserver",
    "https://testserver",  # another scheme
    "http://testserver:8080",  # another port
    "http://testserver/",  # not an origin
    "https://app.example.com.evil.net",
    "https://APP.example.com",  # configured origins are matched exactly, as on /graphql
    "null",
    "",
]
OWN_ORIGINS = [None, "http://testserver", "http://testserver:80", CONFIGURED]
SAVE_ITEM = {
    "name": "csrf-probe",
    "type": "sendgrid",
    "category": "EMAIL",
    "description": "Written only by a request that passes the checks",
    "enabled": True,
    "configuration": {"api_key": "SG.probe"},
    "apis": [],
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "graphql_cors_origins": CONFIGURED,
        "secret_keys": Fernet.generate_key().decode(),
        "integration_rate_limit": "1000/minute",
    }


@pytest.fixture(params=["toggle", "regenerate", "bulk save", "mint key", "revoke key"])
async def write(
    request: pytest.FixtureRequest, demo: None, sessions: Sessions, runtime: Runtime
) -> dict[str, Any]:
    """A cookie write that succeeds (or, for regenerate, answers its documented 400) when sent
    as the dashboard sends it: method, path, JSON body, session cookie and the answer then."""
    if request.param in ("mint key", "revoke key"):
        return await key_write(request.param, runtime, sessions)
    if request.param == "bulk save":
        cookie = session_headers(await sessions.create("root@example.com", staff=True))
        return {"path": "/api/integrations", "body": [SAVE_ITEM], "cookie": cookie, "ok": 200}
    cookie = session_headers(await sessions.create("demo@vendo.local"))
    if request.param == "toggle":
        body = {"enabled": True}
        return {"path": "/api/integrations/telegram", "body": body, "cookie": cookie, "ok": 200}
    path = "/api/integrations/openrouter/regenerate"
    return {"path": path, "body": None, "cookie": cookie, "ok": 400}


async def key_write(which: str, runtime: Runtime, sessions: Sessions) -> dict[str, Any]:
    """Minting a Connection Key for the demo OpenRouter connection (201), or revoking an App
    Key of the demo workspace (200, and 200 again)."""
    cookie = session_headers(await sessions.create("demo@vendo.local"))
    async with runtime.db.read() as session:
        if which == "mint key":
            found = await session.scalar(
                select(Connection.id).where(Connection.provider == "openrouter")
            )
            return {"path": f"/api/connections/{found}/keys", "body": None, "cookie": cookie,
                    "ok": 201}  # fmt: skip
    key = await demo_key(runtime)
    async with runtime.db.read() as session:
        found = await session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_token(key)))
    return {"method": "DELETE", "path": f"/api/keys/{found}", "body": None, "cookie": cookie,
            "ok": 200}  # fmt: skip


async def send(
    client: httpx.AsyncClient,
    write: dict[str, Any],
    *,
    content_type: str | None = "application/json",
    origin: str | None = None,
    **headers: str,
) -> httpx.Response:
    """The write's JSON bytes, with the cookie, the content type and the Origin given."""
    extra = dict(headers)
    if content_type is not None:
        extra["Content-Type"] = content_type
    if origin is not None:
        extra["Origin"] = origin
    body = b"" if write["body"] is None else httpx.Request("POST", "/", json=write["body"]).content
    method = write.get("method", "POST")
    return await client.request(
        method, write["path"], content=body, headers={**write["cookie"], **extra}
    )


async def send_each_unchanged(
    client: httpx.AsyncClient, runtime: Runtime, write: dict[str, Any], **variants: list[Any]
) -> list[httpx.Response]:
    """Send the write once per value of the one keyword given (``origin=[...]`` or
    ``content_type=[...]``) and check that none of them changed a row."""
    ((name, values),) = variants.items()
    before = await snapshot(runtime)
    responses = [await send(client, write, **{name: value}) for value in values]
    assert await snapshot(runtime) == before
    return responses


# --------------------------------------------------------------------------------------------
# 415: what a form can send


async def test_cookie_write_with_form_or_missing_content_type_is_415_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, write: dict[str, Any]
) -> None:
    responses = await send_each_unchanged(client, runtime, write, content_type=FORM_CONTENT_TYPES)
    for content_type, response in zip(FORM_CONTENT_TYPES, responses, strict=True):
        assert_json(response, 415, UNSUPPORTED)
        if content_type is None:
            assert "content-type" not in response.request.headers


async def test_cookie_write_with_json_content_type_runs(
    client: httpx.AsyncClient, runtime: Runtime, write: dict[str, Any]
) -> None:
    before = await snapshot(runtime)
    for content_type in ("application/json", "application/json; charset=utf-8"):
        response = await send(client, write, content_type=content_type)
        assert response.status_code == write["ok"], response.text
    if write["ok"] in (200, 201):
        assert await snapshot(runtime) != before


async def test_cookie_write_refused_before_authentication(
    client: httpx.AsyncClient, write: dict[str, Any]
) -> None:
    """An unusable cookie is still a cookie the browser attached: the same 415, no lookup."""
    garbage = {**write, "cookie": {"Cookie": "vendo_session=garbage"}}
    assert_json(await send(client, garbage, content_type="text/plain"), 415, UNSUPPORTED)
    response = await send(client, garbage)
    assert_json(response, 401, UNAUTHORIZED)


async def test_write_without_cookie_is_401_whatever_its_content_type(
    client: httpx.AsyncClient, write: dict[str, Any]
) -> None:
    anonymous = {**write, "cookie": {}}
    for content_type in ("text/plain", None, "application/json"):
        assert_json(await send(client, anonymous, content_type=content_type), 401, UNAUTHORIZED)


@pytest.mark.parametrize("settings_overrides", [{"integration_rate_limit": "2/minute"}])
async def test_refused_cookie_writes_spend_no_limit(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    toggle = {"path": "/api/integrations/sendgrid", "body": {"enabled": True}}
    write = {**toggle, "cookie": demo_headers}
    for _ in range(5):
        assert_json(await send(client, write, content_type="text/plain"), 415, UNSUPPORTED)
        assert_json(await send(client, write, origin="https://evil.example"), 403, FOREIGN_ORIGIN)
    for _ in range(2):
        assert_json(await send(client, write), 200, {"enabled": True})
    assert_json(await send(client, write), 429, RATE_LIMITED)


# --------------------------------------------------------------------------------------------
# 403: a foreign Origin


async def test_cookie_write_from_a_foreign_origin_is_403_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, write: dict[str, Any]
) -> None:
    for response in await send_each_unchanged(client, runtime, write, origin=FOREIGN_ORIGINS):
        assert_json(response, 403, FOREIGN_ORIGIN)


async def test_cookie_write_foreign_origin_is_checked_before_content_type(
    client: httpx.AsyncClient, write: dict[str, Any]
) -> None:
    response = await send(client, write, content_type="text/plain", origin="https://evil.example")
    assert_json(response, 403, FOREIGN_ORIGIN)


async def test_cookie_write_from_own_or_configured_origin_or_none_runs(
    client: httpx.AsyncClient, write: dict[str, Any]
) -> None:
    for origin in OWN_ORIGINS:
        response = await send(client, write, origin=origin)
        assert response.status_code == write["ok"], (origin, response.text)


async def test_cookie_write_own_origin_follows_the_request_scheme(
    app: Starlette, write: dict[str, Any]
) -> None:
    """Behind a TLS proxy uvicorn's proxy headers make the scheme https: the page's origin is
    then https://host, and http://host is another origin."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
        response = await send(https, write, origin="https://testserver")
        assert response.status_code == write["ok"], response.text
        response = await send(https, write, origin="https://testserver:443")
        assert response.status_code == write["ok"], response.text
        assert_json(await send(https, write, origin="http://testserver"), 403, FOREIGN_ORIGIN)


async def test_reads_with_the_cookie_from_a_foreign_origin_are_unaffected(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    headers = {**demo_headers, "Origin": "https://evil.example.com"}
    response = await client.get("/api/integrations", headers=headers)
    assert response.status_code == 200
    assert isinstance(response.json(), list)  # the signed-in shape: the cookie was read


# --------------------------------------------------------------------------------------------
# Bearer callers


@pytest.mark.parametrize("header", ["Authorization", "X-Authorization"])
async def test_bulk_save_with_a_bearer_token_is_unaffected(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, header: str
) -> None:
    """A staff JWT in a header no page can set cross-site: neither the content type nor the
    Origin is checked, the cookie beside it notwithstanding (as before: the body is JSON
    whatever its label)."""
    cookie = session_headers(await sessions.create("root@example.com", staff=True))
    async with runtime.db.read() as session:
        staff_id = await session.scalar(select(User.id).where(User.email == "root@example.com"))
    assert staff_id is not None
    token = identity_jwt(staff_id)
    value = f"Bearer {token}" if header == "Authorization" else token
    write = {"path": "/api/integrations", "body": [SAVE_ITEM], "cookie": cookie}
    for content_type, created in (("text/plain", True), (None, False)):
        response = await send(
            client,
            write,
            content_type=content_type,
            origin="https://evil.example.com",
            **{header: value},
        )
        assert response.status_code == 200, response.text
        [saved] = response.json()["integrations"]
        assert (saved["name"], saved["created"]) == ("csrf-probe", created)


async def test_v1_writes_do_not_read_the_cookie_and_are_unaffected(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    """/api/v1/* takes Bearer credentials only: a cookie beside one changes nothing."""
    async with runtime.db.read() as session:
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
    key = await mint_key(runtime, app_id=app_id)
    headers = {
        **demo_headers,
        "Authorization": f"Bearer {key}",
        "X-Account-ID": "demo",
        "Origin": "https://evil.example.com",
    }
    response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    assert response.status_code == 200, response.text
