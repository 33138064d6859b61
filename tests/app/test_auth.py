"""Credentials of CONTRACT.md §3.2: the session cookie (hash only, expiry, revocation), identity
JWTs (three segments, HS256/RS256, ``exp`` required, ``sub`` then ``email``) and the Bearer
header."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select, text, update

from app.models import Session, User
from app.repositories import accounts
from app.runtime import Runtime
from app.services.auth import bearer_token, looks_like_jwt
from tests.conftest import JWT_SECRET, GraphQLClient, Sessions, session_headers
from tests.support.credentials import bearer
from tests.support.documents import VIEWER_QUERY

_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PRIVATE_PEM = _RSA_KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()
RSA_PUBLIC_PEM = (
    _RSA_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


# --------------------------------------------------------------------------------------------
# Helpers


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def identity_token(
    claims: dict[str, Any],
    *,
    key: str = JWT_SECRET,
    algorithm: str = "HS256",
    lifetime: timedelta | None = timedelta(hours=1),
) -> str:
    payload = {"aud": "authenticated", **claims}  # Supabase's audience, unless a test says
    if lifetime is not None:
        payload["exp"] = int(time.time() + lifetime.total_seconds())
    return jwt.encode(payload, key, algorithm=algorithm)


async def user_id(runtime: Runtime, email: str) -> uuid.UUID:
    async with runtime.db.read() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


async def viewer(gql: GraphQLClient, headers: dict[str, str]) -> Any:
    result = await gql(VIEWER_QUERY, headers=headers)
    assert "errors" not in result, result
    return result["data"]["viewer"]


async def set_expiry(runtime: Runtime, token: str, expires_at: datetime) -> None:
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Session).where(Session.token_hash == sha256(token)).values(expires_at=expires_at)
        )


async def revoke(runtime: Runtime, **target: Any) -> int:
    async with runtime.db.write() as session, session.begin():
        return await accounts.revoke_sessions(session=session, now=datetime.now(UTC), **target)


DEMO_VIEWER = {
    "email": "demo@vendo.local",
    "isStaff": False,
    "credential": "session",
    "workspace": {"slug": "demo"},
}


# --------------------------------------------------------------------------------------------
# Sessions


async def test_session_token_is_opaque_and_only_its_hash_is_stored(
    runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    token = await sessions.create("demo@vendo.local")
    assert token.startswith("vs_")
    assert "." not in token
    assert len(token) >= 3 + 43  # 32 random bytes, base64url
    async with runtime.db.read() as session:
        rows = (await session.execute(text("SELECT * FROM sessions"))).all()
    assert len(rows) == 1
    stored = [str(value) for value in rows[0]]
    assert sha256(token) in stored
    assert not any(token in value or token[3:] in value for value in stored)


async def test_session_tokens_are_unique(sessions: Sessions, demo: None) -> None:
    tokens = {await sessions.create("demo@vendo.local") for _ in range(5)}
    assert len(tokens) == 5


async def test_session_cookie_identifies_the_user(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    assert await viewer(gql, demo_headers) == DEMO_VIEWER


async def test_session_expired_is_anonymous(
    gql: GraphQLClient, client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    token = await sessions.create("demo@vendo.local")
    await set_expiry(runtime, token, datetime.now(UTC) - timedelta(seconds=1))
    assert await viewer(gql, session_headers(token)) is None
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=session_headers(token)
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


async def test_session_not_yet_expired_still_works(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    token = await sessions.create("demo@vendo.local")
    await set_expiry(runtime, token, datetime.now(UTC) + timedelta(minutes=1))
    assert await viewer(gql, session_headers(token)) == DEMO_VIEWER


async def test_session_lifetime_follows_the_setting(
    runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    before = datetime.now(UTC)
    token = await sessions.create("demo@vendo.local")
    async with runtime.db.read() as session:
        row = await session.scalar(select(Session).where(Session.token_hash == sha256(token)))
    assert row is not None
    ttl = timedelta(days=runtime.settings.session_ttl_days)
    assert before + ttl - timedelta(seconds=5) <= row.expires_at <= datetime.now(UTC) + ttl
    assert row.revoked_at is None


async def test_session_revoked_is_anonymous(
    gql: GraphQLClient, client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    token = await sessions.create("demo@vendo.local")
    assert await revoke(runtime, token_hash=sha256(token)) == 1
    assert await viewer(gql, session_headers(token)) is None
    response = await client.get(
        "/api/integrations/openrouter/usage", headers=session_headers(token)
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    # Revoking again changes nothing.
    assert await revoke(runtime, token_hash=sha256(token)) == 0


async def test_session_revoke_of_a_user_revokes_all_of_theirs_only(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    first = await sessions.create("demo@vendo.local")
    second = await sessions.create("demo@vendo.local")
    other = await sessions.create("admin@vendo.local")
    demo_id = await user_id(runtime, "demo@vendo.local")
    assert await revoke(runtime, user_id=demo_id) == 2
    assert await viewer(gql, session_headers(first)) is None
    assert await viewer(gql, session_headers(second)) is None
    assert (await viewer(gql, session_headers(other)))["email"] == "admin@vendo.local"


async def test_session_revoke_unknown_token_revokes_nothing(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    assert await revoke(runtime, token_hash=sha256("vs_unknown")) == 0
    assert await viewer(gql, demo_headers) == DEMO_VIEWER


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "vs_" + "A" * 43, "x" * 5000, "a.b.c"],
    ids=["garbage", "unknown", "huge", "jwt-like"],
)
async def test_session_invalid_cookie_is_anonymous(
    gql: GraphQLClient, demo: None, cookie: str
) -> None:
    assert await viewer(gql, {"Cookie": f"vendo_session={cookie}"}) is None


async def test_session_other_cookie_names_are_ignored(
    gql: GraphQLClient, sessions: Sessions, demo: None
) -> None:
    token = await sessions.create("demo@vendo.local")
    assert await viewer(gql, {"Cookie": f"session={token}"}) is None


# --------------------------------------------------------------------------------------------
# Identity JWTs (GraphQL accepts them; the dashboard routes do not)


async def test_jwt_identifies_the_user_by_sub(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    token = identity_token({"sub": str(await user_id(runtime, "demo@vendo.local"))})
    assert await viewer(gql, bearer(token)) == {**DEMO_VIEWER, "credential": "jwt"}


async def test_jwt_sub_wins_over_email(gql: GraphQLClient, runtime: Runtime, demo: None) -> None:
    token = identity_token(
        {"sub": str(await user_id(runtime, "demo@vendo.local")), "email": "admin@vendo.local"}
    )
    assert (await viewer(gql, bearer(token)))["email"] == "demo@vendo.local"


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "admin@vendo.local"},
        {"sub": str(uuid.uuid4()), "email": "admin@vendo.local"},
        {"sub": "supabase|not-a-uuid", "email": "admin@vendo.local"},
    ],
    ids=["no-sub", "unknown-sub", "foreign-sub"],
)
async def test_jwt_falls_back_to_the_email_claim(
    gql: GraphQLClient, demo: None, claims: dict[str, Any]
) -> None:
    found = await viewer(gql, bearer(identity_token(claims)))
    assert found == {
        "email": "admin@vendo.local",
        "isStaff": True,
        "credential": "jwt",
        "workspace": {"slug": "admin"},
    }


async def test_jwt_without_exp_is_anonymous(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    token = identity_token({"sub": str(await user_id(runtime, "demo@vendo.local"))}, lifetime=None)
    assert await viewer(gql, bearer(token)) is None


async def test_jwt_expired_is_anonymous(gql: GraphQLClient, runtime: Runtime, demo: None) -> None:
    token = identity_token(
        {"sub": str(await user_id(runtime, "demo@vendo.local"))}, lifetime=timedelta(minutes=-5)
    )
    assert await viewer(gql, bearer(token)) is None


async def test_jwt_signed_with_another_key_is_anonymous(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    token = identity_token(
        {"sub": str(await user_id(runtime, "demo@vendo.local"))},
        key="another-secret-that-is-also-long-enough!!",
    )
    assert await viewer(gql, bearer(token)) is None


async def test_jwt_unsigned_is_anonymous(gql: GraphQLClient, runtime: Runtime, demo: None) -> None:
    claims = {
        "sub": str(await user_id(runtime, "demo@vendo.local")),
        "exp": int(time.time()) + 3600,
    }
    token = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    assert token.count(".") == 2
    assert await viewer(gql, bearer(token)) is None


async def test_jwt_tampered_payload_is_anonymous(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    genuine = identity_token({"email": "demo@vendo.local"})
    forged = identity_token({"email": "admin@vendo.local"})
    header, _, signature = genuine.split(".")
    tampered = ".".join([header, forged.split(".")[1], signature])
    assert await viewer(gql, bearer(tampered)) is None


async def test_jwt_of_unknown_user_is_anonymous_and_creates_nobody(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    async with runtime.db.read() as session:
        before = await session.scalar(select(func.count()).select_from(User))
    token = identity_token({"sub": str(uuid.uuid4()), "email": "stranger@example.com"})
    assert await viewer(gql, bearer(token)) is None
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == before


async def test_jwt_three_segments_are_never_looked_up_as_a_session(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    """CONTRACT.md §3.2: exactly three dot-separated segments is a JWT, whatever else it looks
    like."""
    token = "vs_header.payload.signature"
    demo_id = await user_id(runtime, "demo@vendo.local")
    async with runtime.db.write() as session, session.begin():
        await accounts.create_session(
            session=session,
            user_id=demo_id,
            token_hash=sha256(token),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    assert await viewer(gql, bearer(token)) is None


async def test_jwt_is_not_accepted_by_the_dashboard_routes(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    token = identity_token({"sub": str(await user_id(runtime, "demo@vendo.local"))})
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=bearer(token)
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    listed = await client.get("/api/integrations", headers=bearer(token))
    assert list(listed.json()) == ["integrations"]


class TestJwtWithoutSecret:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"jwt_secret": None}

    async def test_jwt_hs256_refused_without_a_secret(
        self, gql: GraphQLClient, runtime: Runtime, demo: None
    ) -> None:
        token = identity_token({"sub": str(await user_id(runtime, "demo@vendo.local"))})
        assert await viewer(gql, bearer(token)) is None


class TestJwtRs256:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"jwt_public_key": RSA_PUBLIC_PEM}

    async def test_jwt_rs256_with_the_configured_public_key(
        self, gql: GraphQLClient, runtime: Runtime, demo: None
    ) -> None:
        token = identity_token(
            {"sub": str(await user_id(runtime, "demo@vendo.local"))},
            key=RSA_PRIVATE_PEM,
            algorithm="RS256",
        )
        assert (await viewer(gql, bearer(token)))["credential"] == "jwt"

    async def test_jwt_rs256_from_another_key_is_anonymous(
        self, gql: GraphQLClient, runtime: Runtime, demo: None
    ) -> None:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        token = identity_token(
            {"sub": str(await user_id(runtime, "demo@vendo.local"))}, key=pem, algorithm="RS256"
        )
        assert await viewer(gql, bearer(token)) is None


# --------------------------------------------------------------------------------------------
# Detection and header parsing (unit)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("header.payload.signature", True),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", True),
        ("vendo_sk_abc.def.ghi", True),
        ("vendo_sk_0123456789abcdef", False),
        ("vs_opaque-session-token", False),
        ("one.two", False),
        ("a.b.c.d", False),
        ("a+b.c.d", False),  # three segments, not all base64url: opaque
        ("a.b.c=", False),
        ("a..b", False),
        ("nodots", False),
        ("", False),
    ],
)
async def test_looks_like_jwt_counts_segments(token: str, expected: bool) -> None:
    assert looks_like_jwt(token) is expected


async def test_looks_like_jwt_accepts_a_real_token() -> None:
    assert looks_like_jwt(identity_token({"sub": "x"})) is True


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"authorization": "Bearer abc"}, "abc"),
        ({"authorization": "bearer abc"}, "abc"),
        ({"authorization": "BEARER abc"}, "abc"),
        ({"authorization": "  Bearer   abc  "}, "abc"),
        ({"authorization": "Bearer a.b.c"}, "a.b.c"),
        ({"authorization": "Bearer"}, None),
        ({"authorization": "Bearer "}, None),
        ({"authorization": "Basic dXNlcjpwYXNz"}, None),
        ({"authorization": "abc"}, None),
        ({"authorization": ""}, None),
        ({}, None),
    ],
)
async def test_bearer_token_from_authorization(
    headers: dict[str, str], expected: str | None
) -> None:
    assert bearer_token(headers) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-authorization": "Bearer abc"}, "abc"),
        ({"x-authorization": "abc"}, "abc"),
        ({"x-authorization": " abc "}, "abc"),
        ({"x-authorization": "Basic abc"}, None),
        ({"x-authorization": ""}, None),
        ({"authorization": "Bearer abc"}, None),
        ({}, None),
    ],
)
async def test_bearer_token_from_x_authorization(
    headers: dict[str, str], expected: str | None
) -> None:
    assert bearer_token(headers, "x-authorization") == expected
