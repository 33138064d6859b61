"""``VENDO_SPEEDUPS`` on the app side (app/web/speedups.py): on, a production server drops what
logging records and never prints, and a single-process server tallies its request metrics until
a scrape; off, logging keeps the standard library's defaults and every sample is a plain
prometheus-client call. /metrics reads the same either way."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.factory import create_app
from app.settings import Environment, Settings
from app.web import metrics

STOCK_LOGGING = {
    "_srcfile": "stdlib's own file",
    "logThreads": True,
    "logProcesses": True,
    "logMultiprocessing": True,
}


@pytest.fixture
def stock_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard library's defaults, whatever an earlier production app set (restored after)."""
    for name, value in STOCK_LOGGING.items():
        monkeypatch.setattr(logging, name, value)
    monkeypatch.setattr(metrics, "DEFERRED", metrics.DEFERRED)


def _logging() -> dict[str, object]:
    return {name: getattr(logging, name) for name in STOCK_LOGGING}


@pytest.mark.usefixtures("stock_logging")
def test_speedups_off_leave_logging_as_the_standard_library_sets_it() -> None:
    create_app(Settings(env=Environment.PRODUCTION, speedups=False))
    assert _logging() == STOCK_LOGGING
    create_app(Settings(env=Environment.DEVELOPMENT, speedups=True))
    assert _logging() == STOCK_LOGGING  # development: records keep their calling frame
    create_app(Settings(env=Environment.PRODUCTION, speedups=True))
    assert _logging() == dict.fromkeys(STOCK_LOGGING, False) | {"_srcfile": None}


def _requests(route: str) -> float:
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for sample in family.samples:
            if sample.name == "vendo_http_requests_total" and sample.labels["route"] == route:
                return sample.value
    return 0.0


@pytest.mark.usefixtures("stock_logging")
@pytest.mark.parametrize("speedups", [True, False])
def test_request_metrics_reach_the_series_by_scrape_either_way(
    speedups: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setattr(metrics, "MULTIPROCESS", False)
    create_app(Settings(speedups=speedups))
    assert metrics.DEFERRED is speedups
    route = f"GET /speedups-{uuid.uuid4().hex}"
    for _ in range(3):
        metrics.count_request(route, "", 200, 0.002)
    assert _requests(route) == (0 if speedups else 3)  # tallied: not in the series yet
    metrics.render()  # a scrape
    assert _requests(route) == 3


@pytest.mark.usefixtures("stock_logging")
async def test_several_workers_add_their_tally_within_the_flush_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under several workers a scrape reads the others' files: each worker adds its tally every
    ``FLUSH_SECONDS`` without being scraped, and the rest when it stops."""
    monkeypatch.setattr(metrics, "MULTIPROCESS", True)
    monkeypatch.setattr(metrics, "FLUSH_SECONDS", 0.05)
    metrics.tally_samples(True)
    route = f"GET /flushed-{uuid.uuid4().hex}"
    flusher = metrics.TallyFlusher()
    flusher.start()
    try:
        for _ in range(3):
            metrics.count_request(route, "", 200, 0.002)
        assert _requests(route) == 0  # tallied
        await asyncio.sleep(0.2)
        assert _requests(route) == 3  # added by the flusher, no scrape
        metrics.count_request(route, "", 200, 0.002)
    finally:
        await flusher.close()
    assert _requests(route) == 4  # the rest, when the worker stops


@pytest.mark.usefixtures("stock_logging")
async def test_one_process_starts_no_flusher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "MULTIPROCESS", False)
    metrics.tally_samples(True)
    flusher = metrics.TallyFlusher()
    flusher.start()
    assert flusher._task is None  # a scrape adds the tally itself
    await flusher.close()
