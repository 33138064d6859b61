"""A scenario's figures (bench/figures.py): how a round's slices merge, what the medians are
taken over, and the totals."""

from __future__ import annotations

from bench.figures import medians, merge_slices
from tests.bench.builders import entry, wrk_run


def test_merged_slices_add_counts_and_weigh_latency_by_requests():
    merged = merge_slices([wrk_run(100, 10.0, cpu=2.0), wrk_run(300, 30.0, cpu=4.0, seconds=3.0)])
    assert merged["requests"] == 400
    assert merged["seconds"] == 4.0
    assert merged["rps"] == 100.0
    assert merged["p50_ms"] == 25.0  # (100 × 10 + 300 × 30) / 400
    assert merged["p99_ms"] == 75.0
    assert merged["max_ms"] == 120.0
    assert merged["server_cpu_ms"] == 3.5
    assert merged["db_cpu_ms"] is None
    assert merged["errors"] == merged["non_2xx"] == 2
    assert merged["waited_for_server_s"] == 0.5
    assert len(merged["slices"]) == 2


def test_merged_slices_have_the_keys_of_one_run_and_the_slices():
    merged = merge_slices([wrk_run(100, 10.0), wrk_run(100, 12.0)])
    assert list(merged) == [*wrk_run(1, 1.0), "slices"]


def test_a_failed_slice_fails_the_round():
    failed = {"error": "wrk rc 1"}
    assert merge_slices([wrk_run(100, 10.0), failed]) == failed


def test_medians_of_a_sliced_scenario_are_over_its_slices():
    # Two rounds; one slow burst spoils one slice of the first and one of the second. Medians
    # over rounds would be the merged rounds' (15.5 and 17.75 → 16.6); over slices, 10.
    rounds = [
        merge_slices(
            [wrk_run(100, 10.0), wrk_run(100, 10.0), wrk_run(100, 10.0), wrk_run(100, 32.0)]
        ),
        merge_slices(
            [wrk_run(100, 10.0), wrk_run(100, 41.0), wrk_run(100, 10.0), wrk_run(100, 10.0)]
        ),
    ]
    assert medians(rounds)["p50_ms"] == 10.0
    unsliced = [wrk_run(100, 12.0), wrk_run(100, 20.0), wrk_run(100, 14.0)]
    assert medians(unsliced)["p50_ms"] == 14.0


def test_totals_and_medians_leave_out_the_rounds_wrk_failed():
    summarised = entry([wrk_run(100, 12.0), {"error": "wrk rc 1"}, wrk_run(300, 20.0)])
    assert summarised["requests_total"] == 400
    assert summarised["errors_total"] == summarised["non_2xx_total"] == 2
    assert summarised["median"]["p50_ms"] == 16.0
    assert summarised["median"]["db_cpu_ms"] is None
