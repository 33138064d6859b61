"""The benchmark runner (see bench/README.md).

    python -m bench.run [--rounds 5] [--duration 10] [--connections 16]
                        [--targets sqlite,postgres] [--quick]

For each target it builds the dataset (or reuses it), mints a session cookie and an App Key with
the ``vendo-gateway`` CLI, starts ``vendo-gateway serve`` (SQLite: one worker; PostgreSQL + Redis:
one worker, then two) and the baselines app (``bench/baselines.py``, same uvicorn settings),
pinned with ``taskset`` away from wrk where the machine has the cores, checks every scenario once,
then drives the scenarios round-robin with wrk and keeps the medians. SQL statements per request
are counted afterwards in-process (one request per scenario through httpx's ASGI transport, with
a ``before_cursor_execute`` listener), never under load. RSS of each worker is read from /proc
after the last round. Results go to ``bench/results/runs/<timestamp>.json`` and ``.md``
(git-ignored); a full run also rewrites ``bench/results/LATEST.md``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.cpu import QUIET_CORES
from bench.dataset import Params
from bench.report import rerender, write_results
from bench.runner import Bench, Options, log
from bench.servers import ROOT


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    found.add_argument("--rounds", type=int, default=5)
    found.add_argument("--duration", type=float, default=10.0, help="seconds per scenario run")
    found.add_argument("--connections", type=int, default=16)
    found.add_argument("--targets", default="sqlite,postgres")
    found.add_argument(
        "--quick", action="store_true", help="smoke test: 1 round, 2 s per scenario, 10k events"
    )
    found.add_argument("--events", type=int, default=None, help="usage events (default 1M)")
    found.add_argument("--rebuild", action="store_true", help="rebuild the datasets")
    found.add_argument(
        "--max-age-hours",
        type=float,
        default=24.0,
        help="rebuild a dataset older than this (usage is relative to now)",
    )
    found.add_argument("--only", default="", help="comma-separated substrings of scenario names")
    found.add_argument("--skip-sql", action="store_true", help="skip the SQL-count pass")
    found.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to this long for other processes to use < "
        f"{QUIET_CORES} cores (shared machines); default 0: do not wait",
    )
    found.add_argument(
        "--render",
        metavar="RESULTS_JSON",
        help="only recompute the ratios and rewrite the .md of an earlier run "
        "(and LATEST.md if it is that run's)",
    )
    return found


def options(args: argparse.Namespace, targets: list[str]) -> Options:
    return Options(
        rounds=1 if args.quick else args.rounds,
        duration=2.0 if args.quick else args.duration,
        connections=args.connections,
        targets=targets,
        quick=args.quick,
        events=args.events or (10_000 if args.quick else Params.events),
        rebuild=args.rebuild,
        max_age_hours=args.max_age_hours,
        only=[w.strip() for w in args.only.split(",") if w.strip()],
        skip_sql=args.skip_sql,
        wait_quiet=args.wait_quiet,
    )


def main(argv: Sequence[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.render:
        print(rerender(Path(args.render)))
        return 0
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - {"sqlite", "postgres"}
    if unknown:
        cli.error(f"unknown target(s): {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None:
        cli.error("wrk is not installed (Debian: apt-get install -y wrk)")
    results = Bench(options(args, targets)).run()
    written = write_results(results)
    print()
    print(written[1].read_text())
    log("wrote " + ", ".join(str(path.relative_to(ROOT)) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
