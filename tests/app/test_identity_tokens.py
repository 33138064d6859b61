"""Identity tokens as Supabase issues them (CONTRACT.md §3.2): ``aud: authenticated``, the project's
``iss``, ``sub``/``email``, ``iat``/``exp``, signed HS256 with the project secret, RS256 with a
configured public key, or ES256/RS256 with keys published in the project's JWKS — served here by
a real HTTP server on 127.0.0.1. Audience, issuer, clock leeway, key rotation, the refetch
throttle, an unreachable JWKS, algorithm confusion, and the one INFO line per refused token."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError
from sqlalchemy import select

from app.models import Integration, User
from app.runtime import Runtime
from app.services.jwks import JwksKeys, max_age, parse_key_set
from app.settings import Settings
from tests.conftest import JWT_SECRET, GraphQLClient
from tests.support.clock import Clock
from tests.support.documents import VIEWER_QUERY
from tests.support.upstreams import running_upstream
from tests.upstream import Upstream

REF = "abcdefghijklmnopqrst"
ISSUER = f"https://{REF}.supabase.co/auth/v1"
JWKS_PATH = "/auth/v1/.well-known/jwks.json"
DEMO = {"email": "demo@vendo.local", "isStaff": False, "credential": "jwt"}
DEMO_VIEWER = {**DEMO, "workspace": {"slug": "demo"}}
UNAUTHORIZED = {"message": "Unauthorized"}
ENABLED_DEMO_INTEGRATIONS = 13


def _pem(private: Any) -> str:
    return private.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(private: Any) -> str:
    return (
        private.public_key()
        .public_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )


class SigningKey:
    """A private key, its ``kid`` and algorithm, and its public JWK as a JWKS publishes it."""

    def __init__(self, kid: str, algorithm: str) -> None:
        self.kid, self.algorithm = kid, algorithm
        if algorithm == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            public = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = {**public, "kid": kid, "alg": algorithm, "use": "sig", "key_ops": ["verify"]}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return jwt.encode(
            claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **header}
        )


EC_1 = SigningKey("ec-1-2f8a", "ES256")
EC_2 = SigningKey("ec-2-91c4", "ES256")
RSA_1 = SigningKey("rsa-1-7d3e", "RS256")
PEM_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # VENDO_JWT_PUBLIC_KEY's


def key_set(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk for key in keys]}


def supabase_claims(user_id: uuid.UUID | None, email: str, **changes: Any) -> dict[str, Any]:
    """An access token's claims as Supabase Auth writes them; a change to None drops a claim."""
    now = int(time.time())
    subject = str(user_id or uuid.uuid4())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": subject,
        "aud": "authenticated",
        "exp": now + 3600,
        "iat": now,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"email": email, "email_verified": True, "sub": subject},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def hs256(claims: dict[str, Any]) -> str:
    """Signed with the project's JWT secret; Supabase names that key too."""
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": "legacy-hs"})


def rs256_pem(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, PEM_KEY, algorithm="RS256")


SIGNERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "hs256-secret": hs256,
    "rs256-public-key": rs256_pem,
    "rs256-jwks": RSA_1.sign,
    "es256-jwks": EC_1.sign,
}


# --------------------------------------------------------------------------------------------
# Fixtures: every source configured together, a JWKS on 127.0.0.1, a clock to move


@pytest.fixture
async def jwks_server() -> AsyncIterator[Upstream]:
    cached = {"Cache-Control": "public, max-age=600"}
    async with running_upstream(key_set(EC_1, RSA_1), headers=cached) as server:
        yield server


@pytest.fixture
def settings_overrides(jwks_server: Upstream) -> dict[str, Any]:
    return {
        "jwt_public_key": _public_pem(PEM_KEY),
        "jwt_jwks_url": jwks_server.url_for(JWKS_PATH),
        "secret_keys": Fernet.generate_key().decode(),
    }


@pytest.fixture
def auth_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog, recording vendo.auth from INFO up (where refused tokens are logged)."""
    caplog.set_level(logging.INFO, logger="vendo.auth")
    return caplog


@pytest.fixture
def clock(runtime: Runtime) -> Clock:
    assert runtime.jwks is not None
    runtime.jwks.clock = clock = Clock()
    return clock


@pytest.fixture
async def ids(runtime: Runtime, demo: None) -> dict[str, uuid.UUID]:
    async with runtime.db.read() as session:
        rows = await session.execute(select(User.email, User.id))
    return {email: user_id for email, user_id in rows}


def demo_claims(ids: dict[str, uuid.UUID], **changes: Any) -> dict[str, Any]:
    return supabase_claims(ids["demo@vendo.local"], "demo@vendo.local", **changes)


async def viewer(gql: GraphQLClient, token: str) -> Any:
    result = await gql(VIEWER_QUERY, headers={"Authorization": f"Bearer {token}"})
    assert "errors" not in result, result
    return result["data"]["viewer"]


async def v1_list(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(
        "/api/v1/integrations",
        headers={"Authorization": f"Bearer {token}", "X-Account-ID": "demo"},
    )


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "vendo.auth"]


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


# --------------------------------------------------------------------------------------------
# A Supabase token signs in: GraphQL, /api/v1/*, the bulk save


@pytest.mark.parametrize("source", SIGNERS)
async def test_supabase_token_signs_in_on_graphql(
    gql: GraphQLClient, ids: dict[str, uuid.UUID], auth_log: pytest.LogCaptureFixture, source: str
) -> None:
    token = SIGNERS[source](demo_claims(ids))
    assert await viewer(gql, token) == DEMO_VIEWER
    assert refusals(auth_log) == []


@pytest.mark.parametrize("source", SIGNERS)
async def test_supabase_token_signs_in_on_v1(
    client: httpx.AsyncClient, ids: dict[str, uuid.UUID], source: str
) -> None:
    response = await v1_list(client, SIGNERS[source](demo_claims(ids)))
    assert response.status_code == 200, response.text
    assert response.json()["total"] == ENABLED_DEMO_INTEGRATIONS


@pytest.mark.parametrize("source", SIGNERS)
async def test_supabase_token_of_staff_saves_integrations(
    client: httpx.AsyncClient, runtime: Runtime, ids: dict[str, uuid.UUID], source: str
) -> None:
    token = SIGNERS[source](supabase_claims(ids["admin@vendo.local"], "admin@vendo.local"))
    carriers = {
        "x-bare": {"X-Authorization": token},
        "x-bearer": {"X-Authorization": f"Bearer {token}"},
        "bearer": {"Authorization": f"Bearer {token}"},
    }
    for name, headers in carriers.items():
        body = [{"name": f"mail-{name}", "type": "sendgrid", "configuration": {"api_key": "SG.x"}}]
        response = await client.post("/api/integrations", json=body, headers=headers)
        assert response.status_code == 200, (name, response.text)
    async with runtime.db.read() as session:
        saved = await session.scalars(
            select(Integration.provider).where(Integration.provider.startswith("mail-"))
        )
        assert sorted(saved) == ["mail-bearer", "mail-x-bare", "mail-x-bearer"]


async def test_supabase_token_of_a_member_may_not_bulk_save(
    client: httpx.AsyncClient, ids: dict[str, uuid.UUID]
) -> None:
    response = await client.post(
        "/api/integrations", json=[], headers={"X-Authorization": hs256(demo_claims(ids))}
    )
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


async def test_supabase_token_identifies_by_email_when_sub_is_unknown(
    gql: GraphQLClient, ids: dict[str, uuid.UUID]
) -> None:
    token = EC_1.sign(supabase_claims(uuid.uuid4(), "demo@vendo.local"))
    assert await viewer(gql, token) == DEMO_VIEWER


# --------------------------------------------------------------------------------------------
# Audience, issuer, leeway


@pytest.mark.parametrize(
    ("audience", "signed_in"),
    [
        ("authenticated", True),
        (["authenticated", "https://vendo.run"], True),
        ("anon", False),
        (["anon", "service_role"], False),
        (None, False),
    ],
    ids=["string", "list", "other", "other-list", "missing"],
)
async def test_audience_must_be_the_configured_one(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    ids: dict[str, uuid.UUID],
    auth_log: pytest.LogCaptureFixture,
    audience: Any,
    signed_in: bool,
) -> None:
    token = EC_1.sign(demo_claims(ids, aud=audience))
    assert await viewer(gql, token) == (DEMO_VIEWER if signed_in else None)
    assert (await v1_list(client, token)).status_code == (200 if signed_in else 401)
    assert refusals(auth_log) == (
        [] if signed_in else ["identity token refused: reason=audience"] * 2
    )


class TestOtherAudience:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"jwt_audience": "vendo-gateway"}

    async def test_audience_setting_replaces_authenticated(
        self, gql: GraphQLClient, ids: dict[str, uuid.UUID]
    ) -> None:
        assert await viewer(gql, hs256(demo_claims(ids))) is None
        assert await viewer(gql, hs256(demo_claims(ids, aud="vendo-gateway"))) == DEMO_VIEWER


async def test_issuer_is_not_checked_when_unset(
    gql: GraphQLClient, ids: dict[str, uuid.UUID]
) -> None:
    other = "https://zyxwvutsrqponmlkjihg.supabase.co/auth/v1"
    assert await viewer(gql, hs256(demo_claims(ids, iss=other))) == DEMO_VIEWER
    assert await viewer(gql, hs256(demo_claims(ids, iss=None))) == DEMO_VIEWER


class TestIssuer:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"jwt_issuer": ISSUER}

    @pytest.mark.parametrize(
        ("issuer", "signed_in"),
        [
            (ISSUER, True),
            ("https://zyxwvutsrqponmlkjihg.supabase.co/auth/v1", False),
            (ISSUER + "/", False),
            (None, False),
        ],
        ids=["ours", "another-project", "trailing-slash", "missing"],
    )
    async def test_issuer_must_match_when_set(
        self,
        gql: GraphQLClient,
        ids: dict[str, uuid.UUID],
        caplog: pytest.LogCaptureFixture,
        issuer: str | None,
        signed_in: bool,
    ) -> None:
        caplog.set_level(logging.INFO, logger="vendo.auth")
        found = await viewer(gql, hs256(demo_claims(ids, iss=issuer)))
        assert found == (DEMO_VIEWER if signed_in else None)
        assert refusals(caplog) == ([] if signed_in else ["identity token refused: reason=issuer"])


@pytest.mark.parametrize(
    ("claims", "refusal"),
    [
        ({"iat": +5}, None),  # our clock lags Supabase's by 5 s: right after sign-in
        ({"iat": +25}, None),
        ({"iat": +120}, "not_yet_valid"),
        ({"nbf": +5}, None),
        ({"nbf": +120}, "not_yet_valid"),
        ({"exp": -10}, None),  # our clock runs 10 s ahead
        ({"exp": -120}, "expired"),
        ({"exp": None}, "missing_exp"),
    ],
    ids=["iat-5s", "iat-25s", "iat-2min", "nbf-5s", "nbf-2min", "exp-10s", "exp-2min", "no-exp"],
)
async def test_clock_skew_within_the_leeway_is_accepted(
    gql: GraphQLClient,
    ids: dict[str, uuid.UUID],
    auth_log: pytest.LogCaptureFixture,
    claims: dict[str, int | None],
    refusal: str | None,
) -> None:
    now = int(time.time())
    changes = {name: None if shift is None else now + shift for name, shift in claims.items()}
    found = await viewer(gql, EC_1.sign(demo_claims(ids, **changes)))
    assert found == (None if refusal else DEMO_VIEWER)
    assert refusals(auth_log) == ([f"identity token refused: reason={refusal}"] if refusal else [])


class TestNoLeeway:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"jwt_leeway_seconds": 0}

    async def test_leeway_zero_refuses_an_iat_ahead_of_our_clock(
        self, gql: GraphQLClient, ids: dict[str, uuid.UUID]
    ) -> None:
        token = hs256(demo_claims(ids, iat=int(time.time()) + 5))
        assert await viewer(gql, token) is None


# --------------------------------------------------------------------------------------------
# The JWKS: rotation, cache lifetime, throttle, single flight, an unreachable endpoint


async def test_jwks_key_rotation(
    gql: GraphQLClient,
    runtime: Runtime,
    jwks_server: Upstream,
    ids: dict[str, uuid.UUID],
    clock: Clock,
    auth_log: pytest.LogCaptureFixture,
) -> None:
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
    assert jwks_server.hits == 1
    # Supabase publishes a standby key, then starts signing with it.
    jwks_server.answer(key_set(EC_2, EC_1), headers={"Cache-Control": "public, max-age=600"})
    clock.advance(31)
    assert await viewer(gql, EC_2.sign(demo_claims(ids))) == DEMO_VIEWER
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
    assert jwks_server.hits == 2
    # The old key is revoked: once the cached set has expired, it goes.
    jwks_server.answer(key_set(EC_2), headers={"Cache-Control": "public, max-age=600"})
    clock.advance(601)
    assert await viewer(gql, EC_2.sign(demo_claims(ids))) == DEMO_VIEWER  # stale, refreshing
    await until(lambda: jwks_server.hits == 3)
    assert runtime.jwks is not None
    await until(lambda: EC_1.kid not in runtime.jwks.keys)  # type: ignore[union-attr]
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) is None
    assert await viewer(gql, EC_2.sign(demo_claims(ids))) == DEMO_VIEWER
    assert jwks_server.hits == 3
    assert refusals(auth_log) == [f"identity token refused: reason=unknown_kid kid='{EC_1.kid}'"]


async def test_jwks_new_kid_within_30s_of_a_fetch_waits_for_the_next_window(
    gql: GraphQLClient, jwks_server: Upstream, ids: dict[str, uuid.UUID], clock: Clock
) -> None:
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
    jwks_server.answer(key_set(EC_1, EC_2))
    clock.advance(29)
    assert await viewer(gql, EC_2.sign(demo_claims(ids))) is None
    assert jwks_server.hits == 1
    clock.advance(1)
    assert await viewer(gql, EC_2.sign(demo_claims(ids))) == DEMO_VIEWER
    assert jwks_server.hits == 2


@pytest.mark.parametrize(
    ("cache_control", "fresh_for"),
    [("public, max-age=60", 60), (None, 600), ("no-store", 0), ("max-age=86400", 3600)],
    ids=["max-age", "default-10min", "no-store", "capped-1h"],
)
async def test_jwks_is_kept_for_its_max_age(
    gql: GraphQLClient,
    jwks_server: Upstream,
    ids: dict[str, uuid.UUID],
    clock: Clock,
    cache_control: str | None,
    fresh_for: int,
) -> None:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    jwks_server.answer(headers=headers)
    token = EC_1.sign(demo_claims(ids))
    assert await viewer(gql, token) == DEMO_VIEWER
    clock.advance(max(fresh_for, 30) - 1)
    assert await viewer(gql, token) == DEMO_VIEWER
    await asyncio.sleep(0.05)
    assert jwks_server.hits == 1
    clock.advance(1)
    assert await viewer(gql, token) == DEMO_VIEWER
    await until(lambda: jwks_server.hits == 2)


async def test_jwks_forged_kids_cause_no_refetch_storm(
    gql: GraphQLClient,
    jwks_server: Upstream,
    ids: dict[str, uuid.UUID],
    clock: Clock,
    auth_log: pytest.LogCaptureFixture,
) -> None:
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
    jwks_server.answer(delay=0.3)  # a fetch in flight while the forged tokens arrive

    def forged() -> str:
        return EC_1.sign(demo_claims(ids), kid=uuid.uuid4().hex)

    assert await asyncio.gather(*(viewer(gql, forged()) for _ in range(40))) == [None] * 40
    assert jwks_server.hits == 1  # within 30 s of the last fetch: none
    clock.advance(30)
    assert await asyncio.gather(*(viewer(gql, forged()) for _ in range(40))) == [None] * 40
    assert jwks_server.hits == 2  # one shared fetch for all forty
    found = refusals(auth_log)
    assert len(found) == 80
    assert all(m.startswith("identity token refused: reason=unknown_kid kid='") for m in found)


async def test_jwks_first_fetch_is_shared_by_concurrent_requests(
    gql: GraphQLClient, jwks_server: Upstream, ids: dict[str, uuid.UUID]
) -> None:
    jwks_server.answer(delay=0.3, headers={"Cache-Control": "max-age=600"})
    tokens = [EC_1.sign(demo_claims(ids)) for _ in range(15)] + [
        RSA_1.sign(demo_claims(ids)) for _ in range(15)
    ]
    assert await asyncio.gather(*(viewer(gql, t) for t in tokens)) == [DEMO_VIEWER] * 30
    assert jwks_server.hits == 1


async def test_jwks_down_keeps_the_keys_already_fetched(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    jwks_server: Upstream,
    ids: dict[str, uuid.UUID],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="vendo")
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
    await jwks_server.stop()  # connection refused from now on
    clock.advance(3600)
    for _ in range(3):
        assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
        assert (await v1_list(client, RSA_1.sign(demo_claims(ids)))).status_code == 200
    clock.advance(30)
    unknown = EC_2.sign(demo_claims(ids))
    assert await viewer(gql, unknown) is None
    response = await v1_list(client, unknown)
    assert response.status_code == 401
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    failed = "JWKS fetch failed, keeping the 2 keys fetched before: ConnectError: "
    assert [r.getMessage() for r in warnings] == [failed + "All connection attempts failed"] * 2


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 503, "body": b"upstream down"},
        {"body": b"<html>not json</html>", "content_type": "text/html"},
        {"body": b'{"error": "no keys here"}'},
        {"status": 302, "body": b"", "headers": {"Location": "http://127.0.0.1:1/"}},
    ],
    ids=["503", "html", "not-a-key-set", "redirect"],
)
async def test_jwks_bad_answers_keep_the_keys_and_answer_401_for_unknown(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    jwks_server: Upstream,
    ids: dict[str, uuid.UUID],
    clock: Clock,
    reply: dict[str, Any],
) -> None:
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER
    jwks_server.answer(**reply)
    clock.advance(31)
    response = await v1_list(client, EC_2.sign(demo_claims(ids)))
    assert response.status_code == 401
    assert jwks_server.hits == 2
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER


async def test_jwks_unreachable_from_the_start_answers_401(
    gql: GraphQLClient, client: httpx.AsyncClient, jwks_server: Upstream, ids: dict[str, uuid.UUID]
) -> None:
    await jwks_server.stop()
    token = EC_1.sign(demo_claims(ids))
    assert await viewer(gql, token) is None
    response = await v1_list(client, token)
    assert response.status_code == 401
    # The other sources do not depend on it.
    assert await viewer(gql, hs256(demo_claims(ids))) == DEMO_VIEWER
    assert await viewer(gql, rs256_pem(demo_claims(ids))) == DEMO_VIEWER


async def test_jwks_fetch_in_flight_is_cancelled_at_shutdown(jwks_server: Upstream) -> None:
    jwks_server.answer(delay=30)
    async with httpx.AsyncClient() as http:
        keys = JwksKeys(jwks_server.url_for(JWKS_PATH), http)
        waiting = asyncio.create_task(keys.key(EC_1.kid))
        await until(lambda: jwks_server.hits == 1)
        await asyncio.wait_for(keys.close(), timeout=1)
        with pytest.raises(asyncio.CancelledError):
            await waiting


# --------------------------------------------------------------------------------------------
# Algorithms: only the one each key allows


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A token PyJWT would refuse to write: HMAC with a public key, or a made-up signature.
    (With an empty signature it is not a JWT at all: two dots and three non-empty segments.)"""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = (
        b"forged" if secret is None else hmac.digest(secret, signing_input.encode(), "sha256")
    )
    return f"{signing_input}.{_b64(signature)}"


async def test_algorithm_hs256_signed_with_a_published_public_key_is_refused(
    gql: GraphQLClient, ids: dict[str, uuid.UUID], auth_log: pytest.LogCaptureFixture
) -> None:
    public_pem = _public_pem(RSA_1.private).encode()
    for secret in (public_pem, json.dumps(RSA_1.jwk).encode(), _public_pem(PEM_KEY).encode()):
        header = {"alg": "HS256", "typ": "JWT", "kid": RSA_1.kid}
        assert await viewer(gql, hand_signed(header, demo_claims(ids), secret)) is None
    assert refusals(auth_log) == ["identity token refused: reason=signature"] * 3


@pytest.mark.parametrize("algorithm", ["none", "None", "HS384", "HS512", ""])
async def test_algorithm_outside_the_keys_is_refused(
    gql: GraphQLClient,
    ids: dict[str, uuid.UUID],
    auth_log: pytest.LogCaptureFixture,
    algorithm: str,
) -> None:
    header = {"alg": algorithm, "typ": "JWT", "kid": EC_1.kid}
    secret = None if algorithm.lower() in ("none", "") else JWT_SECRET.encode()
    assert await viewer(gql, hand_signed(header, demo_claims(ids), secret)) is None
    assert refusals(auth_log) == [f"identity token refused: reason=algorithm alg={algorithm!r}"]


async def test_algorithm_must_be_the_one_of_the_key_named(
    gql: GraphQLClient, ids: dict[str, uuid.UUID], auth_log: pytest.LogCaptureFixture
) -> None:
    # An RS256 token naming the EC key, and an ES256 token naming the RSA key.
    assert await viewer(gql, RSA_1.sign(demo_claims(ids), kid=EC_1.kid)) is None
    assert await viewer(gql, EC_1.sign(demo_claims(ids), kid=RSA_1.kid)) is None
    assert refusals(auth_log) == [
        f"identity token refused: reason=algorithm alg='RS256' kid='{EC_1.kid}'",
        f"identity token refused: reason=algorithm alg='ES256' kid='{RSA_1.kid}'",
    ]


async def test_jwks_symmetric_key_is_never_used(
    gql: GraphQLClient, jwks_server: Upstream, ids: dict[str, uuid.UUID]
) -> None:
    secret = b"a-published-octet-key-of-32-bytes!!"
    oct_key = {"kty": "oct", "kid": "oct-1", "k": _b64(secret), "alg": "HS256"}
    jwks_server.answer({"keys": [oct_key, EC_1.jwk]})
    token = jwt.encode(demo_claims(ids), secret, algorithm="HS256", headers={"kid": "oct-1"})
    assert await viewer(gql, token) is None
    assert await viewer(gql, EC_1.sign(demo_claims(ids))) == DEMO_VIEWER


def test_jwks_parse_keeps_only_asymmetric_signing_keys() -> None:
    rsa_as_hs = {**RSA_1.jwk, "kid": "rsa-as-hs", "alg": "HS256"}
    encryption = {**EC_2.jwk, "kid": "enc", "use": "enc"}
    encrypt_only = {**EC_2.jwk, "kid": "wrap", "key_ops": ["encrypt"]}
    no_alg = {k: v for k, v in EC_2.jwk.items() if k != "alg"}
    no_kid = {k: v for k, v in EC_1.jwk.items() if k != "kid"}
    oct_no_alg = {"kty": "oct", "kid": "oct", "k": _b64(b"x" * 32)}
    none_alg = {**EC_1.jwk, "kid": "none", "alg": "none"}
    wrong_type = {**EC_1.jwk, "kid": "ec-as-rs", "alg": "RS256"}
    junk: list[Any] = ["junk", 7, {"kty": "EC", "kid": "broken", "crv": "P-256", "x": "!"}]
    keys = [RSA_1.jwk, rsa_as_hs, encryption, encrypt_only, no_alg, no_kid, oct_no_alg]
    keys += [none_alg, wrong_type, *junk]
    parsed = parse_key_set({"keys": keys})
    assert {kid: key.algorithm_name for kid, key in parsed.items()} == {
        RSA_1.kid: "RS256",
        EC_2.kid: "ES256",
    }
    assert parse_key_set({"keys": []}) == {}
    for not_a_set in ([], {"keys": "x"}, {"key": []}, None):
        with pytest.raises(ValueError, match="not a JSON Web Key Set"):
            parse_key_set(not_a_set)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 600.0),
        ("", 600.0),
        ("public, max-age=600", 600.0),
        ("max-age=60, must-revalidate", 60.0),
        ('max-age="120"', 120.0),
        ("MAX-AGE=30", 30.0),
        ("s-maxage=5", 600.0),
        ("max-age=abc", 600.0),
        ("public, max-age=31536000", 3600.0),
        ("no-cache", 0.0),
        ("private, no-store", 0.0),
    ],
)
def test_jwks_max_age_from_cache_control(header: str | None, seconds: float) -> None:
    assert max_age(header) == seconds


# --------------------------------------------------------------------------------------------
# The log: one INFO line per request, the reason, never the token


async def test_refused_token_is_logged_once_per_request_without_the_token(
    client: httpx.AsyncClient, ids: dict[str, uuid.UUID], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    staff = supabase_claims(ids["admin@vendo.local"], "admin@vendo.local")
    expired = hs256({**staff, "exp": int(time.time()) - 3600})
    wrong_audience = EC_1.sign({**staff, "aud": "anon"})
    response = await client.post(
        "/api/integrations",
        json=[],
        headers={"X-Authorization": expired, "Authorization": f"Bearer {wrong_audience}"},
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert refusals(caplog) == [
        "identity token refused: reason=expired; reason=audience",
    ]
    (record,) = [r for r in caplog.records if r.name == "vendo.auth"]
    assert record.levelno == logging.INFO
    logged = "\n".join(repr(r.__dict__) + r.getMessage() for r in caplog.records)
    for token in (expired, wrong_audience):
        for part in token.split("."):
            assert part not in logged


async def test_unknown_user_is_logged(
    gql: GraphQLClient, auth_log: pytest.LogCaptureFixture, demo: None
) -> None:
    stranger = supabase_claims(uuid.uuid4(), "stranger@example.com")
    assert await viewer(gql, EC_1.sign(stranger)) is None
    assert refusals(auth_log) == ["identity token refused: reason=unknown_user"]


async def test_malformed_token_is_logged_as_malformed(
    gql: GraphQLClient, auth_log: pytest.LogCaptureFixture, demo: None
) -> None:
    assert await viewer(gql, "not.a.jwt") is None
    assert await viewer(gql, _b64(b'{"alg":"HS256"}') + ".e30.sig") is None
    assert refusals(auth_log) == [
        "identity token refused: reason=malformed",
        "identity token refused: reason=signature",
    ]


async def test_header_values_are_quoted_and_cut_in_the_log(
    gql: GraphQLClient, ids: dict[str, uuid.UUID], auth_log: pytest.LogCaptureFixture
) -> None:
    kid = "line\nforged log line " + "x" * 200
    assert await viewer(gql, EC_1.sign(demo_claims(ids), kid=kid)) is None
    (message,) = refusals(auth_log)
    assert "\n" not in message
    assert message == "identity token refused: reason=unknown_kid kid=" + repr(kid)[:64] + "…"


# --------------------------------------------------------------------------------------------
# Settings


def test_settings_read_the_four_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDO_JWT_AUDIENCE", "vendo")
    monkeypatch.setenv("VENDO_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("VENDO_JWT_LEEWAY_SECONDS", "5")
    monkeypatch.setenv("VENDO_JWT_JWKS_URL", f"https://{REF}.supabase.co{JWKS_PATH}")
    settings = Settings()
    assert (settings.jwt_audience, settings.jwt_issuer, settings.jwt_leeway_seconds) == (
        "vendo",
        ISSUER,
        5,
    )
    assert settings.jwt_jwks_url == f"https://{REF}.supabase.co{JWKS_PATH}"


def test_settings_defaults() -> None:
    settings = Settings()
    assert (settings.jwt_audience, settings.jwt_issuer, settings.jwt_leeway_seconds) == (
        "authenticated",
        None,
        30,
    )
    assert settings.jwt_jwks_url is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("jwt_audience", "", "at least 1 character"),
        ("jwt_issuer", "", "at least 1 character"),
        ("jwt_leeway_seconds", -1, "greater than or equal to 0"),
        ("jwt_leeway_seconds", 301, "less than or equal to 300"),
        ("jwt_jwks_url", "http://example.supabase.co/jwks.json", "must be an https:// URL"),
        ("jwt_jwks_url", "ftp://127.0.0.1/jwks.json", "must be an https:// URL"),
        ("jwt_jwks_url", "jwks.json", "must be an https:// URL"),
        ("jwt_public_key", "not a pem", "must be a PEM RSA public key"),
        ("jwt_public_key", _public_pem(EC_1.private), "must be a PEM RSA public key"),
    ],
)
def test_settings_refuse(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**{field: value})


@pytest.mark.parametrize(
    "url",
    [
        f"https://{REF}.supabase.co{JWKS_PATH}",
        "http://127.0.0.1:9999/jwks.json",
        "http://localhost:9999/jwks.json",
        "http://[::1]:9999/jwks.json",
    ],
)
def test_settings_accept_jwks_url(url: str) -> None:
    assert Settings(jwt_jwks_url=url).jwt_jwks_url == url


def test_settings_public_key_accepts_an_rsa_pem() -> None:
    pem = _public_pem(PEM_KEY)
    assert Settings(jwt_public_key=pem).jwt_public_key == pem
