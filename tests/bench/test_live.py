"""The live bench's figures (bench/live.py): percentiles over every receipt, the events every
subscriber received, idle CPU as a share of a core, and the summary's table."""

from __future__ import annotations

import math

from bench.live import EventResult, cpu_share, percentile, render, summarise


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # unsorted input
    assert math.isnan(percentile([], 50))


def test_latencies_are_taken_over_all_receipts_and_missing_receipts_are_counted():
    events = [EventResult(3, [10.0, 20.0, 30.0], 80.0), EventResult(3, [40.0, 50.0], 120.0)]
    summary = summarise(events)
    assert summary == {
        "events": 2,
        "receipts": 5,
        "expected": 6,
        "complete_events": 1,
        "p50_ms": 30.0,
        "p99_ms": 50.0,
        "max_ms": 50.0,
        "server_cpu_ms": 100.0,
        "received_per_event": [3, 2],
    }


def test_idle_cpu_is_a_share_of_one_core():
    assert cpu_share(50, 10.0, 100) == 0.05
    assert cpu_share(0, 10.0, 100) == 0.0


def test_the_summary_has_a_row_per_configuration():
    config = {
        "name": "SQLite, 1 worker",
        "sse": 1000,
        "ws": 1000,
        "rss_mb": {"worker 1": 180.4},
        "idle_cpu_cores": 0.002,
        "idle_cpu_cores_alone": 0.001,
        "latency": summarise([EventResult(2, [12.0, 140.0], 95.0)]),
        "spread": {"p50_ms": 5.0, "p99_ms": 120.0},
        "sockets_per_worker": {},
        "note": "server on core(s) [0], clients on core 1",
    }
    record = {
        "stamp": "20261205-150000",
        "argv": [],
        "warmup": 1,
        "machine": "2 cores, load 1.00 at the end",
        "settings": "VENDO_ENV=production",
        "configs": [config],
    }
    text = render(record)
    row = (
        "| SQLite, 1 worker | 1000 | 1000 | 180 | 0.002 (0.001) | 1/1 | 2/2 | 12 | 140 | 140 | 95 |"
    )
    assert row in text
    assert "after 1 warm-up event(s), heard by all and not counted" in text
    assert "p50 5 ms, p99 120 ms" in text
