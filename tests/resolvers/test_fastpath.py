"""The fast path for lists answers exactly what graphql-core's own execution answers: the same
operations run through two schemas, one with the fast path and one without, on the same data
and the same viewer, and their data and errors are compared — for every legacy operation, every
documented example, hand-picked edge cases and queries generated from the schema."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.runtime import Runtime
from app.services.auth import ANONYMOUS, Viewer
from legacy_rest.documents import load_operation
from legacy_rest.routes import ROUTES
from resolvers.context import Context
from resolvers.schema import GatewaySchema, build_schema
from tests.conftest import Sessions
from tests.support.documents import RAISED_LIMITS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "GRAPHQL_EXAMPLES.md"
EXAMPLES = [
    block
    for block in re.findall(r"```graphql\n(.*?)```", DOCS.read_text(), re.S)
    if not block.lstrip().startswith("mutation")
]
EDGE_CASES = [
    "{ integrations(first: 5) { nodes { __typename id provider supportedProfiles envBootstrap"
    " logoUrl iconName } } }",
    "{ a: integrations(first: 3) { nodes { x: provider y: provider } } b: integrations(first: 2)"
    " { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }",
    "query($skip: Boolean!) { integrations { nodes { provider name @skip(if: $skip)"
    " description @include(if: $skip) } } }",
    "{ integrations { nodes { ...A ...B } } } fragment A on Integration { provider name }"
    " fragment B on Integration { name category }",
    "{ tools(first: 20) { nodes { slug internal marketing activeRelease { version requires"
    " { required optional } wizardInputs wizardLayout { version subSteps { id title } } } } } }",
    "{ deployableTools { nodes { toolSlug wizardInputs wizardLayout { subSteps { sections"
    " { __typename ... on IntegrationSection { providers } } } } tool { id slug } } } }",
    '{ toolIntegrations(slug: "hermes") { required { integration { provider tenantEnabled }'
    " alreadyEnabled } optional { alreadyEnabled integration { name } } } }",
    "{ integrations { nodes { provider tenantEnabled provisioned usageThisMonth costThisMonth"
    " installation { status secretNames } } } }",
    "{ pricingIntegrations { slug name category } }",
    # Unions: built by the plan of each object's member type.
    "{ deployableTools { nodes { wizardLayout { subSteps { sections { __typename } } } } } }",
    "{ deployableTools { nodes { wizardLayout { subSteps { sections { ...S } } } } } }"
    " fragment S on WizardSection { ... on NoticeSection { body type }"
    " ... on InputsSection { k: keys } }",
    '{ tool(slug: "hermes") { activeRelease { wizardLayout { subSteps { id sections'
    " { __typename ... on IntegrationSection { p: providers type } } } } } } }",
]
LIMITS = RAISED_LIMITS


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return LIMITS


@pytest.fixture
def schemas(runtime: Runtime) -> tuple[GatewaySchema, GatewaySchema]:
    settings = runtime.settings
    return build_schema(settings, fast=True), build_schema(settings, fast=False)


@pytest.fixture
async def viewers(runtime: Runtime, sessions: Sessions, demo: None) -> list[Viewer]:
    from app.services.auth import PresentedCredentials, authenticate

    token = await sessions.create("demo@vendo.local")
    signed_in = await authenticate(
        PresentedCredentials(cookie=token),
        accept=frozenset({"session"}),  # type: ignore[arg-type]
        connect=runtime.db.connect,
        settings=runtime.settings,
    )
    assert signed_in.is_authenticated
    return [ANONYMOUS, signed_in]


async def _answers(
    schema: GatewaySchema, runtime: Runtime, viewer: Viewer, query: str, variables: Any
) -> tuple[Any, Any]:
    context = Context(runtime=runtime, viewer=viewer, client_ip="127.0.0.1")
    result = await schema.execute(query, variable_values=variables, context_value=context)
    errors = [(e.message, e.path, (e.extensions or {}).get("code")) for e in result.errors or ()]
    return result.data, sorted(errors, key=repr)


async def _same(
    schemas: tuple[GatewaySchema, GatewaySchema],
    runtime: Runtime,
    viewer: Viewer,
    query: str,
    variables: Any = None,
) -> None:
    fast, plain = schemas
    got = await _answers(fast, runtime, viewer, query, variables)
    expected = await _answers(plain, runtime, viewer, query, variables)
    if got[0] is None and expected[0] is None:
        # A non-null root field failed: graphql-core cancels its still-running siblings, so
        # which of their errors is recorded first depends on timing, in either execution;
        # every error either one records is one the other may record.
        assert got[1], query
        assert expected[1], query
    else:
        assert got == expected, query


def _legacy_queries() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for route in ROUTES:
        document = load_operation(route.operation)
        if not document.lstrip().startswith("query"):
            continue
        example = route.example
        variables: dict[str, Any] = {**example.get("path", {}), **example.get("query", {})}
        if "X-Account-ID" in example.get("headers", {}):
            variables["account"] = example["headers"]["X-Account-ID"]
        for signed_in in (False, True):
            cases.append((document, {**variables, "signedIn": signed_in}))
    return cases


@pytest.mark.parametrize(("query", "variables"), _legacy_queries())
async def test_fastpath_legacy_operation_matches_graphql_core(
    schemas: tuple[GatewaySchema, GatewaySchema],
    runtime: Runtime,
    viewers: list[Viewer],
    query: str,
    variables: dict[str, Any],
) -> None:
    # Unused variables are dropped: graphql-core refuses no extra ones, but keep them honest.
    declared = set(re.findall(r"\$(\w+)", query))
    variables = {k: v for k, v in variables.items() if k in declared}
    for viewer in viewers:
        await _same(schemas, runtime, viewer, query, variables)


@pytest.mark.parametrize("query", EXAMPLES + EDGE_CASES)
async def test_fastpath_example_matches_graphql_core(
    schemas: tuple[GatewaySchema, GatewaySchema],
    runtime: Runtime,
    viewers: list[Viewer],
    query: str,
) -> None:
    variables = {"skip": True} if "$skip" in query else {"first": 5} if "$first" in query else {}
    if "$id" in query:
        variables["id"] = "SW50ZWdyYXRpb246MQ=="
    for viewer in viewers:
        await _same(schemas, runtime, viewer, query, variables)
        if "$skip" in query:
            await _same(schemas, runtime, viewer, query, {"skip": False})


# When a non-null root field fails, graphql-core abandons its siblings: a resolver coroutine it
# had created may then never be awaited (in either execution), which Python reports on garbage
# collection. That is graphql-core's behaviour on aborted operations, not a difference.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_fastpath_generated_queries_match_graphql_core(
    schemas: tuple[GatewaySchema, GatewaySchema], runtime: Runtime, viewers: list[Viewer]
) -> None:
    """Queries drawn from the schema itself (hypothesis-graphql), anonymous and signed in."""
    loop = asyncio.get_running_loop()
    sdl = schemas[0].as_str()
    queries: list[str] = []

    @given(query=hypothesis_graphql.queries(sdl, allow_x00=False), viewer=st.sampled_from([0, 1]))
    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def collect(query: str, viewer: int) -> None:
        queries.append((query, viewer))  # type: ignore[arg-type]

    await loop.run_in_executor(None, collect)
    assert len(queries) >= 100
    for query, viewer in queries:  # type: ignore[misc]
        await _same(schemas, runtime, viewers[viewer], query)


TOOLS_WITH_APP = """query($app: String) {
  tools(first: 50) {
    nodes {
      slug
      activeRelease { version requires { required optional } }
      usageFraming { amounts { usd days label coldStart } averageDailySpendMicros coldStart }
      integrations(appId: $app) {
        required { alreadyEnabled integration { provider tenantEnabled provisioned } }
        optional { alreadyEnabled integration { provider installation { status } } }
      }
    }
  }
}"""


async def _app_ids(runtime: Runtime) -> list[str | None]:
    from sqlalchemy import select

    from app.models import App

    async with runtime.db.read() as session:
        mine = await session.scalar(select(App.id).where(App.name == "My Hermes"))
    # The workspace's app, a UUID that is no app, something that is no UUID, none at all.
    return [str(mine), "00000000-0000-0000-0000-000000000000", "nope", None]


async def test_fastpath_tools_with_an_app_match_graphql_core(
    schemas: tuple[GatewaySchema, GatewaySchema], runtime: Runtime, viewers: list[Viewer]
) -> None:
    for app in await _app_ids(runtime):
        for viewer in viewers:
            await _same(schemas, runtime, viewer, TOOLS_WITH_APP, {"app": app})


FAST_LISTS = [
    # (query, variables): lists whose items the fast path builds, graphql-core never.
    ("{ integrations(first: 100) { nodes { id provider name supportedProfiles } } }", {}),
    (
        "{ integrations { nodes { provider tenantEnabled provisioned usageThisMonth"
        " costThisMonth installation { status secretNames } } } }",
        {},
    ),
    (TOOLS_WITH_APP, {"app": None}),
    (
        "{ deployableTools { nodes { toolSlug wizardLayout { subSteps { id sections { __typename"
        " ... on IntegrationSection { providers } ... on InputsSection { keys }"
        " ... on NoticeSection { body } } } } } } }",
        {},
    ),
]


@pytest.mark.parametrize(("query", "variables"), FAST_LISTS)
async def test_fastpath_is_taken_for_plain_and_prefetched_lists(
    schemas: tuple[GatewaySchema, GatewaySchema],
    runtime: Runtime,
    viewers: list[Viewer],
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    variables: dict[str, Any],
) -> None:
    """graphql-core's own list completion is not called: every list is built by a plan."""
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    fallbacks: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.complete_iterable_value

    def spy(self: Any, item_type: Any, *args: Any) -> Any:
        fallbacks.append(str(item_type))
        return original(self, item_type, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "complete_iterable_value", spy)
    for viewer in viewers:
        data, errors = await _answers(schemas[0], runtime, viewer, query, variables)
        assert errors == [], errors
        assert data is not None
    assert fallbacks == []


SHARED = "query($first: Int!) { integrations(first: $first) { nodes { provider name } } }"
VARYING = (
    "query($with: Boolean!) { integrations(first: 3) { nodes { provider"
    " name @include(if: $with) ...F } } } fragment F on Integration { category @skip(if: $with) }"
)
PREFETCHED = "{ integrations(first: 4) { nodes { provider tenantEnabled provisioned } } }"


def _count_new_plans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from resolvers.engine.speedups.fastpath import FastExecutionContext

    made: list[str] = []
    original = FastExecutionContext._new_item_plan

    def spy(self: Any, item_type: Any, *args: Any) -> Any:
        made.append(str(item_type))
        return original(self, item_type, *args)

    monkeypatch.setattr(FastExecutionContext, "_new_item_plan", spy)
    return made


async def test_fastpath_plan_is_made_once_for_a_document(
    schemas: tuple[GatewaySchema, GatewaySchema],
    runtime: Runtime,
    viewers: list[Viewer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain list's plan depends only on the schema and the document: the next requests of
    the same document (other variables, another viewer) build their lists with it."""
    made = _count_new_plans(monkeypatch)
    first = await _answers(schemas[0], runtime, viewers[0], SHARED, {"first": 3})
    assert made == ["Integration!"]
    assert await _answers(schemas[0], runtime, viewers[1], SHARED, {"first": 5}) != first
    await _same(schemas, runtime, viewers[0], SHARED, {"first": 2})
    assert made == ["Integration!"]


@pytest.mark.parametrize(("query", "variables"), [(VARYING, "with"), (PREFETCHED, None)])
async def test_fastpath_plan_that_depends_on_the_request_is_made_for_each(
    schemas: tuple[GatewaySchema, GatewaySchema],
    runtime: Runtime,
    viewers: list[Viewer],
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    variables: str | None,
) -> None:
    """Directives take the request's variables, and prefetched fields read its workspace: such
    a plan is not kept, and each request answers what graphql-core answers for it."""
    made = _count_new_plans(monkeypatch)
    for flag in (True, False, True):
        for viewer in viewers:
            await _same(schemas, runtime, viewer, query, {variables: flag} if variables else None)
    assert len(made) == 6
