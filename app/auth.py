"""Credentials (reference 03): the session cookie, identity JWTs and opaque keys.

One function, :func:`authenticate`, turns the credentials of a request into a :class:`Viewer`, for
GraphQL and the legacy routes alike. A credential that is missing, malformed, expired or revoked
gives the anonymous viewer; whoever needs a signed-in viewer answers UNAUTHENTICATED.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import APP_KEY, Session, utcnow
from app.repositories import accounts, keys
from app.repositories._sql import Reader
from app.settings import Settings

SESSION_COOKIE = "vendo_session"
SESSION_TOKEN_PREFIX = "vs_"
API_KEY_PREFIX = "vendo_sk_"


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


def looks_like_jwt(token: str) -> bool:
    """Reference 03: exactly three dot-separated segments is a JWT; anything else is opaque."""
    return token.count(".") == 2 and all(token.split("."))


def bearer_token(headers: Mapping[str, str], header: str = "authorization") -> str | None:
    """``Bearer <token>``; ``X-Authorization`` (reference 05) may also carry the bare token."""
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


def decode_jwt(token: str, settings: Settings) -> dict[str, object] | None:
    keys: list[tuple[str, str]] = []
    if settings.jwt_secret is not None:
        keys.append((settings.jwt_secret.get_secret_value(), "HS256"))
    if settings.jwt_public_key:
        keys.append((settings.jwt_public_key, "RS256"))
    for key, algorithm in keys:
        try:
            return jwt.decode(  # type: ignore[no-any-return]
                token, key, algorithms=[algorithm], options={"require": ["exp"]}
            )
        except jwt.PyJWTError:
            continue
    return None


async def _from_jwt(token: str, db: Reader, settings: Settings) -> Viewer:
    claims = decode_jwt(token, settings)
    if claims is None:
        return ANONYMOUS
    user_id = _as_uuid(claims.get("sub"))
    principal = None
    if user_id is not None:
        principal = await accounts.principal_for_user(session=db, user_id=user_id)
    email = claims.get("email")
    if principal is None and isinstance(email, str):
        principal = await accounts.principal_for_user(session=db, email=email)
    return _viewer(principal, Credential.JWT) if principal else ANONYMOUS


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


async def authenticate(
    presented: PresentedCredentials,
    *,
    accept: frozenset[Credential],
    connect: Callable[[], AbstractAsyncContextManager[Reader]],
    settings: Settings,
) -> Viewer:
    """The viewer behind the first valid, acceptable credential: the Bearer tokens in header
    order, then the cookie. Invalid ones are passed over, as if they were absent. ``connect``
    opens what the lookups read on (``Database.connect``: they are Core statements)."""
    if presented.empty:
        return ANONYMOUS
    async with connect() as db:
        for token in presented.bearers:
            viewer = await _from_bearer(token, db, settings, accept)
            if viewer.is_authenticated:
                return viewer
        if presented.cookie and Credential.SESSION in accept:
            return await _from_session_token(presented.cookie, db)
    return ANONYMOUS


async def _from_bearer(
    token: str, db: Reader, settings: Settings, accept: frozenset[Credential]
) -> Viewer:
    """Reference 03's rule: three segments is a JWT; anything else is an opaque token, looked up
    by its hash among the keys (``vendo_sk_``) or the sessions."""
    if looks_like_jwt(token):
        return await _from_jwt(token, db, settings) if Credential.JWT in accept else ANONYMOUS
    if len(token) > 256:
        return ANONYMOUS
    if token.startswith(API_KEY_PREFIX):
        return await _from_api_key(token, db, accept)
    if token.startswith(SESSION_TOKEN_PREFIX) and Credential.SESSION in accept:
        return await _from_session_token(token, db)
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
    )
