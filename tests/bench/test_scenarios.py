"""The bench's scenarios (bench/scenarios.py): every legacy GET route measured beside its twin,
the twin asking for what the route answers, the usage trend and a deployment's connections at one
connection."""

from __future__ import annotations

import orjson

from bench.scenarios import (
    ONE_CONNECTION,
    S_BALANCE_GQL,
    S_BALANCE_REST,
    S_DEPLOY_GQL,
    S_DEPLOY_REST,
    Credentials,
    build_scenarios,
)
from legacy_rest.routes import ROUTES

CREDS = Credentials("cookie-1", "key-1", {"demo_hermes_app_id": "app-1"})


def variables(body: bytes | None) -> dict[str, object]:
    assert body is not None
    return orjson.loads(body)["variables"]  # type: ignore[no-any-return]


def test_every_legacy_get_route_is_measured_beside_its_twin_without_warnings():
    scenarios, pairs, warnings = build_scenarios(CREDS)
    kinds = {s.name: s.kind for s in scenarios}
    assert warnings == []
    assert {rest.split(" [")[0] for rest, _ in pairs} == {
        f"GET {route.path}" for route in ROUTES if route.method == "GET"
    }
    assert {(kinds[rest], kinds[twin]) for rest, twin in pairs} == {("legacy", "twin")}


def test_a_twin_posts_the_routes_operation_with_its_variables_and_credential():
    scenarios = {s.name: s for s in build_scenarios(CREDS)[0]}
    rest = scenarios["GET /api/tools/{slug}/integrations [session]"]
    twin = scenarios["graphql LegacyToolIntegrations [session]"]
    assert rest.path == "/api/tools/hermes/integrations?appId=app-1"
    assert rest.headers == {"Cookie": "vendo_session=cookie-1"}
    assert (twin.method, twin.path) == ("POST", "/graphql")
    assert twin.headers == {"Content-Type": "application/json", "Cookie": "vendo_session=cookie-1"}
    assert variables(twin.body) == {"slug": "hermes", "appId": "app-1"}
    bearer = scenarios["graphql LegacyAccount [bearer]"]
    assert bearer.headers["Authorization"] == "Bearer key-1"
    assert bearer.headers["X-Account-ID"] == "demo"


def test_a_list_twin_asks_for_the_whole_list_as_its_route_does():
    scenarios = {s.name: s for s in build_scenarios(CREDS)[0]}
    twin = scenarios["graphql LegacyIntegrationList [anon]"]
    assert variables(twin.body) == {"signedIn": False, "first": 1000}


def test_the_balance_is_measured_with_the_app_key_alone_beside_its_twin():
    scenarios, pairs, _ = build_scenarios(CREDS)
    named = {s.name: s for s in scenarios}
    assert (S_BALANCE_REST, S_BALANCE_GQL) in pairs
    assert named[S_BALANCE_REST].path == "/api/v1/balance"
    assert named[S_BALANCE_REST].headers == {"Authorization": "Bearer key-1"}
    twin = named[S_BALANCE_GQL]
    assert twin.headers == {"Content-Type": "application/json", "Authorization": "Bearer key-1"}
    assert variables(twin.body) == {}


def test_a_deployment_s_connections_are_asked_with_the_app_key_alone():
    scenarios = {s.name: s for s in build_scenarios(CREDS)[0]}
    rest, twin = scenarios[S_DEPLOY_REST], scenarios[S_DEPLOY_GQL]
    assert (rest.method, rest.path) == ("GET", "/api/deployments/me/connections")
    assert rest.headers == {"Authorization": "Bearer key-1"}
    assert twin.headers == {"Content-Type": "application/json", "Authorization": "Bearer key-1"}
    assert variables(twin.body) == {}


def test_the_one_connection_scenarios_repeat_their_base_request():
    """The usage trend, the balance and a deployment's connections, REST and GraphQL."""
    scenarios = {s.name: s for s in build_scenarios(CREDS)[0]}
    assert len(ONE_CONNECTION) == 6
    for base, single in ONE_CONNECTION:
        one = scenarios[single]
        assert one.connections == 1
        assert (one.method, one.path, one.headers, one.body) == (
            scenarios[base].method,
            scenarios[base].path,
            scenarios[base].headers,
            scenarios[base].body,
        )
