"""The bench's scenarios: what each wrk run requests, with which credential.

The core scenarios (the GraphQL list and tools, the toggle), the baselines they are compared
with, every legacy GET route with a sample request beside its GraphQL twin (the route's own
operation posted to /graphql with the variables the route computes), and the usage trend at one
connection, and a deployment's connections (App Key) at one connection. The names below are the
ones the targets are computed from (``bench.targets``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from bench.dataset import DEMO_SLUG, USAGE_PROVIDER

if TYPE_CHECKING:
    from app.services.auth import Viewer
    from legacy_rest.legacy_route import LegacyRoute

TOGGLE_SLUG = "telegram"  # not managed-pool provisioned: a toggle is one upsert
TOOL_SLUG = "hermes"
DETAIL_SLUG = "openrouter"

# Settings of the bench server, on top of the database and cache ones. The page cap and the
# cost limit are raised so that the 500-tool scenario is allowed at all; the alias limit so that
# the legacy operations can be posted to /graphql (with the default of 15, LegacyIntegrationList
# and LegacyIntegrationDetail are rejected); the integration and balance rate limits so that the
# toggle and balance scenarios measure answers, not 429s.
BENCH_SETTINGS = {
    "VENDO_ENV": "production",
    "VENDO_GRAPHQL_MAX_PAGE_SIZE": "1000",
    "VENDO_GRAPHQL_MAX_COST": "100000000",
    "VENDO_GRAPHQL_MAX_ALIASES": "1000",
    "VENDO_INTEGRATION_RATE_LIMIT": "1000000/minute",
    "VENDO_BALANCE_RATE_LIMIT": "1000000/minute",
    "VENDO_CLI_BALANCE_RATE_LIMIT": "1000000/minute",
    "VENDO_LOG_FLUSH_SECONDS": "0.5",
}
PAGE_CAP = int(BENCH_SETTINGS["VENDO_GRAPHQL_MAX_PAGE_SIZE"])

LIST_QUERY = """query BenchIntegrationList($first: Int!) {
  integrations(first: $first) {
    nodes {
      databaseId provider name description category type enabled defaultProfile
      supportedProfiles logoUrl
    }
  }
}"""
TOOLS_QUERY = """query BenchToolsNested($first: Int!) {
  tools(first: $first) {
    nodes {
      slug name category
      integrations {
        required { integration { provider name category logoUrl } alreadyEnabled }
        optional { integration { provider name category logoUrl } alreadyEnabled }
      }
    }
  }
}"""

# The sample request of every legacy GET route: (credential, path params, query) per variant.
LEGACY_SAMPLES: dict[str, list[tuple[str, dict[str, str], dict[str, str]]]] = {
    "/api/integrations": [("anon", {}, {}), ("session", {}, {})],
    "/api/integrations/{slug}": [("anon", {"slug": DETAIL_SLUG}, {}),
                                 ("session", {"slug": DETAIL_SLUG}, {})],
    "/api/integrations/{slug}/usage": [("session", {"slug": USAGE_PROVIDER}, {})],
    "/api/tools/catalog": [("anon", {}, {})],
    "/api/tools/deployable": [("anon", {}, {})],
    "/api/tools/{slug}": [("anon", {"slug": TOOL_SLUG}, {})],
    "/api/tools/{slug}/usage-framing": [("anon", {"slug": TOOL_SLUG}, {})],
    "/api/tools/{slug}/integrations": [("session", {"slug": TOOL_SLUG}, {"appId": "{app}"})],
    "/api/pricing/models": [("anon", {}, {})],
    "/api/pricing/integrations": [("anon", {}, {})],
    "/api/pricing/public/{slug}": [("anon", {"slug": DETAIL_SLUG}, {})],
    "/api/v1/integrations": [("bearer", {}, {})],
    "/api/v1/integrations/{id}": [("bearer", {"id": DETAIL_SLUG}, {})],
    "/api/v1/mcp-connections": [("bearer", {}, {})],
    "/api/v1/native-tools": [("bearer", {}, {})],
    "/api/v1/balance": [("app_key", {}, {})],
    "/api/billing/balance": [("app_key", {}, {})],
    "/api/cli/balance": [("app_key", {}, {})],
    # Keys and apps (docs/CONTRACT.md §3.11)
    "/api/deployments/me/connections": [("app_key", {}, {})],
    "/api/auth/me": [("session", {}, {})],
    "/api/user/me": [("session", {}, {})],
    "/api/tenants/me": [("session", {}, {})],
    "/api/apps": [("session", {}, {})],
    "/api/keys": [("session", {}, {})],
}  # fmt: skip

# Names of the scenarios the targets are computed from.
S_STATIC = "baseline: static bytes"
S_RAW_LIST = "baseline: raw SQL list 200"
S_RAW_TOOLS = "baseline: raw SQL tools 500"
S_ANON_LIST = "GET /api/integrations [anon]"
S_SIGNED_LIST = "GET /api/integrations [session]"
S_GQL_LIST = "graphql: integrations 200 × 10 fields"
S_GQL_TOOLS = "graphql: 500 tools × nested integrations"
S_USAGE_REST = "GET /api/integrations/{slug}/usage [session]"
S_USAGE_GQL = "graphql LegacyIntegrationUsage [session]"
S_USAGE_REST_C1 = "usage trend REST, 1 connection"
S_USAGE_GQL_C1 = "usage trend GraphQL, 1 connection"
S_BALANCE_REST = "GET /api/v1/balance [app_key]"
S_BALANCE_GQL = "graphql LegacyBalance [app_key]"
S_BALANCE_REST_C1 = "balance REST, 1 connection"
S_BALANCE_GQL_C1 = "balance GraphQL, 1 connection"
S_DEPLOY_REST = "GET /api/deployments/me/connections [app_key]"
S_DEPLOY_GQL = "graphql LegacyDeploymentConnections [app_key]"
S_DEPLOY_REST_C1 = "deployment connections REST, 1 connection"
S_DEPLOY_GQL_C1 = "deployment connections GraphQL, 1 connection"
S_TOGGLE = "toggle: POST /api/integrations/{slug} [session]"
S_PRICING = "GET /api/pricing/models [anon]"
# Not a legacy pair, but run as one block all the same, taking turns to go first: the first light
# run after a round's heavy scenarios meets more of their aftermath (in three full runs, the REST
# usage trend's p99 at one connection, always run first, was above its twin's in 13 rounds of 15).
TAKE_TURNS = (
    (S_USAGE_REST_C1, S_USAGE_GQL_C1),
    (S_BALANCE_REST_C1, S_BALANCE_GQL_C1),
    (S_DEPLOY_REST_C1, S_DEPLOY_GQL_C1),
)
# Measured again at one connection, for the p99 targets: (base scenario, its one-connection run).
ONE_CONNECTION = (
    (S_USAGE_REST, S_USAGE_REST_C1),
    (S_USAGE_GQL, S_USAGE_GQL_C1),
    (S_BALANCE_REST, S_BALANCE_REST_C1),
    (S_BALANCE_GQL, S_BALANCE_GQL_C1),
    (S_DEPLOY_REST, S_DEPLOY_REST_C1),
    (S_DEPLOY_GQL, S_DEPLOY_GQL_C1),
)
# Small requests (docs/decisions/0132): one object by key, the viewer, the fixed cost of
# any GraphQL request, a small cached answer; each beside what a user would write instead.
S_GQL_DETAIL = "graphql: integration(slug) × 9 fields"
S_RAW_DETAIL = "baseline: raw SQL integration by key"
S_STOCK_DETAIL = "baseline: stock Strawberry + SQLModel session, integration(slug)"
S_GQL_VIEWER = "graphql: viewer { email workspace { slug } } [session]"
S_RAW_VIEWER = "baseline: raw session lookup, viewer [session]"
S_GQL_TYPENAME = "graphql: { __typename }"
S_STATIC_TYPENAME = "baseline: static bytes of { __typename }"
S_CACHED_DETAIL = "GET /api/integrations/{slug} [anon]"  # a legacy route: response cache hit
S_STATIC_DETAIL = "baseline: static bytes of the detail"
SMALL = (S_GQL_DETAIL, S_GQL_VIEWER, S_GQL_TYPENAME, S_CACHED_DETAIL)
DETAIL_FIELDS = "databaseId provider name description category type enabled defaultProfile logoUrl"
DETAIL_QUERY = (
    "query BenchIntegration($slug: String!) { integration(slug: $slug) { " + DETAIL_FIELDS + " } }"
)
VIEWER_QUERY = "query BenchViewer { viewer { email workspace { slug } } }"
TYPENAME_QUERY = "{ __typename }"

SCALING = (
    S_ANON_LIST,
    S_SIGNED_LIST,
    S_GQL_LIST,
    S_GQL_TOOLS,
    S_USAGE_GQL,
    S_TOGGLE,
    S_PRICING,
    *SMALL,
)
QUICK_SCALING = (S_ANON_LIST, S_GQL_LIST, S_USAGE_GQL)

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Scenario:
    name: str
    server: str  # "gateway" | "baseline"
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    body2: bytes | None = None  # requests alternate between body and body2
    kind: str = "core"  # core | legacy | twin | baseline
    connections: int | None = None  # fixed connection count (else adaptive)
    graphql: bool = False
    note: str = ""


@dataclass
class Credentials:
    cookie: str
    app_key: str
    facts: dict[str, Any]

    def headers(self, variant: str) -> dict[str, str]:
        if variant == "session":
            return {"Cookie": f"vendo_session={self.cookie}"}
        if variant == "bearer":
            return {"Authorization": f"Bearer {self.app_key}", "X-Account-ID": DEMO_SLUG}
        if variant == "app_key":  # an SDK's or a deployed tool's call: the App Key alone
            return {"Authorization": f"Bearer {self.app_key}"}
        return {}


def graphql_body(query: str, variables: dict[str, Any], operation: str | None = None) -> bytes:
    payload: dict[str, Any] = {"query": query, "variables": variables}
    if operation:
        payload["operationName"] = operation
    return orjson.dumps(payload)


def build_scenarios(creds: Credentials) -> tuple[list[Scenario], list[tuple[str, str]], list[str]]:
    """Every scenario (the first of a name wins), the (legacy route, GraphQL twin) pairs, and
    warnings."""
    legacy, pairs, warnings = legacy_scenarios(creds)
    scenarios: dict[str, Scenario] = {}
    _add(scenarios, [*baseline_scenarios(), *core_scenarios(creds), *legacy])
    _add(scenarios, small_scenarios(creds))
    _add(scenarios, one_connection_scenarios(scenarios))
    return list(scenarios.values()), pairs, warnings


def _add(scenarios: dict[str, Scenario], found: Iterable[Scenario]) -> None:
    for scenario in found:
        scenarios.setdefault(scenario.name, scenario)


def baseline_scenarios() -> list[Scenario]:
    """What the same answers cost without GraphQL (``bench.baselines``)."""
    return [
        Scenario(
            S_STATIC,
            "baseline",
            "GET",
            "/static",
            kind="baseline",
            note="precomputed bytes of the anonymous /api/integrations body",
        ),
        Scenario(
            S_RAW_LIST,
            "baseline",
            "GET",
            "/raw/integrations?first=200",
            kind="baseline",
            note="one SQL query, orjson; same JSON as the GraphQL list",
        ),
        Scenario(
            S_RAW_TOOLS,
            "baseline",
            "GET",
            "/raw/tools?first=500",
            kind="baseline",
            note="two SQL queries, dicts, orjson; same JSON as the GraphQL tools",
        ),
    ]


def core_scenarios(creds: Credentials) -> list[Scenario]:
    """The GraphQL list and tools, and the toggle."""
    return [
        Scenario(
            S_GQL_LIST,
            "gateway",
            "POST",
            "/graphql",
            JSON_HEADERS,
            graphql_body(LIST_QUERY, {"first": 200}),
            graphql=True,
            note="anonymous, never cached",
        ),
        Scenario(
            S_GQL_TOOLS,
            "gateway",
            "POST",
            "/graphql",
            JSON_HEADERS,
            graphql_body(TOOLS_QUERY, {"first": 500}),
            graphql=True,
            note="anonymous: alreadyEnabled is false",
        ),
        Scenario(
            S_TOGGLE,
            "gateway",
            "POST",
            f"/api/integrations/{TOGGLE_SLUG}",
            {**JSON_HEADERS, **creds.headers("session")},
            b'{"enabled": true}',
            b'{"enabled": false}',
            note="alternating true/false",
        ),
    ]


def small_scenarios(creds: Credentials) -> list[Scenario]:
    """Small requests beside what a user would write instead (``bench.baselines``). The cached
    small GET is the legacy detail route's anonymous sample, already a scenario."""
    session = creds.headers("session")
    detail = graphql_body(DETAIL_QUERY, {"slug": DETAIL_SLUG})
    return [
        Scenario(
            S_GQL_DETAIL,
            "gateway",
            "POST",
            "/graphql",
            JSON_HEADERS,
            detail,
            graphql=True,
            note="anonymous, one integration by key",
        ),
        Scenario(
            S_RAW_DETAIL,
            "baseline",
            "GET",
            f"/raw/integration?slug={DETAIL_SLUG}",
            kind="baseline",
            note="one SQL SELECT by key, orjson; same JSON as the GraphQL detail",
        ),
        Scenario(
            S_STOCK_DETAIL,
            "baseline",
            "POST",
            "/stock/graphql",
            JSON_HEADERS,
            detail,
            kind="baseline",
            graphql=True,
            note="strawberry.asgi.GraphQL, a SQLModel AsyncSession per request",
        ),
        Scenario(
            S_GQL_VIEWER,
            "gateway",
            "POST",
            "/graphql",
            {**JSON_HEADERS, **session},
            graphql_body(VIEWER_QUERY, {}),
            graphql=True,
            note="signed in: the session lookup",
        ),
        Scenario(
            S_RAW_VIEWER,
            "baseline",
            "GET",
            "/raw/viewer",
            session,
            kind="baseline",
            note="the gateway's session lookup statement, orjson",
        ),
        Scenario(
            S_GQL_TYPENAME,
            "gateway",
            "POST",
            "/graphql",
            JSON_HEADERS,
            graphql_body(TYPENAME_QUERY, {}),
            graphql=True,
            note="the fixed cost of any GraphQL request",
        ),
        Scenario(
            S_STATIC_TYPENAME,
            "baseline",
            "POST",
            "/static/typename",
            JSON_HEADERS,
            graphql_body(TYPENAME_QUERY, {}),
            kind="baseline",
            note="the answer's bytes, the request body read",
        ),
        Scenario(
            S_STATIC_DETAIL,
            "baseline",
            "GET",
            "/static/detail",
            kind="baseline",
            note=f"precomputed bytes of the anonymous /api/integrations/{DETAIL_SLUG} body",
        ),
    ]


def legacy_scenarios(
    creds: Credentials,
) -> tuple[list[Scenario], list[tuple[str, str]], list[str]]:
    """Each sample request of each legacy GET route, followed by its GraphQL twin; the pairs;
    warnings for routes without a sample, samples without a route, twins not measured."""
    from legacy_rest.routes import ROUTES

    found: list[Scenario] = []
    pairs: list[tuple[str, str]] = []
    warnings: list[str] = []
    viewers = _viewers()
    covered = set()
    for route in ROUTES:
        if route.method != "GET":
            continue
        samples = LEGACY_SAMPLES.get(route.path)
        if samples is None:
            warnings.append(f"no sample request for GET {route.path}: not measured")
            continue
        covered.add(route.path)
        for variant, params, query in samples:
            rest, twin = legacy_pair(route, creds, variant, params, query, viewers[variant])
            found.append(rest)
            if isinstance(twin, str):
                warnings.append(twin)
                continue
            found.append(twin)
            pairs.append((rest.name, twin.name))
    for path in sorted(set(LEGACY_SAMPLES) - covered):
        warnings.append(f"sample for {path}, which is no longer a legacy GET route")
    return found, pairs, warnings


def _viewers() -> dict[str, Viewer]:
    from app.services.auth import Credential, Viewer

    return {
        "anon": Viewer(),
        "session": Viewer(credential=Credential.SESSION),
        "bearer": Viewer(credential=Credential.APP_KEY),
        "app_key": Viewer(credential=Credential.APP_KEY),
    }


def spends_ip_limit(scenario: str) -> bool:
    """Whether the legacy route a scenario requests (``GET /path [variant]``) spends a per-IP
    rate limit window (CONTRACT.md §3.8) — work its GraphQL twin does not do: with Redis, one
    more round trip."""
    from legacy_rest.routes import ROUTES

    method, _, rest = scenario.partition(" ")
    path = rest.split(" [", 1)[0]
    return any(
        route.ip_limit is not None
        for route in ROUTES
        if route.method == method and path in (route.path, *route.aliases)
    )


def legacy_pair(
    route: LegacyRoute,
    creds: Credentials,
    variant: str,
    params: dict[str, str],
    query: dict[str, str],
    viewer: Viewer,
) -> tuple[Scenario, Scenario | str]:
    """A route's sample request and its twin — or, when the route cannot compute the twin's
    variables, why not."""
    from legacy_rest.legacy_route import RestInput

    app_id = creds.facts["demo_hermes_app_id"]
    query = {k: v.replace("{app}", app_id) for k, v in query.items()}
    headers = creds.headers(variant)
    path = route.path.format(**params)
    if query:
        path += "?" + urllib.parse.urlencode(query)
    cached = " (response cache)" if route.cache is not None else ""
    rest = Scenario(
        f"GET {route.path} [{variant}]",
        "gateway",
        "GET",
        path,
        headers,
        kind="legacy",
        note=f"operation {route.operation}{cached}",
    )
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        variables = route.variables(
            RestInput(path=params, query=query, headers=lowered, body=None, viewer=viewer)
        )
    except Exception as error:
        return rest, f"variables of {rest.name}: {error!r}; twin not measured"
    return rest, twin_scenario(route.operation, variant, variables, headers)


def twin_scenario(
    operation: str, variant: str, variables: dict[str, Any], headers: dict[str, str]
) -> Scenario:
    """A route's operation posted to /graphql with the route's variables and credential."""
    from legacy_rest.documents import load_operation, operation_name

    document = load_operation(operation)
    if "$first" in document:
        # The route asks for whole lists (a trusted operation has no page cap); posted to
        # /graphql the same operation gets a default page unless it asks for more.
        variables = {**variables, "first": PAGE_CAP}
    name = operation_name(document)
    return Scenario(
        f"graphql {name} [{variant}]",
        "gateway",
        "POST",
        "/graphql",
        {**JSON_HEADERS, **headers},
        graphql_body(document, variables, name),
        kind="twin",
        graphql=True,
        note=f"{operation}.graphql posted directly",
    )


def one_connection_scenarios(scenarios: dict[str, Scenario]) -> list[Scenario]:
    """The usage trend, the balance, a deployment's connections and their twins at one
    connection (the p99 targets)."""
    found = []
    for base_name, name in ONE_CONNECTION:
        base = scenarios.get(base_name)
        if base is not None:
            found.append(
                Scenario(
                    name,
                    base.server,
                    base.method,
                    base.path,
                    base.headers,
                    base.body,
                    kind="core",
                    connections=1,
                    graphql=base.graphql,
                    note=f"{base.name} at one connection",
                )
            )
    return found
