"""Credentials (docs/CONTRACT.md §3.2): the session cookie, identity JWTs and opaque keys.

One function, :func:`authenticate`, turns the credentials of a request into a :class:`Viewer`, for
GraphQL and the legacy routes alike. A credential that is missing, malformed, expired or revoked
gives the anonymous viewer; whoever needs a signed-in viewer answers UNAUTHENTICATED.

Identity JWTs are Supabase access tokens: HS256 with ``VENDO_JWT_SECRET``, RS256 with
``VENDO_JWT_PUBLIC_KEY``, or ES256/RS256 with the keys of ``VENDO_JWT_JWKS_URL``
(app/services/jwks.py), any of them configured together; ``aud`` must be ``VENDO_JWT_AUDIENCE``,
``iss`` must be ``VENDO_JWT_ISSUER`` when set, and ``exp``/``nbf``/``iat`` get
``VENDO_JWT_LEEWAY_SECONDS``. A refused token is logged at INFO (logger ``vendo.auth``), once per
request, by its reason — never the token.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import APP_KEY, ApiKey, Session, utcnow
from app.repositories import Reader, accounts, keys
from app.services.jwks import ASYMMETRIC, JwksKeys
from app.settings import Settings

SESSION_COOKIE = "vendo_session"
SESSION_TOKEN_PREFIX = "vs_"
API_KEY_PREFIX = "vendo_sk_"
log = logging.getLogger("vendo.auth")
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class Credential(StrEnum):
    SESSION = "session"
    APP_KEY = "app_key"
    CONNECTION_KEY = "connection_key"
    JWT = "jwt"


ALL_CREDENTIALS = frozenset(Credential)


@dataclass(frozen=True)
class Viewer:
    credential: Credential | None = None
    user_id: uuid.UUID | None = None
    email: str | None = None
    is_staff: bool = False
    tenant_id: uuid.UUID | None = None
    tenant_slug: str | None = None
    app_id: uuid.UUID | None = None
    connection_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None  # the App or Connection Key signing the request

    @property
    def is_authenticated(self) -> bool:
        return self.credential is not None

    @property
    def has_session(self) -> bool:
        return self.credential is Credential.SESSION


ANONYMOUS = Viewer()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    return SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


KEY_PREFIX_LENGTH = 13  # what a listing shows of a key: ``vendo_sk_`` and four characters


async def mint_api_key(
    *,
    db: AsyncSession,
    kind: str,
    scope_id: uuid.UUID,
    expires_at: datetime | None = None,
    tenant_id: uuid.UUID | None = None,
) -> tuple[str, ApiKey] | None:
    """A new App Key (``kind`` app) or Connection Key and its row; only its hash is stored.
    None when the app or connection does not exist (in ``tenant_id``'s workspace, when given).
    ``vendo-gateway key create`` and the dashboard mint keys through this one function."""
    key = new_api_key()
    row = await keys.issue_key(
        session=db,
        kind=kind,
        scope_id=scope_id,
        key_hash=hash_token(key),
        prefix=key[:KEY_PREFIX_LENGTH],
        expires_at=expires_at,
        tenant_id=tenant_id,
    )
    return (key, row) if row is not None else None


def looks_like_jwt(token: str) -> bool:
    """CONTRACT.md §3.2: exactly three dot-separated base64url segments is a JWT; anything else
    is opaque."""
    return JWT_SHAPE.fullmatch(token) is not None


def bearer_token(headers: Mapping[str, str], header: str = "authorization") -> str | None:
    """``Bearer <token>``; ``X-Authorization`` (CONTRACT.md §5) may also carry the bare token."""
    value = (headers.get(header) or "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    if header != "authorization" and value and " " not in value:
        return value
    return None


async def create_session(
    *, db: AsyncSession, settings: Settings, user_id: uuid.UUID
) -> tuple[str, Session]:
    token = new_session_token()
    expires_at = utcnow() + timedelta(days=settings.session_ttl_days)
    row = await accounts.create_session(
        session=db, user_id=user_id, token_hash=hash_token(token), expires_at=expires_at
    )
    return token, row


def _viewer(principal: accounts.Principal, credential: Credential) -> Viewer:
    return Viewer(
        credential=credential,
        user_id=principal.user_id,
        email=principal.email,
        is_staff=principal.is_staff,
        tenant_id=principal.tenant_id,
        tenant_slug=principal.tenant_slug,
    )


class Refusal(StrEnum):
    """Why an identity token was passed over: the word in the INFO line that says so."""

    MALFORMED = "malformed"
    ALGORITHM = "algorithm"
    UNKNOWN_KID = "unknown_kid"
    SIGNATURE = "signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MISSING_EXP = "missing_exp"
    AUDIENCE = "audience"
    ISSUER = "issuer"
    UNKNOWN_USER = "unknown_user"


class TokenRefused(Exception):
    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.detail = detail  # a header value, quoted and cut short; never the token

    def __str__(self) -> str:
        return f"reason={self.reason.value}{self.detail}"


async def verify_jwt(token: str, settings: Settings, jwks: JwksKeys | None) -> dict[str, Any]:
    """The claims of an identity token, verified with the key its header designates: HS256 with
    the secret, RS256 with the public key, or the JWKS key named by ``kid``. ``aud``, ``exp``
    and (when configured) ``iss`` are required; ``exp``, ``nbf`` and ``iat`` get the leeway.
    Raises :class:`TokenRefused`."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRefused(Refusal.MALFORMED) from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm == "HS256" and settings.jwt_secret is not None:
        claims = _decode(token, settings.jwt_secret.get_secret_value(), "HS256", settings)
        if claims is not None:
            return claims
        raise TokenRefused(Refusal.SIGNATURE)
    if algorithm == "RS256" and settings.jwt_public_key:
        claims = _decode(token, settings.jwt_public_key, "RS256", settings)
        if claims is not None:
            return claims
        if jwks is None or kid is None:
            raise TokenRefused(Refusal.SIGNATURE)
    if jwks is None or algorithm not in ASYMMETRIC:
        raise TokenRefused(Refusal.ALGORITHM, f" alg={_quoted(algorithm)}")
    return await _with_published_key(token, algorithm, kid, settings, jwks)


async def _with_published_key(
    token: str, algorithm: str, kid: object, settings: Settings, jwks: JwksKeys
) -> dict[str, Any]:
    """Verified with the JWKS key named ``kid``, by the one algorithm that key allows."""
    key = await jwks.key(kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenRefused(Refusal.UNKNOWN_KID, f" kid={_quoted(kid)}")
    if key.algorithm_name != algorithm:
        raise TokenRefused(Refusal.ALGORITHM, f" alg={_quoted(algorithm)} kid={_quoted(kid)}")
    claims = _decode(token, key, algorithm, settings)
    if claims is None:
        raise TokenRefused(Refusal.SIGNATURE, f" kid={_quoted(kid)}")
    return claims


def _decode(
    token: str, key: str | jwt.PyJWK, algorithm: str, settings: Settings
) -> dict[str, Any] | None:
    """The verified claims; None when the signature does not match this key."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp"]},
        )
    except jwt.InvalidSignatureError:
        return None
    except jwt.PyJWTError as error:
        raise TokenRefused(_reason(error)) from None


_REASONS: tuple[tuple[type[jwt.PyJWTError], Refusal], ...] = (
    (jwt.ExpiredSignatureError, Refusal.EXPIRED),
    (jwt.ImmatureSignatureError, Refusal.NOT_YET_VALID),
    (jwt.InvalidAudienceError, Refusal.AUDIENCE),
    (jwt.InvalidIssuerError, Refusal.ISSUER),
    (jwt.InvalidAlgorithmError, Refusal.ALGORITHM),
)
_MISSING = {"aud": Refusal.AUDIENCE, "iss": Refusal.ISSUER, "exp": Refusal.MISSING_EXP}


def _reason(error: jwt.PyJWTError) -> Refusal:
    if isinstance(error, jwt.MissingRequiredClaimError):
        return _MISSING.get(error.claim, Refusal.MALFORMED)
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return Refusal.MALFORMED


def _quoted(value: object) -> str:
    """A header value for a log line: its repr, cut short (it is whatever the caller sent)."""
    text = repr(value)
    return text if len(text) <= 66 else text[:64] + "…"


async def _from_jwt(token: str, lookups: Lookups) -> Viewer:
    try:
        claims = await verify_jwt(token, lookups.settings, lookups.jwks)
    except TokenRefused as refused:
        lookups.refused.append(refused)
        return ANONYMOUS
    db = await lookups.db()
    user_id = _as_uuid(claims.get("sub"))
    principal = None
    if user_id is not None:
        principal = await accounts.principal_for_user(session=db, user_id=user_id)
    email = claims.get("email")
    if principal is None and isinstance(email, str):
        principal = await accounts.principal_for_user(session=db, email=email)
    if principal is None:
        lookups.refused.append(TokenRefused(Refusal.UNKNOWN_USER))
        return ANONYMOUS
    return _viewer(principal, Credential.JWT)


async def _from_session_token(token: str, db: Reader) -> Viewer:
    if len(token) > 256:
        return ANONYMOUS
    principal = await accounts.principal_for_session(
        session=db, token_hash=hash_token(token), now=utcnow()
    )
    return _viewer(principal, Credential.SESSION) if principal else ANONYMOUS


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class PresentedCredentials:
    cookie: str | None
    bearers: tuple[str, ...] = ()  # one per header that carries a token, in header order

    @property
    def empty(self) -> bool:
        return not (self.cookie or self.bearers)


def presented_credentials(
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    *,
    bearer_headers: tuple[str, ...] = ("authorization",),
) -> PresentedCredentials:
    bearers = tuple(t for h in bearer_headers if (t := bearer_token(headers, h)))
    return PresentedCredentials(cookie=cookies.get(SESSION_COOKIE) or None, bearers=bearers)


class Lookups:
    """What one ``authenticate`` call works with: its database connection, opened on first use
    (a token refused on its own never holds a pooled connection, not even while the key set is
    being fetched), and the tokens it refused."""

    def __init__(
        self,
        connect: Callable[[], AbstractAsyncContextManager[Reader]],
        settings: Settings,
        jwks: JwksKeys | None,
    ) -> None:
        self.settings = settings
        self.jwks = jwks
        self.refused: list[TokenRefused] = []
        self._connect = connect
        self._stack = AsyncExitStack()
        self._reader: Reader | None = None

    async def db(self) -> Reader:
        if self._reader is None:
            self._reader = await self._stack.enter_async_context(self._connect())
        return self._reader

    async def __aenter__(self) -> Lookups:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()
        if self.refused:
            log.info("identity token refused: %s", "; ".join(map(str, self.refused)))


async def authenticate(
    presented: PresentedCredentials,
    *,
    accept: frozenset[Credential],
    connect: Callable[[], AbstractAsyncContextManager[Reader]],
    settings: Settings,
    jwks: JwksKeys | None = None,
) -> Viewer:
    """The viewer behind the first valid, acceptable credential: the Bearer tokens in header
    order, then the cookie. Invalid ones are passed over, as if they were absent; refused
    identity tokens are logged, one INFO line per call with the reason, never the token.
    ``connect`` opens what the lookups read on (``Database.connect``: they are Core
    statements); ``jwks`` holds the published signing keys when ``VENDO_JWT_JWKS_URL`` is set."""
    if presented.empty:
        return ANONYMOUS
    async with Lookups(connect, settings, jwks) as lookups:
        for token in presented.bearers:
            viewer = await _from_bearer(token, lookups, accept)
            if viewer.is_authenticated:
                return viewer
        if presented.cookie and Credential.SESSION in accept:
            return await _from_session_token(presented.cookie, await lookups.db())
    return ANONYMOUS


async def _from_bearer(token: str, lookups: Lookups, accept: frozenset[Credential]) -> Viewer:
    """CONTRACT.md §3.2's rule: three segments is a JWT; anything else is an opaque token, looked up
    by its hash among the keys (``vendo_sk_``) or the sessions."""
    if looks_like_jwt(token):
        return await _from_jwt(token, lookups) if Credential.JWT in accept else ANONYMOUS
    if len(token) > 256:
        return ANONYMOUS
    if token.startswith(API_KEY_PREFIX):
        return await _from_api_key(token, await lookups.db(), accept)
    if token.startswith(SESSION_TOKEN_PREFIX) and Credential.SESSION in accept:
        return await _from_session_token(token, await lookups.db())
    return ANONYMOUS


async def _from_api_key(token: str, db: Reader, accept: frozenset[Credential]) -> Viewer:
    principal = await keys.principal_for_key(session=db, key_hash=hash_token(token), now=utcnow())
    if principal is None:
        return ANONYMOUS
    credential = Credential.APP_KEY if principal.kind == APP_KEY else Credential.CONNECTION_KEY
    if credential not in accept:
        return ANONYMOUS
    return Viewer(
        credential=credential,
        tenant_id=principal.tenant_id,
        tenant_slug=principal.tenant_slug,
        app_id=principal.app_id,
        connection_id=principal.connection_id,
        key_id=principal.key_id,
    )
