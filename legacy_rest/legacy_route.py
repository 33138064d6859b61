"""The vocabulary of the route table: what one legacy route is made of."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import DomainError, MissingBearerToken, Unauthenticated, catalogued
from app.services.auth import API_KEY_PREFIX, Credential, Viewer, bearer_token
from app.settings import Settings
from legacy_rest.envelopes import Envelope
from legacy_rest.json_schemas import Schema


@dataclass(frozen=True)
class Auth:
    """Which credentials a route reads, from which headers, and whether one is required."""

    accept: frozenset[Credential] = frozenset()
    required: bool = False
    bearer_headers: tuple[str, ...] = ("authorization",)
    # A Bearer token must start with this, or it is refused before any verification work
    # (no JWT decoding, no SQL).
    token_prefix: str | None = None
    # What a request carrying no Bearer token in any of ``bearer_headers`` is refused with.
    missing: type[Unauthenticated] = Unauthenticated

    def check_prefix(self, headers: Mapping[str, str]) -> None:
        """The token rule, before any verification work: no Bearer token is ``missing``; one
        without ``token_prefix`` (an identity JWT included) is refused as it is, never decoded
        nor looked up."""
        if self.token_prefix is None:
            return
        tokens = [token for h in self.bearer_headers if (token := bearer_token(headers, h))]
        if not tokens:
            raise self.missing()
        if not any(token.startswith(self.token_prefix) for token in tokens):
            raise Unauthenticated()

    def refusal(self, headers: Mapping[str, str]) -> Unauthenticated:
        """A required credential that is absent (``missing``) or failed (Unauthenticated)."""
        if any(bearer_token(headers, name) for name in self.bearer_headers):
            return Unauthenticated()
        return self.missing()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = Auth()
# The dashboard routes read the vendo_session cookie only (docs/CONTRACT.md §3.3).
OPTIONAL_SESSION = Auth(accept=frozenset({Credential.SESSION}), bearer_headers=())
SESSION = Auth(accept=frozenset({Credential.SESSION}), required=True, bearer_headers=())
# /api/v1/*: a Bearer App Key, Connection Key or identity JWT (docs/CONTRACT.md §4).
BEARER = Auth(
    accept=frozenset({Credential.APP_KEY, Credential.CONNECTION_KEY, Credential.JWT}), required=True
)
# /api/deployments/me/*: an App Key only, told by its prefix first (docs/CONTRACT.md §3.11).
APP_KEY_ONLY = Auth(
    accept=frozenset({Credential.APP_KEY}),
    required=True,
    token_prefix=API_KEY_PREFIX,
    missing=MissingBearerToken,
)
# Bulk save (CONTRACT.md §5): a staff JWT or session, in X-Authorization, Authorization or cookie.
STAFF = Auth(
    accept=frozenset({Credential.JWT, Credential.SESSION}),
    required=True,
    bearer_headers=("x-authorization", "authorization"),
)

# The balance routes (docs/CONTRACT.md §3.10): a Bearer token told apart by counting its dot
# segments (§3.2), never the cookie; no token at all answers "Missing Bearer token".
BALANCE_BEARER = Auth(
    accept=frozenset({Credential.APP_KEY, Credential.CONNECTION_KEY, Credential.JWT}),
    required=True,
    missing=MissingBearerToken,
)
CLI_BEARER = Auth(
    accept=frozenset({Credential.APP_KEY, Credential.CONNECTION_KEY}),
    required=True,
    missing=MissingBearerToken,
)


def anonymous(viewer: Viewer) -> bool:
    return not viewer.is_authenticated


def not_staff(viewer: Viewer) -> bool:
    return not viewer.is_staff


def everyone(_: Viewer) -> bool:
    return True


@dataclass(frozen=True)
class CacheRule:
    """Server-side cache of whole responses, read and written only for the viewers ``applies_to``
    accepts — so a tenant's or an admin's answer never lands in a shared entry."""

    tag: str
    ttl: int
    applies_to: Callable[[Viewer], bool] = anonymous


@dataclass(frozen=True)
class RestInput:
    """What a route's ``variables`` function sees of the request."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any
    viewer: Viewer


def no_variables(_: RestInput) -> dict[str, Any]:
    return {}


def first_field(data: dict[str, Any]) -> Any:
    return next(iter(data.values()))


def whole(data: dict[str, Any]) -> Any:
    """The operation's data as it is: its aliases already spell the documented body."""
    return data


def _catalogue_class(kind: object) -> type[DomainError]:
    if not (isinstance(kind, type) and issubclass(kind, DomainError)):
        raise TypeError(f"{kind!r} is no class of app/errors.py")
    return kind


def _message_code(kind: object) -> str:
    """The code a documented message replaces the message of: only a class that names a code
    of its own (a route answers NOT_FOUND in one wording, whatever raised it)."""
    cls = _catalogue_class(kind)
    if catalogued(cls.code) is not cls:
        raise ValueError(f"messages are given per code: {catalogued(cls.code)}, not {cls}")
    return cls.code


@dataclass(frozen=True)
class LegacyRoute:
    method: str
    path: str
    operation: str  # legacy_rest/operations/<operation>.graphql
    auth: Auth = PUBLIC
    variables: Callable[[RestInput], dict[str, Any]] = no_variables
    shape: Callable[[dict[str, Any]], Any] = first_field
    envelope: Envelope = Envelope.FLAT
    status: int = 200  # of a successful answer
    # The documented message of each code, by the class naming it: {NotFound: "Tool not found"}.
    messages: Mapping[type[DomainError], str] = field(default_factory=dict)
    cache: CacheRule | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Headers that depend on the answer (its shaped body) and the settings, beside ``headers``
    # (for routes without a ``cache`` rule: a cached answer is sent with ``headers`` only).
    headers_for: Callable[[Any, Settings], Mapping[str, str]] | None = None
    limit: str | None = None  # the limiter the operation draws on (enforced in the resolver)
    # A per-IP limiter of the route alone (app/limits.py), spent before the credential is read;
    # GraphQL does not draw on it (CONTRACT.md §3.8).
    ip_limit: str | None = None
    fallback: Any = None  # when set, any failure answers 200 with this body (graceful degrade)
    aliases: tuple[str, ...] = ()  # other spellings of the path (e.g. a trailing slash)
    # The documentation the OpenAPI document is generated from.
    summary: str = ""
    responds: Schema = field(default_factory=dict)  # the 200 body
    body: Schema | None = None  # the JSON request body, when the route reads one
    errors: tuple[type[DomainError], ...] = ()  # errors beyond those auth, body, limit imply
    query: tuple[str, ...] = ()  # optional query parameters
    request_headers: tuple[str, ...] = ()  # headers the route reads besides credentials
    # A request that works against the demo data: {"path": {...}, "query": {...},
    # "headers": {...}, "body": ...}; shown in the OpenAPI document and replayed by its test.
    example: Mapping[str, Any] = field(default_factory=dict)

    # ``messages`` by code, as an answer's code is looked up.
    messages_by_code: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Anything but a class of app/errors.py fails here, when the table is built."""
        for kind in self.errors:
            _catalogue_class(kind)
        by_code = {_message_code(kind): text for kind, text in self.messages.items()}
        object.__setattr__(self, "messages_by_code", by_code)

    @property
    def reads_body(self) -> bool:
        return self.body is not None

    @property
    def cookie_write(self) -> bool:
        """A write the session cookie may authenticate: what a page on another site could make
        the browser send (legacy_rest/cookie_writes.py checks it)."""
        return self.method not in SAFE_METHODS and Credential.SESSION in self.auth.accept
