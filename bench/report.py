"""The report of a run: its results as JSON and its tables as markdown, in the git-ignored
``bench/results/runs/``; a full run's markdown also in ``bench/results/LATEST.md``, the one
results file kept in git."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.dataset import BENCH_DIR
from bench.targets import compute_ratios

RESULTS_DIR = BENCH_DIR / "results"
RUNS_DIR = RESULTS_DIR / "runs"
LATEST = RESULTS_DIR / "LATEST.md"
TARGETS = {"sqlite", "postgres"}

Results = dict[str, Any]

LEGEND = (
    "errors = non-2xx responses + socket errors (wrk), summed over the rounds. SQL/req: "
    "statements of one warm request, counted in-process (transaction control excluded). "
    "bytes: one response body. CPU ms/req: CPU time of the server's processes per request "
    "(all workers; /proc). other load: cores busy with processes that are neither the "
    "server, its database backends nor wrk during the run (noise; 0 on a quiet machine). "
    "⚠: the preflight request failed or answered GraphQL errors."
)


def is_full(results: Results) -> bool:
    """Every scenario on every target: not ``--quick``, ``--only``, ``--skip-sql`` nor a subset
    of ``--targets``."""
    options = results["options"]
    return not (
        results["quick"]
        or options.get("only")
        or options.get("skip_sql")
        or set(options.get("targets", [])) != TARGETS
    )


def write_results(results: Results, runs_dir: Path = RUNS_DIR, latest: Path = LATEST) -> list[Path]:
    """The run's ``.json`` and ``.md`` in ``runs_dir``; a full run's ``.md`` also as ``latest``.
    Returns the files written."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(results["started_at"]).strftime("%Y%m%d-%H%M%S")
    stem = stamp + ("-quick" if results["quick"] else "")
    json_path = runs_dir / f"{stem}.json"
    md_path = runs_dir / f"{stem}.md"
    text = markdown(results)
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(text)
    if not is_full(results):
        return [json_path, md_path]
    latest.write_text(text)
    return [json_path, md_path, latest]


def rerender(path: Path, latest: Path = LATEST) -> str:
    """Recompute the ratios of an earlier run, rewrite its JSON and the ``.md`` beside it — and
    ``latest`` when that is this run's summary. Returns the markdown."""
    results = json.loads(path.read_text())
    results["ratios"] = compute_ratios(results)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    text = markdown(results)
    path.with_suffix(".md").write_text(text)
    if latest.exists() and _title(latest.read_text()) == _title(text):
        latest.write_text(text)
    return text


def _title(text: str) -> str:
    return text.split("\n", 1)[0]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(results: Results) -> str:
    lines = [*header(results), *datasets(results)]
    for record in results["configs"]:
        lines += config_section(record, results["sql"].get(record["target"], {}))
    lines += targets_section(results)
    if results["warnings"]:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in results["warnings"]]
    lines += ["", LEGEND]
    return "\n".join(lines) + "\n"


def header(results: Results) -> list[str]:
    m = results["machine"]
    o = results["options"]
    return [
        f"# vendo-gateway benchmark — {results['started_at']}"
        + (" (quick)" if results["quick"] else ""),
        "",
        f"Machine: {m['cpus']} CPU(s), {m['cpu']}, {m['memory']}, Linux {m['kernel']}, "
        f"Python {m['python']}, {m['wrk']}.  ",
        f"Run: {o['rounds']} round(s) × {o['duration']:g} s per scenario (s: longer for slow "
        f"scenarios{', 1 s for legacy pairs' if results['quick'] else ''}), up to "
        f"{o['connections']} connections (fewer for slow scenarios: conns), scenarios "
        f"round-robin, medians shown{_sliced_note(results)}; "
        f"{results.get('seconds', 0) / 60:.1f} min in all.  ",
        "Bench settings: " + ", ".join(f"`{k}={v}`" for k, v in results["bench_settings"].items()),
        "",
    ]


def _sliced_note(results: Results) -> str:
    slices = {
        len(r["slices"])
        for c in results["configs"]
        for e in c["scenarios"].values()
        for r in e["rounds"]
        if "slices" in r
    }
    if not slices:
        return ""
    return (
        f" (legacy routes and their twins: each round in {'/'.join(map(str, sorted(slices)))} "
        "slices, interleaved A B B A, medians over the slices)"
    )


def datasets(results: Results) -> list[str]:
    lines = []
    for target, meta in results["datasets"].items():
        counts = meta["counts"]
        lines.append(
            f"Dataset {target}: {counts['integrations']:,} integrations, "
            f"{counts['tools']:,} tools, {counts['apps']:,} apps, {counts['tenants']:,} tenants, "
            f"{counts['usage_events']:,} usage events; generated in {meta['generate_seconds']} s, "
            f"loaded in {meta['load_seconds']} s ({meta['built_at'][:16]}).  "
        )
    return [*lines, ""]


def config_section(record: dict[str, Any], sql: dict[str, Any]) -> list[str]:
    """A configuration's table: one row per scenario."""
    lines = [
        f"## {record['key']}: {record['target']}{' + Redis' if record['redis'] else ''}, "
        f"{record['workers']} worker(s)",
        "",
        f"Pinning: {record['pinning']['note']}. {_waits(record)}"
        + "RSS after the run (MB): "
        + (", ".join(f"{k} {v:g}" for k, v in record.get("rss_mb", {}).items()) or "–"),
        "",
        "| scenario | conns | s | req/s | p50 ms | p99 ms | errors | CPU ms/req | SQL/req "
        "| bytes | other load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, entry in record["scenarios"].items():
        lines.append(_scenario_row(name, entry, sql.get(name, {}).get("statements")))
    return [*lines, ""]


def _waits(record: dict[str, Any]) -> str:
    """The seconds waited for a quiet machine and for the server to drain, if any."""
    rounds = [r for e in record["scenarios"].values() for r in e["rounds"]]
    seconds = sum(r.get("waited_for_quiet_s", 0) for r in rounds)
    waited = f"Waited {seconds:g} s in all for a quiet machine. " if seconds else ""
    drained = [r["waited_for_server_s"] for r in rounds if "waited_for_server_s" in r]
    if drained:
        waited += (
            f"Waited {sum(drained):.1f} s in all (at most {max(drained):g} s) for the server "
            "to finish the previous run's requests. "
        )
    return waited


def _scenario_row(name: str, entry: dict[str, Any], statements: int | None) -> str:
    median = entry.get("median", {})
    flag = " ⚠" if entry["preflight"].get("problem") else ""
    return (
        f"| {name}{flag} | {entry['connections']} | {entry['duration']:g} | "
        f"{_fmt(median.get('rps'))} | "
        f"{_fmt(median.get('p50_ms'), 2)} | {_fmt(median.get('p99_ms'), 2)} | "
        f"{entry.get('errors_total', 0)} | {_fmt(median.get('server_cpu_ms'), 2)} | "
        f"{_fmt(statements)} | {_fmt(entry['preflight'].get('bytes'))} | "
        f"{_fmt(median.get('other_cores'), 2)} |"
    )


def targets_section(results: Results) -> list[str]:
    lines = [
        "## Targets",
        "",
        "| ratio | config | value | target | met | detail |",
        "|---|---|---:|---|---|---|",
    ]
    for ratio in results.get("ratios", []):
        met = {True: "yes", False: "**no**", None: "–"}[ratio["ok"]]
        lines.append(
            f"| {ratio['name']} | {ratio['config']} | {_fmt(ratio['value'], 3)} | "
            f"{ratio['target']} | {met} | {ratio['detail']} |"
        )
    return lines
