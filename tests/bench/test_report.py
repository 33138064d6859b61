"""Where a run's results go (bench/report.py): every run into the git-ignored runs folder, a full
run's summary also into LATEST.md, which a quick or partial run never touches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.report import markdown, rerender, write_results
from tests.bench.builders import entry, record, results, wrk_run

FULL_TITLE = "# vendo-gateway benchmark — 2026-12-04T04:22:43+00:00"


def one_run(**options: Any) -> dict[str, Any]:
    scenarios = {"GET /api/pricing/models [anon]": entry([wrk_run(400, 12.0, seconds=4.0)])}
    return results([record("sqlite-1w", scenarios)], **options)


def test_a_full_run_writes_json_and_markdown_and_rewrites_latest(tmp_path: Path):
    runs, latest = tmp_path / "runs", tmp_path / "LATEST.md"
    latest.write_text("# an older run\n")
    run = one_run()
    written = write_results(run, runs, latest)
    assert written == [runs / "20261204-042243.json", runs / "20261204-042243.md", latest]
    assert json.loads(written[0].read_text()) == run
    assert latest.read_text() == written[1].read_text() == markdown(run)
    assert latest.read_text().startswith(FULL_TITLE + "\n")


@pytest.mark.parametrize(
    "options",
    [
        {"quick": True},
        {"only": ["pricing"]},
        {"skip_sql": True},
        {"targets": ["sqlite"]},
    ],
)
def test_a_quick_or_partial_run_leaves_latest_alone(tmp_path: Path, options: dict[str, Any]):
    runs, latest = tmp_path / "runs", tmp_path / "LATEST.md"
    latest.write_text("# an older run\n")
    written = write_results(one_run(**options), runs, latest)
    assert latest.read_text() == "# an older run\n"
    assert [path.parent for path in written] == [runs, runs]
    suffix = "-quick" if options.get("quick") else ""
    assert [path.name for path in written] == [
        f"20261204-042243{suffix}.{e}" for e in ("json", "md")
    ]


def test_rerender_rewrites_latest_only_when_it_is_that_runs(tmp_path: Path):
    runs, latest = tmp_path / "runs", tmp_path / "LATEST.md"
    json_path = write_results(one_run(), runs, latest)[0]
    latest.write_text(FULL_TITLE + "\n(stale)\n")
    assert (
        rerender(json_path, latest)
        == latest.read_text()
        == json_path.with_suffix(".md").read_text()
    )
    latest.write_text("# vendo-gateway benchmark — 2026-12-05T10:00:00+00:00\n")
    rerender(json_path, latest)
    assert latest.read_text() == "# vendo-gateway benchmark — 2026-12-05T10:00:00+00:00\n"


def test_a_scenarios_row_gives_its_medians_errors_sql_and_size():
    run = one_run()
    run["sql"] = {"sqlite": {"GET /api/pricing/models [anon]": {"statements": 3}}}
    assert (
        "| GET /api/pricing/models [anon] | 4 | 4 | 100 | 12.00 | 36.00 | 1 | 2.00 | 3 | 1,000 "
        "| 0.10 |" in markdown(run).splitlines()
    )
