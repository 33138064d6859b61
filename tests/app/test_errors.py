"""The one error catalogue (app/errors.py, docs/decisions/0015 and 0060): each class defined once
with its code, status and message, rendered through GraphQL and through every REST envelope
from that one definition; and ``classify``, the one function that decides what any exception is
answered with."""

from __future__ import annotations

import ast
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import OperationalError
from starlette.responses import Response

from app import outage_latch
from app.errors import (
    AccountNotFound,
    BadUserInput,
    BodyReadTimeout,
    ConnectionNotFound,
    CrossSiteRequestRefused,
    DomainError,
    Forbidden,
    IntegrationNotFound,
    Internal,
    KeyNotFound,
    MalformedRequest,
    MethodNotAllowed,
    MissingBearerToken,
    NotFound,
    NoWorkspace,
    OriginNotAllowed,
    PersistedQueryNotFound,
    RateLimited,
    RequestTooLarge,
    TooManyStreams,
    Unauthenticated,
    Unavailable,
    UnparsableJson,
    UnsupportedMediaType,
    UpstreamFailed,
    catalogued,
    classify,
    every_error,
)
from legacy_rest.endpoint import LegacyEndpoint
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import LegacyRoute
from resolvers.engine.masking import MaskInternalErrors
from resolvers.engine.speedups.masking import FastMaskInternalErrors
from resolvers.engine.view import errors_response
from resolvers.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
# What each class is: a change here is a change every client sees.
CATALOGUE: dict[type[DomainError], tuple[str, int, str]] = {
    Internal: ("INTERNAL", 500, "Internal server error"),
    BadUserInput: ("BAD_USER_INPUT", 400, "Invalid input"),
    Unauthenticated: ("UNAUTHENTICATED", 401, "Unauthorized"),
    MissingBearerToken: ("UNAUTHENTICATED", 401, "Missing Bearer token"),
    Forbidden: ("FORBIDDEN", 403, "Forbidden"),
    NotFound: ("NOT_FOUND", 404, "Not found"),
    IntegrationNotFound: ("NOT_FOUND", 404, "Integration not found"),
    AccountNotFound: ("NOT_FOUND", 404, "Account not found"),
    # Keys and apps (docs/CONTRACT.md §3.11)
    ConnectionNotFound: ("NOT_FOUND", 404, "Connection not found"),
    KeyNotFound: ("NOT_FOUND", 404, "Key not found"),
    NoWorkspace: ("NO_WORKSPACE", 404, "No workspace found"),
    RateLimited: ("RATE_LIMITED", 429, "Rate limit exceeded"),
    # The events channel's cap (docs/CONTRACT.md §3.9)
    TooManyStreams: ("RATE_LIMIT_SSE_STREAMS", 429, "Too many concurrent SSE streams."),
    UpstreamFailed: ("UPSTREAM_FAILED", 502, "Upstream request failed"),
    Unavailable: ("UNAVAILABLE", 503, "Service unavailable"),
    PersistedQueryNotFound: ("PERSISTED_QUERY_NOT_FOUND", 404, "PersistedQueryNotFound"),
    RequestTooLarge: ("BAD_USER_INPUT", 413, "Request body too large"),
    BodyReadTimeout: ("BAD_USER_INPUT", 408, "Request body not received in time"),
    CrossSiteRequestRefused: ("BAD_USER_INPUT", 400, CrossSiteRequestRefused.default_message),
    UnparsableJson: ("BAD_USER_INPUT", 400, "Unable to parse request body as JSON"),
    MalformedRequest: (
        "BAD_USER_INPUT",
        400,
        "A GraphQL request must be a JSON object, or a list of objects for a batch",
    ),
    OriginNotAllowed: ("FORBIDDEN", 403, "Origin not allowed"),
    UnsupportedMediaType: ("UNSUPPORTED_MEDIA_TYPE", 415, "Content-Type must be application/json"),
    MethodNotAllowed: ("METHOD_NOT_ALLOWED", 405, "Method not allowed"),
}
CLASSES = every_error()


def test_catalogue_is_every_class_with_its_code_status_and_message() -> None:
    """Every error class there is (the whole application imported), each defined once, in
    app/errors.py."""
    import app.factory  # noqa: F401  (every module that could define one)

    found = {cls: (cls.code, cls.status, cls.default_message) for cls in every_error()}
    assert found == CATALOGUE
    assert {cls.__module__ for cls in found} == {"app.errors"}
    assert CrossSiteRequestRefused.default_message.startswith(
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF)."
    )


def test_each_code_is_named_by_one_class_and_refined_by_subclasses() -> None:
    """``catalogued`` maps a GraphQL answer's code back to the class naming it; a refinement
    (a 413 is a BAD_USER_INPUT) shares its parent's code."""
    for cls in CLASSES:
        named = catalogued(cls.code)
        assert named is not None
        assert issubclass(cls, named)
        assert (named is cls) == ("code" in vars(cls))
    assert catalogued("NO_SUCH_CODE") is None
    assert catalogued(None) is None
    with pytest.raises(TypeError, match="code NOT_FOUND is"):
        type("Again", (DomainError,), {"code": "NOT_FOUND"})


# --------------------------------------------------------------------------------------------
# One error, rendered through GraphQL and through every envelope


@strawberry.type
class _Query:
    @strawberry.field
    def fail(self, kind: str) -> str:
        raise {cls.__name__: cls for cls in CLASSES}[kind]()


SCHEMAS = {
    masking.__name__: strawberry.Schema(query=_Query, extensions=[masking])
    for masking in (MaskInternalErrors, FastMaskInternalErrors)
}


@pytest.fixture(scope="module")
def endpoints() -> dict[Envelope, LegacyEndpoint]:
    """A legacy endpoint per envelope, with no documented messages of its own."""
    schema = build_schema()
    return {
        envelope: LegacyEndpoint(
            LegacyRoute("GET", "/errors", "integration_detail", envelope=envelope), schema
        )
        for envelope in Envelope
    }


def _rest(envelope: Envelope, status: int, message: str, code: str) -> tuple[Any, ...]:
    """The exact answer of each envelope (reference 03's five shapes)."""
    if envelope is Envelope.TEXT:
        return status, "text/plain; charset=utf-8", message.encode(), None
    body: Any = {
        Envelope.FLAT: {"message": message},
        Envelope.NESTED: {"error": {"message": message}},
        Envelope.STRING: {"error": message},
        Envelope.CANONICAL: {"error": {"code": code.lower(), "message": message}},
    }[envelope]
    header = code.lower() if envelope is Envelope.CANONICAL else None
    return status, "application/json", orjson.dumps(body), header


def _answer(response: Response) -> tuple[Any, ...]:
    return (
        response.status_code,
        response.headers["content-type"],
        response.body,
        response.headers.get("vendo-error-code"),
    )


@pytest.mark.parametrize("envelope", list(Envelope), ids=lambda e: e.value)
@pytest.mark.parametrize("error", CLASSES, ids=lambda cls: cls.__name__)
async def test_error_renders_from_its_class_through_graphql_and_each_envelope(
    error: type[DomainError], envelope: Envelope, endpoints: dict[Envelope, LegacyEndpoint]
) -> None:
    code, status, message = CATALOGUE[error]
    # GraphQL, raised by a resolver: its message and code (stock and fast masking alike).
    for schema in SCHEMAS.values():
        result = await schema.execute(f'{{ fail(kind: "{error.__name__}") }}')
        assert result.data is None
        assert [e.formatted for e in result.errors or ()] == [
            {
                "message": message,
                "locations": [{"line": 1, "column": 3}],
                "path": ["fail"],
                "extensions": {"code": code},
            }
        ]
    # GraphQL, refused before any operation runs (/graphql): the class's status too.
    refused = errors_response(error())
    graphql_body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    assert _answer(refused) == (status, "application/json", orjson.dumps(graphql_body), None)
    # REST, refused before the route runs: the class as it is, in the route's envelope.
    assert _answer(envelope.render(error())) == _rest(envelope, status, message, code)
    # REST, from the GraphQL answer of the route's operation: the class naming the code gives
    # the status (a refinement's status belongs to the refusal, not to its code).
    assert result.errors is not None
    named = catalogued(code)
    assert named is not None
    rest = endpoints[envelope].error_from(result.errors)
    assert _answer(rest) == _rest(envelope, named.status, message, code)


def test_a_route_documents_its_own_wording_of_a_code(
    endpoints: dict[Envelope, LegacyEndpoint],
) -> None:
    """``messages`` replace the message of every error of that code, refinements included; an
    INTERNAL from GraphQL, or a code the catalogue does not know, is the route's INTERNAL."""
    route = LegacyRoute(
        "GET",
        "/errors",
        "integration_detail",
        envelope=Envelope.STRING,
        messages={NotFound: "Tool not found", Internal: "Internal error"},
    )
    endpoint = LegacyEndpoint(route, build_schema())
    found = endpoint.error(IntegrationNotFound())
    assert _answer(found) == (404, "application/json", b'{"error":"Tool not found"}', None)
    for code in ("INTERNAL", "SOMETHING_ELSE", None):
        answer = endpoint.error_from([GraphQLError("boom", extensions={"code": code})])
        assert _answer(answer) == (500, "application/json", b'{"error":"Internal error"}', None)


def test_a_route_names_its_errors_by_class_and_its_messages_per_code() -> None:
    with pytest.raises(ValueError, match="messages are given per code"):
        LegacyRoute("GET", "/x", "integration_detail", messages={IntegrationNotFound: "no"})
    with pytest.raises(TypeError, match=r"'NOT_FOUND' is no class of app/errors\.py"):
        LegacyRoute("GET", "/x", "integration_detail", errors=("NOT_FOUND",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="is no class of app/errors"):
        LegacyRoute("GET", "/x", "integration_detail", messages={"NOT_FOUND": "no"})  # type: ignore[dict-item]


def test_no_code_is_written_outside_the_catalogue() -> None:
    """A code appears as a string only in app/errors.py: everything else names the class."""
    codes = {cls.code for cls in every_error()}
    found = []
    for root in ("app", "resolvers", "legacy_rest"):
        for path in sorted((ROOT / root).rglob("*.py")):
            if path == ROOT / "app" / "errors.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            exported = {
                id(node)
                for statement in ast.walk(tree)
                if isinstance(statement, ast.Assign)
                and any(getattr(target, "id", None) == "__all__" for target in statement.targets)
                for node in ast.walk(statement.value)
            }
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} {node.value}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and node.value in codes
                and id(node) not in exported
            ]
    assert found == []


# --------------------------------------------------------------------------------------------
# classify


@pytest.fixture
def latch(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Captures the outage latch's lines; leaves the latch as it was found (up)."""
    caplog.set_level(logging.INFO, logger="vendo.faults")
    assert not outage_latch.DATABASE.down
    yield
    outage_latch.DATABASE.recovered()


def _latched(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "vendo.faults"]


def test_classify_answers_a_catalogue_error_as_itself(
    latch: None, caplog: pytest.LogCaptureFixture
) -> None:
    for error in (NotFound("Tool not found"), Unavailable("Secrets off"), Internal()):
        assert classify(error) is error
    # Known first: an upstream failure caused by a refused connection is still that failure.
    upstream = UpstreamFailed()
    upstream.__cause__ = ConnectionRefusedError("refused")
    assert classify(upstream) is upstream
    assert _latched(caplog) == []


def test_classify_answers_a_dependency_down_unavailable_and_latches_once(
    latch: None, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        answer = classify(OSError("connection refused"))
        assert type(answer) is Unavailable
        assert (answer.message, answer.extensions) == (
            "Service unavailable",
            {"code": "UNAVAILABLE"},
        )
    assert _latched(caplog) == ["database unreachable (OSError): answering 503 until it is back"]


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        KeyError("missing"),
        OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: x")),
    ],
    ids=["value-error", "key-error", "sqlite-mistake"],
)
def test_classify_answers_anything_else_internal(
    error: Exception, latch: None, caplog: pytest.LogCaptureFixture
) -> None:
    answer = classify(error)
    assert type(answer) is Internal
    assert (answer.status, answer.message) == (500, "Internal server error")
    assert _latched(caplog) == []
