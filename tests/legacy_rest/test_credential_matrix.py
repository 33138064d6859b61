"""Every legacy route × every way its credential can fail — missing, malformed, expired, revoked —
drawn from the route table: each row's ``auth`` says which credentials it reads and where
(CONTRACT.md §3.2, §3.3). A route that requires a credential refuses a failed one with 401 in its
envelope (§3.4) and writes nothing; a route where one is optional answers a failed one exactly as
it answers an anonymous caller. Each case first sends the live credential and checks that it is
answered otherwise, so that no case can pass by accident.

Then every route that requires a credential × every kind of live credential (App Key,
Connection Key, identity JWT, session cookie, each in the usual header): the kinds its ``auth``
accepts are let through, the others are refused with 401 in its envelope — the matrix of §3.3."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from app.models import APP_KEY, CONNECTION_KEY, utcnow
from app.runtime import Runtime
from app.services.auth import Credential
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import SAFE_METHODS, LegacyRoute
from legacy_rest.routes import ROUTES
from tests.conftest import Sessions, session_headers
from tests.support.credentials import (
    demo_key,
    expire_session,
    identity_jwt,
    revoke_key,
    revoke_session,
    user_id_of,
)
from tests.support.http import assert_json, assert_text
from tests.support.sql import snapshot

DEMO_EMAIL = "demo@vendo.local"
UNAUTHORIZED = "Unauthorized"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Secrets at rest can be written: the live bulk save and install succeed."""
    return {"secret_keys": Fernet.generate_key().decode()}


# --------------------------------------------------------------------------------------------
# The credentials: each one live first, then broken the way the case says


@dataclass
class Presented:
    """A credential as sent, and how to break it afterwards (None: sent broken already)."""

    headers: dict[str, str]
    breaks: Callable[[], Awaitable[None]] | None = None


Make = Callable[[LegacyRoute, Runtime, Sessions], Awaitable[Presented]]


def in_header(name: str, token: str) -> dict[str, str]:
    """``Authorization: Bearer <token>``; other headers (``X-Authorization``) carry it bare."""
    if name == "authorization":
        return {"Authorization": f"Bearer {token}"}
    return {name.title(): token}


async def session_cookie(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    # The demo user, made staff: staff-only and workspace-dependent answers both differ.
    headers = session_headers(await sessions.create(DEMO_EMAIL, staff=True))
    return Presented(headers)


async def expired_session(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    presented = await session_cookie(route, runtime, sessions)
    presented.breaks = lambda: expire_session(runtime, presented.headers)
    return presented


async def revoked_session(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    presented = await session_cookie(route, runtime, sessions)
    presented.breaks = lambda: revoke_session(runtime, presented.headers)
    return presented


def key_of(kind: str, header: str, *, revoked: bool) -> Make:
    async def make(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
        key = await demo_key(runtime, kind)
        presented = Presented(in_header(header, key))

        async def expire() -> None:  # a key of the same scope that expired a second ago
            old = await demo_key(runtime, kind, expires_at=utcnow() - timedelta(seconds=1))
            presented.headers.update(in_header(header, old))

        presented.breaks = (lambda: revoke_key(runtime, key)) if revoked else expire
        return presented

    return make


def expired_jwt(header: str) -> Make:
    async def make(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
        await sessions.create(DEMO_EMAIL, staff=True)
        user = await user_id_of(runtime, DEMO_EMAIL)
        presented = Presented(in_header(header, identity_jwt(user)))

        async def expire() -> None:  # past the 30 s leeway
            token = identity_jwt(user, expires_in=timedelta(seconds=-60))
            presented.headers.update(in_header(header, token))

        presented.breaks = expire
        return presented

    return make


async def missing(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    return Presented({})


async def malformed_cookie(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    return Presented({"Cookie": "vendo_session=garbage"})


def malformed_bearer(header: str) -> Make:
    async def make(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
        return Presented(in_header(header, "garbage"))

    return make


def failures(route: LegacyRoute) -> dict[str, Make]:
    """The ways a credential the route reads can fail, by name."""
    accept = route.auth.accept
    cases: dict[str, Make] = {}
    if route.auth.required:
        cases["missing"] = missing
    if Credential.SESSION in accept:
        cases |= {
            "malformed-cookie": malformed_cookie,
            "expired-session": expired_session,
            "revoked-session": revoked_session,
        }
    keys = ((Credential.APP_KEY, APP_KEY), (Credential.CONNECTION_KEY, CONNECTION_KEY))
    for header in route.auth.bearer_headers if accept - {Credential.SESSION} else ():
        cases[f"malformed-{header}"] = malformed_bearer(header)
        for credential, kind in keys:
            if credential in accept:
                name = f"{credential.value}-in-{header}"
                cases[f"expired-{name}"] = key_of(kind, header, revoked=False)
                cases[f"revoked-{name}"] = key_of(kind, header, revoked=True)
        if Credential.JWT in accept:
            cases[f"expired-jwt-in-{header}"] = expired_jwt(header)
    return cases


CASES = [
    pytest.param(route, name, make, id=f"{route.method} {route.path} {name}")
    for route in ROUTES
    if route.auth.accept
    for name, make in failures(route).items()
]


# --------------------------------------------------------------------------------------------
# The requests


async def send(
    client: httpx.AsyncClient, route: LegacyRoute, credential: dict[str, str]
) -> httpx.Response:
    """The route's documented example request, with ``credential``'s headers."""
    example = route.example or {}
    path = route.path.format(**example.get("path", {}))
    headers = {**example.get("headers", {}), **credential}
    if route.method in SAFE_METHODS:
        return await client.request(
            route.method, path, params=example.get("query"), headers=headers
        )
    # A cookie write must say it sends JSON, even with no body (legacy_rest/cookie_writes.py).
    headers["Content-Type"] = "application/json"
    body = example.get("body")
    content = b"" if body is None else httpx.Request("POST", "/", json=body).content
    return await client.request(route.method, path, content=content, headers=headers)


def assert_refused(
    route: LegacyRoute, response: httpx.Response, message: str = UNAUTHORIZED
) -> None:
    """401 in the route's envelope."""
    if route.envelope is Envelope.TEXT:
        assert_text(response, 401, message)
    elif route.envelope is Envelope.NESTED:
        assert_json(response, 401, {"error": {"message": message}})
    else:
        assert route.envelope is Envelope.FLAT, route.envelope  # a new envelope: say its body
        assert_json(response, 401, {"message": message})


def refusal_message(route: LegacyRoute, failure: str) -> str:
    """What a route says of a failed credential: its own words when no token was sent at all
    (the balance routes: "Missing Bearer token"), "Unauthorized" otherwise."""
    return route.auth.missing.default_message if failure == "missing" else UNAUTHORIZED


def answer(response: httpx.Response) -> tuple[int, str | None, bytes]:
    return response.status_code, response.headers.get("content-type"), response.content


# --------------------------------------------------------------------------------------------
# The matrix


@pytest.mark.parametrize(("route", "failure", "make"), CASES)
async def test_failed_credential_is_refused_or_anonymous(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    route: LegacyRoute,
    failure: str,
    make: Make,
) -> None:
    presented = await make(route, runtime, sessions)
    if presented.breaks is not None:
        live = await send(client, route, presented.headers)
        if route.auth.required:
            assert live.status_code != 401, live.text
        else:
            anonymous = await send(client, route, {})
            assert answer(live) != answer(anonymous), "the live credential changes nothing"
        await presented.breaks()

    before = await snapshot(runtime)
    response = await send(client, route, presented.headers)
    if route.auth.required:
        assert_refused(route, response, refusal_message(route, failure))
    else:
        assert answer(response) == answer(await send(client, route, {}))
    assert await snapshot(runtime) == before, "a failed credential wrote something"


# --------------------------------------------------------------------------------------------
# The kinds of live credential each route takes (CONTRACT.md §3.3)


async def live_app_key(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    return Presented(in_header("authorization", await demo_key(runtime, APP_KEY)))


async def live_connection_key(
    route: LegacyRoute, runtime: Runtime, sessions: Sessions
) -> Presented:
    return Presented(in_header("authorization", await demo_key(runtime, CONNECTION_KEY)))


async def live_jwt(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    await sessions.create(DEMO_EMAIL, staff=True)
    token = identity_jwt(await user_id_of(runtime, DEMO_EMAIL))
    return Presented(in_header("authorization", token))


KINDS: dict[Credential, Make] = {
    Credential.APP_KEY: live_app_key,
    Credential.CONNECTION_KEY: live_connection_key,
    Credential.JWT: live_jwt,
    Credential.SESSION: session_cookie,
}


def takes(route: LegacyRoute, kind: Credential) -> bool:
    """Whether the route reads this kind where the case sends it (keys and JWTs: the
    Authorization header; sessions: the cookie)."""
    if kind not in route.auth.accept:
        return False
    return kind is Credential.SESSION or "authorization" in route.auth.bearer_headers


KIND_CASES = [
    pytest.param(route, kind, id=f"{route.method} {route.path} {kind.value}")
    for route in ROUTES
    if route.auth.required
    for kind in KINDS
]


@pytest.mark.parametrize(("route", "kind"), KIND_CASES)
async def test_live_credential_is_taken_or_refused_by_kind(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    route: LegacyRoute,
    kind: Credential,
) -> None:
    presented = await KINDS[kind](route, runtime, sessions)
    response = await send(client, route, presented.headers)
    if takes(route, kind):
        assert response.status_code != 401, response.text
    else:
        # A cookie alone is no Bearer token: a route that words a missing one says so.
        sent_bearer = kind is not Credential.SESSION
        assert_refused(
            route, response, refusal_message(route, "other" if sent_bearer else "missing")
        )
