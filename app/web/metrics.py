"""Prometheus metrics, correct under several workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``vendo-gateway serve`` sets it to a fresh directory when it
starts more than one worker), every worker writes its samples to files there and ``/metrics``
aggregates them with prometheus-client's ``MultiProcessCollector`` (request samples reach a
worker's file within ``FLUSH_SECONDS``: :class:`Tally`); with one process the default registry is
read directly.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
from functools import cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

from app.web import speedups

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The classic text format every Prometheus understands (0.26's default says version=1.0.0).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

REQUESTS = Counter(
    "vendo_http_requests_total",
    "HTTP requests by route (or GraphQL operation) and status.",
    ["route", "operation", "status"],
)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LATENCY = Histogram(
    "vendo_http_request_duration_seconds",
    "HTTP request latency by route.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
CACHE = Counter(
    "vendo_cache_lookups_total",
    "Cache lookups by tag and result (hit, miss, error).",
    ["tag", "result"],
)
RATE_LIMITED = Counter(
    "vendo_rate_limit_rejections_total", "Calls refused by a rate limit.", ["limit"]
)
UPSTREAM = Counter(
    "vendo_upstream_requests_total", "Calls to upstream APIs by outcome.", ["upstream", "outcome"]
)
DB_POOL = Gauge(
    "vendo_db_pool_connections",
    "Database connections of this worker's pool, checked out or idle.",
    ["state"],
    multiprocess_mode="livesum",
)


MAX_OPERATIONS = 200  # distinct GraphQL operation names kept as labels; the rest are "other"
_operations: set[str] = set()
_counters: dict[tuple[str, str, int], Any] = {}


def request_counter(route: str, operation: str, status: int) -> Any:
    """The labelled child, looked up once per (route, operation, status) — ``labels()`` costs
    microseconds on every request otherwise. Operation names are the client's choice, so only
    the first ``MAX_OPERATIONS`` become labels: a flood of made-up names cannot grow the series
    (or this process's memory) without bound."""
    if operation not in _operations:
        if len(_operations) >= MAX_OPERATIONS:
            operation = "other"
        else:
            _operations.add(operation)
    key = (route, operation, status)
    counter = _counters.get(key)
    if counter is None:
        counter = _counters[key] = REQUESTS.labels(route, operation, str(status))
    return counter


@cache
def latency_histogram(route: str) -> Any:
    return LATENCY.labels(route)


@cache
def cache_counter(tag: str, result: str) -> Any:
    return CACHE.labels(tag, result)


class Tally:
    """The per-request samples (request counts, latencies, cache lookups) of this process, kept
    as plain numbers and added to the Prometheus series when ``/metrics`` is read (and, under
    several workers, every ``FLUSH_SECONDS``): a speed-up (``VENDO_SPEEDUPS``), see
    :func:`tally_samples`.

    prometheus-client takes a lock on every ``inc`` and ``observe``, three per request, and
    under several workers (multiprocess mode) writes each sample to the worker's file (what
    that costs: docs/PERFORMANCE.md). With one process nothing else reads the series, so a
    scrape (which calls :meth:`flush` first) sees exactly what immediate updates would have
    shown. Under several workers any worker may answer a scrape from the others' files: each
    worker also adds its tally every ``FLUSH_SECONDS`` (:class:`TallyFlusher`) and when it
    stops, so a scrape shows the other workers' samples at most that late (docs/decisions/0048)."""

    _UPPER_BOUNDS = (*LATENCY_BUCKETS, float("inf"))

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latencies: dict[str, list[float]] = {}  # route -> count per bucket, then the sum
        self.lookups: dict[tuple[str, str], int] = {}

    def request(self, route: str, operation: str, status: int, seconds: float) -> None:
        key = (route, operation, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        tally = self.latencies.get(route)
        if tally is None:
            tally = self.latencies[route] = [0] * (len(self._UPPER_BOUNDS) + 1)
        # The bucket prometheus-client's ``observe`` counts: the first bound not below it.
        tally[bisect.bisect_left(self._UPPER_BOUNDS, seconds)] += 1
        tally[-1] += seconds

    def lookup(self, tag: str, result: str) -> None:
        key = (tag, result)
        self.lookups[key] = self.lookups.get(key, 0) + 1

    def flush(self) -> None:
        requests, self.requests = self.requests, {}
        latencies, self.latencies = self.latencies, {}
        lookups, self.lookups = self.lookups, {}
        for (route, operation, status), count in requests.items():
            request_counter(route, operation, status).inc(count)
        for route, tally in latencies.items():
            speedups.add_to_histogram(latency_histogram(route), tally[:-1], tally[-1])
        for (tag, result), count in lookups.items():
            cache_counter(tag, result).inc(count)


MULTIPROCESS = bool(os.environ.get(MULTIPROC_ENV))
DEFERRED = True
TALLY = Tally()
# Under several workers, the longest a worker's samples wait before the others' scrapes see them.
FLUSH_SECONDS = 1.0


def tally_samples(enabled: bool) -> None:
    """Whether the server tallies its samples (``VENDO_SPEEDUPS``); off, every sample is a plain
    prometheus-client ``inc`` or ``observe``. Samples tallied already are added at the next
    scrape (or flush) either way."""
    global DEFERRED
    DEFERRED = enabled


class TallyFlusher:
    """Under several workers, adds this worker's tally to the shared files every
    ``FLUSH_SECONDS``, and what is left when the worker stops; with one process, nothing (a
    scrape adds the tally itself)."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if MULTIPROCESS and DEFERRED:
            self._task = asyncio.create_task(self._run(), name="metrics-tally-flush")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            TALLY.flush()  # synchronous: a stop lands between two flushes, never inside one

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        TALLY.flush()


def count_request(route: str, operation: str, status: int, seconds: float) -> None:
    if DEFERRED:
        TALLY.request(route, operation, status, seconds)
    else:
        request_counter(route, operation, status).inc()
        latency_histogram(route).observe(seconds)


def count_lookup(tag: str, result: str) -> None:
    if DEFERRED:
        TALLY.lookup(tag, result)
    else:
        cache_counter(tag, result).inc()


def render() -> tuple[bytes, str]:
    """The exposition text of every worker (multiprocess mode) or of this process."""
    TALLY.flush()
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        # prometheus_client leaves its multiprocess helpers unannotated.
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE
    return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE


def mark_process_dead(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]  # as above
