"""/metrics as Prometheus scrapes it: the text format, requests by route, operation and status,
latency histograms, cache hits and misses, rate-limit rejections, upstream calls and failures
(against a real HTTP server on 127.0.0.1) and the database pool gauge.

The default registry belongs to the whole test process, so every assertion is on a delta: scrape,
act, scrape again."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.cache.shared import INTEGRATIONS_CATALOG
from app.runtime import Runtime
from app.services.pricing import TAG as PRICING_TAG
from tests.support.servers import ONE_MODEL
from tests.upstream import Upstream

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
REQUESTS = "vendo_http_requests_total"
LATENCY = "vendo_http_request_duration_seconds"
CACHE = "vendo_cache_lookups_total"
REJECTIONS = "vendo_rate_limit_rejections_total"
UPSTREAM = "vendo_upstream_requests_total"
POOL = "vendo_db_pool_connections"
MODELS = ONE_MODEL


# --------------------------------------------------------------------------------------------
# Scraping


@dataclass(frozen=True)
class Scrape:
    """Every sample of one /metrics answer."""

    samples: list[tuple[str, dict[str, str], float]]
    families: dict[str, str]  # family name -> type

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels`` (0 if none)."""
        return sum(
            value
            for sample, sample_labels, value in self.samples
            if sample == name and all(sample_labels.get(k) == v for k, v in labels.items())
        )

    def labels(self, name: str, label: str) -> set[str]:
        return {labels[label] for sample, labels, _ in self.samples if sample == name}


def parse(body: str) -> Scrape:
    samples, families = [], {}
    for family in text_string_to_metric_families(body):
        families[family.name] = family.type
        samples.extend((s.name, dict(s.labels), s.value) for s in family.samples)
    return Scrape(samples, families)


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


def delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


# --------------------------------------------------------------------------------------------
# A real HTTP server on 127.0.0.1 in place of OpenRouter


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream(MODELS)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings_overrides(upstream: Upstream) -> dict[str, Any]:
    return {
        "openrouter_models_url": upstream.url,
        "openrouter_timeout_seconds": 0.5,
        "integration_rate_limit": "2/minute",
    }


@pytest.fixture(autouse=True)
def one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """In process, /metrics reads the default registry (no multiprocess directory)."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


# --------------------------------------------------------------------------------------------
# The format


async def test_metrics_content_type_is_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == PROMETHEUS_TEXT


async def test_metrics_parse_and_declare_every_gateway_family(
    client: httpx.AsyncClient, demo: None
) -> None:
    await client.get("/api/integrations")
    body = (await client.get("/metrics")).text
    assert body.endswith("\n")
    families = parse(body).families
    assert families["vendo_http_requests"] == "counter"
    assert families[LATENCY] == "histogram"
    assert families["vendo_cache_lookups"] == "counter"
    assert families["vendo_rate_limit_rejections"] == "counter"
    assert families["vendo_upstream_requests"] == "counter"
    assert families[POOL] == "gauge"
    for family in families:
        if family.startswith("vendo_"):
            assert f"# HELP {family}" in body


# --------------------------------------------------------------------------------------------
# Requests by route, operation and status


async def test_metrics_requests_counted_by_route_operation_and_status(
    client: httpx.AsyncClient, demo: None
) -> None:
    before = await scrape(client)
    assert (await client.get("/api/integrations")).status_code == 200
    assert (await client.get("/api/integrations/no-such-integration")).status_code == 404
    probe = await client.post(
        "/graphql",
        json={"query": "query MetricsProbe { integrations(first: 1) { nodes { provider } } }"},
    )
    assert probe.status_code == 200, probe.text
    two = "query First { __typename } query Second { integrations(first: 1) { totalCount } }"
    chosen = await client.post("/graphql", json={"query": two, "operationName": "Second"})
    assert chosen.status_code == 200, chosen.text
    for path in ("/healthz", "/readyz", "/metrics"):  # never counted
        assert (await client.get(path)).status_code == 200
    after = await scrape(client)

    expected = [
        ("GET /api/integrations", "LegacyIntegrationList", "200"),
        ("GET /api/integrations/{slug}", "LegacyIntegrationDetail", "404"),
        ("/graphql", "MetricsProbe", "200"),
        ("/graphql", "Second", "200"),
    ]
    for route, operation, status in expected:
        counted = delta(before, after, REQUESTS, route=route, operation=operation, status=status)
        assert counted == 1, (route, operation, status)
    assert delta(before, after, REQUESTS) == len(expected)
    assert delta(before, after, REQUESTS, operation="First") == 0


async def test_metrics_cached_legacy_answers_keep_their_operation(
    client: httpx.AsyncClient, demo: None
) -> None:
    """The second anonymous GET is answered from the cache: still the same route and operation."""
    before = await scrape(client)
    for _ in range(2):
        assert (await client.get("/api/integrations")).status_code == 200
    after = await scrape(client)
    route = "GET /api/integrations"
    assert delta(before, after, REQUESTS, route=route) == 2
    assert (
        delta(before, after, REQUESTS, route=route, operation="LegacyIntegrationList", status="200")
        == 2
    )


async def test_metrics_refused_legacy_request_keeps_its_operation(
    client: httpx.AsyncClient, demo: None
) -> None:
    """A legacy route refused before its operation runs (401) is still that route's operation."""
    before = await scrape(client)
    response = await client.get("/api/integrations/openrouter/usage")
    assert response.status_code == 401
    after = await scrape(client)
    assert (
        delta(
            before,
            after,
            REQUESTS,
            route="GET /api/integrations/{slug}/usage",
            operation="LegacyIntegrationUsage",
            status="401",
        )
        == 1
    )


async def test_metrics_refused_graphql_request_counts_under_graphql(
    client: httpx.AsyncClient,
) -> None:
    """A request to /graphql refused by the CSRF rule (400) is a /graphql request."""
    before = await scrape(client)
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    after = await scrape(client)
    assert delta(before, after, REQUESTS, route="/graphql", status="400") == 1
    assert delta(before, after, REQUESTS, route="unmatched") == 0


async def test_metrics_too_large_body_counts_under_its_route(
    client: httpx.AsyncClient, settings: Any
) -> None:
    before = await scrape(client)
    response = await client.post(
        "/api/integrations",
        content=b"[" + b" " * settings.max_body_bytes + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    after = await scrape(client)
    assert delta(before, after, REQUESTS, route="POST /api/integrations", status="413") == 1


async def test_metrics_unknown_paths_share_one_label(client: httpx.AsyncClient) -> None:
    """Scanners must not create a time series per path they try."""
    before = await scrape(client)
    paths = [f"/no-such-path-{uuid.uuid4().hex}" for _ in range(3)]
    for path in paths:
        assert (await client.get(path)).status_code == 404
    after = await scrape(client)
    assert delta(before, after, REQUESTS, route="unmatched", status="404") == 3
    routes = after.labels(REQUESTS, "route")
    assert not any("no-such-path" in route for route in routes)


async def test_metrics_latency_histogram_by_route(client: httpx.AsyncClient, demo: None) -> None:
    before = await scrape(client)
    assert (await client.get("/api/integrations")).status_code == 200
    graphql = await client.post("/graphql", json={"query": "query Ping { __typename }"})
    assert graphql.status_code == 200
    after = await scrape(client)

    for route in ("GET /api/integrations", "/graphql"):
        assert delta(before, after, f"{LATENCY}_count", route=route) == 1
        assert delta(before, after, f"{LATENCY}_bucket", route=route, le="+Inf") == 1
        assert delta(before, after, f"{LATENCY}_sum", route=route) > 0
        buckets = sorted(
            (float(labels["le"]), value)
            for name, labels, value in after.samples
            if name == f"{LATENCY}_bucket" and labels["route"] == route
        )
        bounds = [bound for bound, _ in buckets]
        assert bounds[-1] == math.inf
        assert bounds[0] <= 0.005  # fast answers are told apart ...
        assert bounds[-2] >= 5  # ... and so are slow ones
        assert len(bounds) >= 10
        counts = [value for _, value in buckets]
        assert counts == sorted(counts)  # cumulative
        assert counts[-1] == after.value(f"{LATENCY}_count", route=route)


# --------------------------------------------------------------------------------------------
# Cache, rate limits, upstream, pool


async def test_metrics_cache_miss_then_hit(client: httpx.AsyncClient, demo: None) -> None:
    before = await scrape(client)
    first = await client.get("/api/integrations")
    second = await client.get("/api/integrations")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    after = await scrape(client)
    tag = INTEGRATIONS_CATALOG
    assert tag == "integrations-catalog"
    assert delta(before, after, CACHE, tag=tag, result="miss") == 1
    assert delta(before, after, CACHE, tag=tag, result="hit") == 1
    assert delta(before, after, CACHE, tag=tag, result="error") == 0


async def test_metrics_cache_miss_after_an_invalidation(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    assert (await client.get("/api/integrations")).status_code == 200
    before = await scrape(client)
    await runtime.cache.invalidate(INTEGRATIONS_CATALOG)
    assert (await client.get("/api/integrations")).status_code == 200
    after = await scrape(client)
    assert delta(before, after, CACHE, tag=INTEGRATIONS_CATALOG, result="miss") == 1
    assert delta(before, after, CACHE, tag=INTEGRATIONS_CATALOG, result="hit") == 0


async def test_metrics_rate_limit_rejections(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    before = await scrape(client)
    statuses = []
    for enabled in (True, False, True, False):
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": enabled}, headers=demo_headers
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429, 429]
    after = await scrape(client)
    assert delta(before, after, REJECTIONS, limit="integration") == 2
    route = "POST /api/integrations/{slug}"
    assert delta(before, after, REQUESTS, route=route, status="429") == 2
    assert delta(before, after, REQUESTS, route=route, status="200") == 2


async def test_metrics_upstream_calls_and_failures(
    client: httpx.AsyncClient, runtime: Runtime, upstream: Upstream
) -> None:
    labels = {"upstream": "openrouter"}
    before = await scrape(client)
    ok = await client.get("/api/pricing/models")
    assert ok.status_code == 200, ok.text
    cached = await client.get("/api/pricing/models")  # fresh copy: no upstream call
    assert cached.status_code == 200
    middle = await scrape(client)
    assert upstream.hits == 1
    assert delta(before, middle, UPSTREAM, **labels, outcome="success") == 1
    assert delta(before, middle, UPSTREAM, **labels) == 1

    # The copy is gone (as after its hour and the stale day) and OpenRouter answers 500.
    await runtime.cache.invalidate(PRICING_TAG)
    upstream.answer(status=500)
    failed = await client.get("/api/pricing/models")
    assert failed.status_code == 502
    # Then it does not answer within the timeout.
    upstream.answer(delay=2.0)
    timed_out = await client.get("/api/pricing/models")
    assert timed_out.status_code == 502
    after = await scrape(client)
    assert upstream.hits == 3
    assert delta(middle, after, UPSTREAM, **labels, outcome="success") == 0
    assert delta(middle, after, UPSTREAM, **labels, outcome="failure") == 1
    assert delta(middle, after, UPSTREAM, **labels, outcome="timeout") == 1
    route = "GET /api/pricing/models"
    assert delta(middle, after, REQUESTS, route=route, status="502") == 2


async def test_metrics_database_pool_use(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    async with runtime.db.read() as session:
        await session.execute(text("SELECT 1"))
        during = await scrape(client)
    after = await scrape(client)
    assert during.labels(POOL, "state") >= {"checked_out", "idle"}
    assert during.value(POOL, state="checked_out") == 1
    assert after.value(POOL, state="checked_out") == 0
    assert after.value(POOL, state="idle") >= 1


# --------------------------------------------------------------------------------------------
# The single-process tally


def test_tally_flush_matches_prometheus_one_sample_at_a_time() -> None:
    """What a flush adds to the series is what ``inc`` and ``observe`` would have added, sample
    by sample: the same bucket for a value on a bound, above every bound, and the same sum."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from app.web import metrics

    samples = [0.0005, 0.001, 0.0010001, 0.003, 0.003, 10.0, 42.0]
    route = f"GET /tally-{uuid.uuid4().hex}"
    registry = CollectorRegistry()
    histogram = Histogram("h", "h", ["route"], buckets=metrics.LATENCY_BUCKETS, registry=registry)
    counter = Counter("c", "c", ["route", "operation", "status"], registry=registry)
    tally = metrics.Tally()
    for seconds in samples:
        histogram.labels(route).observe(seconds)
        counter.labels(route, "Op", "200").inc()
        tally.request(route, "Op", 200, seconds)
    tally.flush()
    assert tally.requests == tally.latencies == tally.lookups == {}

    def series(name: str) -> dict[tuple[str, str], float]:
        found = {}
        for family in text_string_to_metric_families(
            metrics.generate_latest(metrics.DEFAULT_REGISTRY).decode()
        ):
            for sample in family.samples:
                if sample.labels.get("route") == route and sample.name.startswith(name):
                    found[(sample.name.removeprefix(name), sample.labels.get("le", ""))] = (
                        sample.value
                    )
        return found

    def expected(name: str) -> dict[tuple[str, str], float]:
        found = {}
        for family in text_string_to_metric_families(metrics.generate_latest(registry).decode()):
            for sample in family.samples:
                if sample.name.startswith(name) and not sample.name.endswith("_created"):
                    found[(sample.name.removeprefix(name), sample.labels.get("le", ""))] = (
                        sample.value
                    )
        return found

    latency = {k: v for k, v in series(LATENCY).items() if k[0] != "_created"}
    assert latency == expected("h")
    assert latency[("_bucket", "0.001")] == 2  # on the bound counts in it
    assert latency[("_bucket", "+Inf")] == len(samples)
    assert math.isclose(latency[("_sum", "")], sum(samples))
    assert series(REQUESTS) == {("", ""): len(samples)}
    assert expected("c") == {("_total", ""): len(samples)}
