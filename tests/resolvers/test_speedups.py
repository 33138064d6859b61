"""``VENDO_SPEEDUPS`` on the GraphQL side: off, the schema runs on the libraries' stock paths
(graphql-core's execution, Strawberry's extension runner and MaskErrors, the graphql-core schema
rebuilt from the SDL); on or off, every answer is the same. The fast path's own comparison is
tests/resolvers/test_fastpath.py, the runner's tests/resolvers/test_extension_runner.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from graphql import parse
from strawberry.extensions.runner import SchemaExtensionsRunner

from app.settings import Environment, Settings
from legacy_rest.documents import load_operation
from legacy_rest.routes import ROUTES
from resolvers.engine.masking import MaskInternalErrors
from resolvers.engine.pagination import DEFAULT_PAGE_SIZE
from resolvers.engine.protections import operation_cost, rebuilt_schema
from resolvers.engine.speedups import graphql_schema
from resolvers.engine.speedups.extension_runner import ExtensionsRunner
from resolvers.engine.speedups.fastpath import FastExecutionContext
from resolvers.engine.speedups.masking import FastMaskInternalErrors
from resolvers.schema import build_schema
from tests.resolvers.protections.helpers import (
    COST_FRAGMENTS,
    COST_LITERAL,
    COST_VARIABLE,
    MISSPELT_ARGUMENT,
    MISSPELT_FIELD,
    MISSPELT_TYPE,
    MISSPELT_VARIABLE_TYPE,
)
from tests.resolvers.test_fastpath import EDGE_CASES, EXAMPLES


def _parts(schema: Any) -> tuple[Any, ...]:
    masking = schema.extensions[0]()
    runner = schema.create_extensions_runner(None, [])
    return (
        issubclass(schema.execution_context_class, FastExecutionContext),
        type(masking),
        type(runner),
    )


def test_speedups_off_is_the_stock_library_everywhere() -> None:
    stock = build_schema(Settings(speedups=False))
    assert _parts(stock) == (False, MaskInternalErrors, SchemaExtensionsRunner)
    fast = build_schema(Settings(speedups=False), fast=True)
    assert _parts(fast) == (True, FastMaskInternalErrors, ExtensionsRunner)
    assert _parts(build_schema(Settings(speedups=True))) == _parts(fast)


# Errors found before execution: every kind, each shaped by the masking extension (a code, no
# suggestion in production, identical ones merged, at most 20).
ERRORS = [
    MISSPELT_FIELD,
    MISSPELT_ARGUMENT,
    MISSPELT_TYPE,
    MISSPELT_VARIABLE_TYPE,
    "{ integrations { nodes { provider @aa @aa @aa @aa @aa @aa @aa @aa @aa @aa } } }",
    "{ " + " ".join(f"f{i}: nope{i}" for i in range(30)) + " }",
    "{ integrations(first: 1) { nodes { provider } }",
    COST_LITERAL % 99,
    "query($n: Int!) { integrations(first: $n) { totalCount } }",
    "subscription { nothing }",
]


@pytest.mark.parametrize("env", list(Environment))
@pytest.mark.parametrize("document", ERRORS)
async def test_errors_are_answered_the_same_with_and_without_speedups(
    document: str, env: Environment
) -> None:
    settings = Settings(env=env)
    answers = []
    for fast in (True, False):
        result = await build_schema(settings, fast=fast).execute(document)
        assert result.errors
        answers.append((result.data, [error.formatted for error in result.errors]))
    assert answers[0] == answers[1]


@pytest.mark.parametrize(
    "document",
    [load_operation(route.operation) for route in ROUTES]
    + EXAMPLES
    + EDGE_CASES
    + [COST_LITERAL % 99, COST_VARIABLE, COST_FRAGMENTS],
)
def test_cost_is_the_same_on_the_rebuilt_schema(document: str) -> None:
    """The stock path prices operations on a graphql-core schema rebuilt from the SDL, the
    speed-up on the one inside Strawberry's: the same cost for every operation we know."""
    schema = build_schema()
    parsed = parse(document)
    for variables in ({}, {"first": 7}):
        fast, stock = (
            operation_cost(of(schema), parsed, None, variables, page_size=DEFAULT_PAGE_SIZE)
            for of in (graphql_schema, rebuilt_schema)
        )
        assert fast == stock


def test_rebuilt_schema_is_built_once_per_schema() -> None:
    schema, other = build_schema(), build_schema()
    assert rebuilt_schema(schema) is rebuilt_schema(schema)
    assert rebuilt_schema(other) is not rebuilt_schema(schema)


# Results of a stream (a subscription's events) are masked and shaped too.


@strawberry.type
class _Query:
    hello: str = "world"


@strawberry.type
class _Tick:
    n: int

    @strawberry.field
    def boom(self) -> str | None:
        if self.n == 2:
            raise ValueError("a bug with a secret in it")
        return "fine"


@strawberry.type
class _Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[_Tick, None]:
        yield _Tick(n=1)
        yield _Tick(n=2)


@pytest.mark.parametrize("masking", [MaskInternalErrors, FastMaskInternalErrors])
async def test_subscription_errors_are_masked(masking: type[MaskInternalErrors]) -> None:
    schema = strawberry.Schema(query=_Query, subscription=_Subscription, extensions=[masking])
    frames = []
    events = await schema.subscribe("subscription { ticks { n boom } }")
    async for result in events:
        frames.append((result.data, [error.formatted for error in result.errors or ()]))
    internal = {"code": "INTERNAL", "requestId": None}
    assert frames == [
        ({"ticks": {"n": 1, "boom": "fine"}}, []),
        ({"ticks": {"n": 2, "boom": None}}, [{"message": "Internal server error",
          "locations": [{"line": 1, "column": 26}], "path": ["ticks", "boom"],
          "extensions": internal}]),
    ]  # fmt: skip
    # Found before execution: the client's, with its code (shaped like any other answer).
    invalid = await schema.subscribe("subscription { tick }")
    # Each frame as it is sent (a transport writes it before the stream goes on).
    invalid_frames = [
        [error.formatted for error in result.errors or ()] async for result in invalid
    ]
    assert invalid_frames == [
        [
            {
                "message": "Cannot query field 'tick' on type 'Subscription'."
                " Did you mean 'ticks'?",
                "locations": [{"line": 1, "column": 16}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    ]
