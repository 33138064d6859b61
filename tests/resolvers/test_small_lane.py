"""The lane for small documents (resolvers/engine/speedups/lane.py) answers exactly what the
normal path answers: each request is sent twice — the first time the document is new and takes
the normal path, the second time the lane answers it — and the two responses are compared:
status, body bytes, content type, and the operation name on the access line. And requests the
lane must leave alone are counted: they never take it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.web import request_log
from legacy_rest.documents import load_operation
from legacy_rest.routes import ROUTES
from resolvers.engine.speedups.lane import MAX_BYTES, SmallLane
from tests.conftest import Sessions, session_headers
from tests.support.credentials import bearer, demo_key
from tests.support.documents import RAISED_LIMITS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "GRAPHQL_EXAMPLES.md"
EXAMPLES = [
    block
    for block in re.findall(r"```graphql\n(.*?)```", DOCS.read_text(), re.S)
    if not block.lstrip().startswith("mutation")
]
SMALL = [
    "{ __typename }",
    '{ integration(slug: "openrouter") { id provider name category description logoUrl'
    " iconName supportedProfiles envBootstrap } }",
    "{ viewer { email workspace { slug } } }",
]


# The gateway's own operations exceed the default limits (they run trusted on the legacy routes):
# raised here so that they run on /graphql too. TestDefaults keeps the defaults.
LIMITS = {**RAISED_LIMITS, "speedups": True}  # whatever VENDO_SPEEDUPS says


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return LIMITS


def lane(app: Starlette) -> SmallLane:
    found = app.state.schema.lane
    assert isinstance(found, SmallLane)
    return found


@pytest.fixture
def operations(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The operation name of each access line, in order."""
    seen: list[str | None] = []
    measure = request_log._measure

    def record(info: request_log.RequestInfo, seconds: float) -> None:
        seen.append(info.operation)
        measure(info, seconds)

    monkeypatch.setattr(request_log, "_measure", record)
    return seen


@pytest.fixture
async def credentials(runtime: Any, sessions: Sessions, demo: None) -> list[dict[str, str]]:
    """Anonymous, a session, an App Key."""
    token = await sessions.create("demo@vendo.local")
    return [{}, session_headers(token), bearer(await demo_key(runtime))]


async def twice(
    client: httpx.AsyncClient,
    app: Starlette,
    operations: list[str | None],
    body: dict[str, Any],
    headers: dict[str, str],
) -> httpx.Response:
    """Sends ``body`` twice (the same request id, which masked errors quote); the second answer
    comes from the lane and equals the first."""
    headers = {**headers, "X-Request-ID": "lane-test"}
    hits = lane(app).hits
    first = await client.post("/graphql", json=body, headers=headers)
    assert lane(app).hits == hits, "the first sight of a document takes the normal path"
    second = await client.post("/graphql", json=body, headers=headers)
    assert lane(app).hits == hits + 1, body
    assert second.status_code == first.status_code
    assert second.content == first.content, body
    assert second.headers == first.headers  # content type and length, request id
    assert operations[-1] == operations[-2]
    return second


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
        declared = set(re.findall(r"\$(\w+)", document))
        variables = {k: v for k, v in {**variables, "signedIn": True}.items() if k in declared}
        cases.append((document, variables))
    return cases


@pytest.mark.parametrize(("query", "variables"), _legacy_queries())
async def test_lane_legacy_operation_matches_the_normal_path(
    client: httpx.AsyncClient,
    app: Starlette,
    operations: list[str | None],
    credentials: list[dict[str, str]],
    query: str,
    variables: dict[str, Any],
) -> None:
    if len(query.encode()) > MAX_BYTES - 1024:
        pytest.skip("larger than the lane's bound")
    for number, headers in enumerate(credentials):
        # A distinct text per caller: each first request takes the normal path.
        text = f"{query}\n# {number}"
        await twice(client, app, operations, {"query": text, "variables": variables}, headers)


@pytest.mark.parametrize("query", EXAMPLES + SMALL)
async def test_lane_example_matches_the_normal_path(
    client: httpx.AsyncClient,
    app: Starlette,
    operations: list[str | None],
    credentials: list[dict[str, str]],
    query: str,
) -> None:
    variables: dict[str, Any] = {"first": 5} if "$first" in query else {}
    if "$id" in query:
        variables["id"] = "SW50ZWdyYXRpb246MQ=="
    # A document of several operations is run one query operation at a time, by name.
    names: list[str | None] = re.findall(r"^query (\w+)", query, re.M)
    if len(re.findall(r"^(?:query|mutation|subscription)\b", query, re.M)) < 2:
        names = [None]
    for number, headers in enumerate(credentials):
        for name in names:
            text = f"{query}\n# {number} {name}"
            body = {"query": text, "variables": variables, "operationName": name}
            await twice(client, app, operations, body, headers)


async def test_lane_names_the_operation_on_the_access_line(
    client: httpx.AsyncClient, app: Starlette, operations: list[str | None], demo: None
) -> None:
    body = {"query": "query A { __typename } query B { __typename }", "operationName": "B"}
    response = await twice(client, app, operations, body, {})
    assert response.json() == {"data": {"__typename": "Query"}}
    assert operations[-2:] == ["B", "B"]
    await twice(client, app, operations, {"query": "query First { __typename }"}, {})
    assert operations[-1] == "First"


async def test_lane_answers_bad_user_input_as_the_normal_path(
    client: httpx.AsyncClient, app: Starlette, operations: list[str | None], demo: None
) -> None:
    body = {"query": 'query { node(id: "not-an-id") { id } }'}
    response = await twice(client, app, operations, body, {})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A variable of the wrong type: graphql-core's coercion error, on both paths.
    body = {"query": "query($first: Int) { integrations(first: $first) { nodes { name } } }"}
    body["variables"] = {"first": "many"}  # type: ignore[assignment]
    response = await twice(client, app, operations, body, {})
    assert response.json()["data"] is None


async def test_lane_masks_and_logs_internal_errors(
    client: httpx.AsyncClient,
    app: Starlette,
    operations: list[str | None],
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr("app.repositories.integrations.get_integration", boom)
    body = {"query": '{ integration(slug: "openrouter") { name } }'}
    with caplog.at_level("ERROR", logger="vendo.graphql"):
        response = await twice(client, app, operations, body, {})
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "lane-test"}
    assert "secret" not in response.text
    logged = [r for r in caplog.records if r.name == "vendo.graphql"]
    assert len(logged) == 2  # once per request, the lane's too
    assert all("lane-test" in r.getMessage() for r in logged)
    assert all(isinstance(r.exc_info[1], RuntimeError) for r in logged if r.exc_info)


async def test_lane_checks_the_cost_for_each_request_s_variables(
    client: httpx.AsyncClient, app: Starlette, operations: list[str | None], demo: None
) -> None:
    query = "query($first: Int) { integrations(first: $first) { nodes { name } } }"
    await twice(client, app, operations, {"query": query, "variables": {"first": 2}}, {})
    hits = lane(app).hits
    over = {"query": query, "variables": {"first": 10**9}}
    response = await client.post("/graphql", json=over)
    assert lane(app).hits == hits  # over the limit: the normal path refuses it
    assert response.json()["errors"][0]["message"].startswith("Query cost")


async def test_legacy_routes_do_not_feed_the_lane(
    client: httpx.AsyncClient, app: Starlette, demo: None
) -> None:
    """The gateway's own operations run trusted, without the protections: their documents are
    not the lane's to answer."""
    assert (await client.get("/api/integrations")).status_code == 200
    assert app.state.schema.lane_documents == {}


async def test_what_the_lane_leaves_to_the_normal_path(
    client: httpx.AsyncClient, app: Starlette, demo: None
) -> None:
    query = "{ __typename }"
    await client.post("/graphql", json={"query": query})  # seen: the lane would answer it
    refused = [
        client.post("/graphql", json={"query": query, "extensions": {}}),
        client.post(
            "/graphql",
            json={
                "query": query,
                "extensions": {
                    "persistedQuery": {
                        "version": 1,
                        "sha256Hash": (
                            "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"
                        ),
                    }
                },
            },
        ),
        client.post("/graphql", json=[{"query": query}]),
        client.post("/graphql", json={"query": "mutation { __typename }"}),
        client.get("/graphql", params={"query": query}),
        client.post(
            "/graphql",
            content=f'{{"query": "{query}"}}',
            headers={"Content-Type": "text/plain", "Apollo-Require-Preflight": "1"},
        ),
        client.post(
            "/graphql",
            content=f'{{"query": "{query}"}}',
            headers={"Content-Type": "application/graphql+json"},
        ),
        client.post(
            "/graphql",
            content=f'{{"query": "{query}", "x": "{" " * MAX_BYTES}"}}',
            headers={"Content-Type": "application/json"},
        ),
        client.post("/graphql", json={"query": query, "operationName": "Missing"}),
        client.post("/graphql", json={"query": query}, headers={"Accept": "multipart/mixed"}),
    ]
    for request in refused:
        await request
    assert lane(app).hits == 0
    await client.post("/graphql", json={"query": query})
    assert lane(app).hits == 1


async def test_refused_credentials_answer_as_the_normal_path(
    client: httpx.AsyncClient, app: Starlette, operations: list[str | None], demo: None
) -> None:
    for headers in (bearer("vendo_sk_nonsense"), session_headers("expired"), bearer("a.b.c")):
        body = {"query": f"{{ viewer {{ email }} }} # {sorted(headers.values())}"}
        response = await twice(client, app, operations, body, headers)
        assert response.status_code in (200, 401)


class TestDefaults:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"speedups": True}

    @pytest.mark.parametrize(
        "query",
        [
            "{ integration(slug: 1) { name } }",  # validation error
            "{ nope }",  # unknown field
            "{ " + "a { " * 60 + "b" + " }" * 60 + " }",  # depth limit
        ],
    )
    async def test_refused_documents_never_take_the_lane(
        self, client: httpx.AsyncClient, app: Starlette, demo: None, query: str
    ) -> None:
        first = await client.post("/graphql", json={"query": query})
        second = await client.post("/graphql", json={"query": query})
        assert lane(app).hits == 0
        assert first.content == second.content
        assert first.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestOrigins:
    """The lane answers at the front door (``LaneDoor``), before the CORS policies: a request
    from a browser page gets the headers /graphql's policy gives its origin there too."""

    ALLOWED = "https://app.example.com"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {**LIMITS, "graphql_cors_origins": self.ALLOWED}

    @pytest.mark.parametrize("origin", [ALLOWED, "https://elsewhere.example.com"])
    async def test_cors_headers_as_the_normal_path(
        self,
        client: httpx.AsyncClient,
        app: Starlette,
        operations: list[str | None],
        credentials: list[dict[str, str]],
        origin: str,
    ) -> None:
        for number, headers in enumerate(credentials):
            body = {"query": f"{{ viewer {{ email }} }} # {origin} {number}"}
            response = await twice(client, app, operations, body, {**headers, "Origin": origin})
            assert response.headers["vary"] == "Origin"
            allowed = response.headers.get("access-control-allow-origin")
            assert allowed == (origin if origin == self.ALLOWED else None)


class TestAllowlist:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"speedups": True, "graphql_allowlist": True}

    async def test_no_lane_in_allowlist_mode(self, app: Starlette) -> None:
        assert app.state.schema.lane is None


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"speedups": True, "env": "production"}

    async def test_introspection_stays_refused(
        self, client: httpx.AsyncClient, app: Starlette, demo: None
    ) -> None:
        query = {"query": "{ __schema { queryType { name } } }"}
        first = await client.post("/graphql", json=query)
        second = await client.post("/graphql", json=query)
        assert lane(app).hits == 0
        assert first.content == second.content
        assert "introspection" in first.json()["errors"][0]["message"]

    async def test_typename_takes_the_lane(
        self,
        client: httpx.AsyncClient,
        app: Starlette,
        operations: list[str | None],
        credentials: list[dict[str, str]],
    ) -> None:
        for query in SMALL:
            for number, headers in enumerate(credentials):
                body = {"query": f"{query}\n# {number}"}
                await twice(client, app, operations, body, headers)


class TestStock:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"speedups": False}

    async def test_no_lane_without_speedups(self, app: Starlette) -> None:
        assert app.state.schema.lane is None


class TestLegacyRoutesOnTheLane:
    """A legacy route runs its own operation as the lane executes (parsed and validated once, no
    per-request extension machinery): every answer — data, errors, refusals — is the one the
    stock path (``VENDO_SPEEDUPS=false``) gives on the same database."""

    REQUESTS = (
        ("GET", "/api/v1/balance", "app_key"),
        ("GET", "/api/billing/balance", "app_key"),
        ("GET", "/api/cli/balance", "app_key"),
        ("GET", "/api/deployments/me/connections", "app_key"),
        ("GET", "/api/integrations/openrouter", "session"),
        ("GET", "/api/integrations/no-such-integration", "session"),
        ("GET", "/api/integrations/openrouter/usage?days=7", "session"),
        ("GET", "/api/tools/no-such-tool", None),
        ("GET", "/api/keys", "session"),
        ("POST", "/api/integrations/openrouter", "session"),
        ("POST", "/api/integrations/openrouter", "session"),
    )

    async def test_each_answer_is_the_stock_path_s(
        self,
        app: Starlette,
        settings: Any,
        runtime: Any,
        sessions: Sessions,
        demo: None,
        frozen_now: Any,
    ) -> None:
        from app.factory import create_app

        headers = {
            "session": session_headers(await sessions.create("demo@vendo.local")),
            "app_key": bearer(await demo_key(runtime)),
            None: {},
        }
        stock = create_app(settings.model_copy(update={"speedups": False}))
        answers: dict[str, list[tuple[int, bytes, str | None]]] = {}
        async with stock.router.lifespan_context(stock):
            for name, application in (("lane", app), ("stock", stock)):
                transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 1))
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    answers[name] = []
                    for method, path, credential in self.REQUESTS:
                        response = await http.request(
                            method,
                            path,
                            headers={**headers[credential], "Origin": "http://t"},
                            json={"enabled": path == "/api/integrations/openrouter"}
                            if method == "POST"
                            else None,
                        )
                        answers[name].append(
                            (
                                response.status_code,
                                response.content,
                                response.headers.get("content-type"),
                            )
                        )
        assert answers["lane"] == answers["stock"]
        assert [status for status, _, _ in answers["lane"]] == [
            200, 200, 200, 200, 200, 404, 200, 404, 200, 200, 200,
        ]  # fmt: skip
        trusted = lane(app)._trusted
        for route in ROUTES:
            if route.path in {"/api/v1/balance", "/api/deployments/me/connections"}:
                assert trusted[load_operation(route.operation)] is not None  # ran on the lane
        assert app.state.schema.lane_documents == {}  # and never feeds the untrusted lane
