"""Prometheus metrics, correct under several workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``vendo-gateway serve`` sets it to a fresh directory when it
starts more than one worker), every worker writes its samples to files there and ``/metrics``
aggregates them with prometheus-client's ``MultiProcessCollector``; with one process the default
registry is read directly.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "vendo_http_requests_total",
    "HTTP requests by route (or GraphQL operation) and status.",
    ["route", "operation", "status"],
)
LATENCY = Histogram(
    "vendo_http_request_duration_seconds",
    "HTTP request latency by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
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


def render() -> tuple[bytes, str]:
    """The exposition text of every worker (multiprocess mode) or of this process."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)
