"""Every legacy route × every way its credential can fail — missing, malformed, expired, revoked,
a key whose app or connection is another workspace's — and × every live credential of a kind it
does not take, drawn from the route table: each row's ``auth`` says which credentials it reads
and where (CONTRACT.md §3.2, §3.3). A route that requires a credential refuses a failed one, or
one of another kind, with 401 in its envelope (§3.4) and writes nothing; a route where one is
optional answers it exactly as it answers an anonymous caller. Each failure case first sends the
live credential and checks that it is answered otherwise, so that no case can pass by
accident."""

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
    move_key_to,
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


def key_of(kind: str, header: str, *, breaking: str) -> Make:
    async def make(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
        key = await demo_key(runtime, kind)
        presented = Presented(in_header(header, key))

        async def expire() -> None:  # a key of the same scope that expired a second ago
            old = await demo_key(runtime, kind, expires_at=utcnow() - timedelta(seconds=1))
            presented.headers.update(in_header(header, old))

        breaks = {
            "revoked": lambda: revoke_key(runtime, key),
            "expired": expire,
            "foreign": lambda: move_key_to(runtime, key, "admin"),
        }
        presented.breaks = breaks[breaking]
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
                for breaking in ("expired", "revoked", "foreign"):
                    cases[f"{breaking}-{name}"] = key_of(kind, header, breaking=breaking)
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


def assert_refused(route: LegacyRoute, response: httpx.Response, failure: str) -> None:
    """401 in the route's envelope; with no credential at all, in the route's words for that."""
    message = route.auth.missing.default_message if failure == "missing" else UNAUTHORIZED
    if route.envelope is Envelope.TEXT:
        assert_text(response, 401, message)
    elif route.envelope is Envelope.NESTED:
        assert_json(response, 401, {"error": {"message": message}})
    else:
        assert route.envelope is Envelope.FLAT, route.envelope  # a new envelope: say its body
        assert_json(response, 401, {"message": message})


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
        assert_refused(route, response, failure)
    else:
        assert answer(response) == answer(await send(client, route, {}))
    assert await snapshot(runtime) == before, "a failed credential wrote something"


# --------------------------------------------------------------------------------------------
# The "no" cells of §3.3: a live credential of a kind the route does not take


async def live_jwt(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
    await sessions.create(DEMO_EMAIL, staff=True)
    return Presented(
        in_header("authorization", identity_jwt(await user_id_of(runtime, DEMO_EMAIL)))
    )


def live_key(kind: str) -> Make:
    async def make(route: LegacyRoute, runtime: Runtime, sessions: Sessions) -> Presented:
        return Presented(in_header("authorization", await demo_key(runtime, kind)))

    return make


KINDS: dict[Credential, Make] = {
    Credential.SESSION: session_cookie,
    Credential.APP_KEY: live_key(APP_KEY),
    Credential.CONNECTION_KEY: live_key(CONNECTION_KEY),
    Credential.JWT: live_jwt,
}
OTHER_KINDS = [
    pytest.param(route, kind, id=f"{route.method} {route.path} {kind.value}")
    for route in ROUTES
    if route.auth.accept
    for kind in Credential
    if kind not in route.auth.accept
]


@pytest.mark.parametrize(("route", "kind"), OTHER_KINDS)
async def test_credential_of_another_kind_is_refused_or_anonymous(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    route: LegacyRoute,
    kind: Credential,
) -> None:
    presented = await KINDS[kind](route, runtime, sessions)
    before = await snapshot(runtime)
    response = await send(client, route, presented.headers)
    if route.auth.required:
        assert_refused(route, response, "missing" if kind is Credential.SESSION else kind.value)
    else:
        assert answer(response) == answer(await send(client, route, {}))
    assert await snapshot(runtime) == before, "a refused credential wrote something"


# The "yes" cells of §3.3: a live credential of each kind the route takes, where it reads it
# (keys and JWTs: the Authorization header; sessions: the cookie).
TAKEN_KINDS = [
    pytest.param(route, kind, id=f"{route.method} {route.path} {kind.value}")
    for route in ROUTES
    if route.auth.required
    for kind in sorted(route.auth.accept, key=lambda kind: kind.value)
    if kind is Credential.SESSION or "authorization" in route.auth.bearer_headers
]


@pytest.mark.parametrize(("route", "kind"), TAKEN_KINDS)
async def test_live_credential_of_a_kind_the_route_takes_is_let_through(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    route: LegacyRoute,
    kind: Credential,
) -> None:
    presented = await KINDS[kind](route, runtime, sessions)
    response = await send(client, route, presented.headers)
    assert response.status_code != 401, response.text
