"""The report of a run (bench/report.py)."""

from __future__ import annotations

from typing import Any

from bench.report import markdown
from tests.bench.builders import entry, record, results, wrk_run


def one_run(**options: Any) -> dict[str, Any]:
    scenarios = {"GET /api/pricing/models [anon]": entry([wrk_run(400, 12.0, seconds=4.0)])}
    return results([record("sqlite-1w", scenarios)], **options)


def test_a_scenarios_row_gives_its_medians_errors_sql_and_size():
    run = one_run()
    run["sql"] = {"sqlite": {"GET /api/pricing/models [anon]": {"statements": 3}}}
    assert (
        "| GET /api/pricing/models [anon] | 4 | 4 | 100 | 12.00 | 36.00 | 1 | 2.00 | 3 | 1,000 "
        "| 0.10 |" in markdown(run).splitlines()
    )
