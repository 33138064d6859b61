"""The vocabulary of the route table: what one legacy route is made of."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.auth import Credential, Viewer
from legacy_rest.envelopes import Envelope


@dataclass(frozen=True)
class Auth:
    """Which credentials a route reads, from which headers, and whether one is required."""

    accept: frozenset[Credential] = frozenset()
    required: bool = False
    bearer_headers: tuple[str, ...] = ("authorization",)


PUBLIC = Auth()
OPTIONAL_SESSION = Auth(accept=frozenset({Credential.SESSION}))
SESSION = Auth(accept=frozenset({Credential.SESSION}), required=True)


@dataclass(frozen=True)
class CacheRule:
    """Server-side cache of whole responses. ``anonymous_only`` entries are never read or
    written for a signed-in caller, so tenant data cannot land in them."""

    tag: str
    ttl: int
    anonymous_only: bool = True


@dataclass(frozen=True)
class RestInput:
    """What a route's ``variables`` function sees of the request."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    viewer: Viewer


def no_variables(_: RestInput) -> dict[str, Any]:
    return {}


def first_field(data: dict[str, Any]) -> Any:
    return next(iter(data.values()))


@dataclass(frozen=True)
class LegacyRoute:
    method: str
    path: str
    operation: str  # legacy_rest/operations/<operation>.graphql
    auth: Auth = PUBLIC
    variables: Callable[[RestInput], dict[str, Any]] = no_variables
    shape: Callable[[dict[str, Any]], Any] = first_field
    envelope: Envelope = Envelope.FLAT
    messages: Mapping[str, str] = field(default_factory=dict)  # error code → documented message
    cache: CacheRule | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    limit: str | None = None  # the limiter the operation draws on (enforced in the resolver)
    reads_body: bool = False
    summary: str = ""
