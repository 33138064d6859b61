"""The runner: for each target, the dataset and the credentials; for each configuration, the
servers, the preflight, the rounds of wrk runs and the RSS after them; then the SQL count. Its
``results`` are what the JSON file holds (``bench.report`` writes it)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dataset
from bench.cpu import CpuProbe
from bench.dataset import DATA_DIR, Params
from bench.figures import merge_slices, summarise
from bench.preflight import compare_baselines, preflight
from bench.scenarios import (
    BENCH_SETTINGS,
    DETAIL_SLUG,
    QUICK_SCALING,
    S_USAGE_REST,
    SCALING,
    TAKE_TURNS,
    Credentials,
    Scenario,
    build_scenarios,
)
from bench.schedule import (
    MIN_CONNECTIONS,
    block_order,
    blocks,
    choose_connections,
    slicing,
    stretched,
)
from bench.servers import (
    ROOT,
    Pinning,
    Server,
    baselines_command,
    cli,
    free_port,
    gateway_command,
    redis_cleanup,
    server_env,
)
from bench.sqlcount import count_sql
from bench.targets import compute_ratios
from bench.upstream import pricing_upstream
from bench.wrk import Files, run_wrk

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


@dataclass
class Options:
    rounds: int
    duration: float
    connections: int
    targets: list[str]
    quick: bool
    events: int
    rebuild: bool
    max_age_hours: float
    only: list[str]
    skip_sql: bool
    wait_quiet: float


@dataclass
class Config:
    key: str
    target: str
    workers: int
    database_url: str
    redis: bool
    baselines: bool
    scenario_filter: Callable[[Scenario], bool]


@dataclass
class Live:
    """A configuration while it runs: its record in the results, its servers' URLs and CPU
    probes, and the cores wrk runs on."""

    config: Config
    record: dict[str, Any]
    urls: dict[str, str]
    probes: dict[str, CpuProbe]
    wrk_cpus: list[int] | None


def every(_: Scenario) -> bool:
    return True


def named(names: Collection[str]) -> Callable[[Scenario], bool]:
    return lambda scenario: scenario.name in names


class Bench:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.results: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": options.quick,
            "options": {k: v for k, v in vars(options).items()},
            "machine": machine_info(),
            "bench_settings": BENCH_SETTINGS,
            "datasets": {},
            "configs": [],
            "sql": {},
            "pairs": {},
            "warnings": [],
        }
        self.connections: dict[tuple[str, str], int] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="vendo-bench-"))

    def warn(self, message: str) -> None:
        log(f"WARNING: {message}")
        self.results["warnings"].append(message)

    def database_url(self, target: str) -> str:
        suffix = "-quick" if self.o.quick else ""
        if target == "sqlite":
            return f"sqlite+aiosqlite:///{DATA_DIR / f'bench{suffix}.db'}"
        return POSTGRES_URL.format(database="vendo_bench" + suffix.replace("-", "_"))

    def configs(self) -> list[Config]:
        found = []
        for target in self.o.targets:
            url = self.database_url(target)
            if target == "sqlite":
                found.append(Config("sqlite-1w", target, 1, url, False, True, every))
            else:
                found.append(Config("postgres-1w", target, 1, url, True, True, self._pg_filter()))
                scaling = QUICK_SCALING if self.o.quick else SCALING
                found.append(Config("postgres-2w", target, 2, url, True, False, named(scaling)))
        return found

    def _pg_filter(self) -> Callable[[Scenario], bool]:
        if not self.o.quick or self.o.targets[0] == "postgres":
            return every
        # --quick: the legacy pairs run on the first target only (time budget).
        return lambda s: s.kind not in ("legacy", "twin") or s.name in (*SCALING, S_USAGE_REST)

    def duration(self, scenario: Scenario) -> float:
        """--quick: the legacy routes and their twins get 1 s each (the 2-minute budget)."""
        if self.o.quick and scenario.kind in ("legacy", "twin"):
            return min(1.0, self.o.duration)
        return self.o.duration

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with pricing_upstream() as upstream:
                for target in self.o.targets:
                    self.run_target(target, upstream)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if "postgres" in self.o.targets:
                with contextlib.suppress(Exception):
                    redis_cleanup()
        self.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.results["seconds"] = round(time.perf_counter() - started, 1)
        self.results["ratios"] = compute_ratios(self.results)
        return self.results

    # A target: dataset, credentials, scenarios, its configurations, the SQL count

    def run_target(self, target: str, upstream: str) -> None:
        url = self.database_url(target)
        params = Params(events=self.o.events)
        meta = dataset.ensure(url, params, max_age_hours=self.o.max_age_hours, force=self.o.rebuild)
        self.results["datasets"][target] = meta
        env = server_env(url, redis=target == "postgres", upstream=upstream)
        scenarios, pairs, warnings = build_scenarios(credentials(env, meta["facts"]))
        for message in warnings:
            self.warn(message)
        if self.o.only:
            scenarios = [s for s in scenarios if any(w in s.name for w in self.o.only)]
        self.results["pairs"][target] = pairs
        configs = [c for c in self.configs() if c.target == target]
        for config in configs:
            self.run_config(config, [s for s in scenarios if config.scenario_filter(s)], upstream)
        if not self.o.skip_sql:
            self.count_sql(target, next(c for c in configs if c.workers == 1), scenarios, upstream)

    def count_sql(
        self, target: str, config: Config, scenarios: list[Scenario], upstream: str
    ) -> None:
        env = server_env(config.database_url, redis=config.redis, upstream=upstream)
        static = self.tmp / f"static-{target}.json"
        if static.exists():
            env["BENCH_STATIC_FILE"] = str(static)
        detail = self.tmp / f"static-detail-{target}.json"
        if detail.exists():
            env["BENCH_DETAIL_STATIC_FILE"] = str(detail)
        log(f"{target}: counting SQL statements per request in-process")
        runnable = [s for s in scenarios if s.server == "gateway" or config.baselines]
        self.results["sql"][target] = asyncio.run(count_sql(runnable, env))

    # A configuration: servers, preflight, rounds, RSS, medians

    def run_config(self, config: Config, scenarios: list[Scenario], upstream: str) -> None:
        pinning = Pinning.plan(config.workers)
        if config.workers > 1 and pinning.server is None:
            self.warn(f"{config.key}: {pinning.note}")
        log(f"{config.key}: {len(scenarios)} scenarios; {pinning.note}")
        if config.redis:
            redis_cleanup()
        env = server_env(config.database_url, redis=config.redis, upstream=upstream)
        port = free_port()
        gateway = Server(
            config.key,
            gateway_command(port, config.workers),
            env,
            port,
            pinning.server,
            config.workers,
        )
        servers = [gateway]
        record = new_record(config, pinning, gateway)
        self.results["configs"].append(record)
        try:
            urls = self.start_servers(config, servers, env, pinning, record)
            if not config.baselines:
                scenarios = [s for s in scenarios if s.server != "baseline"]
            self.prepare(config, scenarios, urls, record)
            probes = cpu_probes(config, servers)
            self.load(Live(config, record, urls, probes, pinning.wrk), scenarios)
            record["rss_mb"] = gateway.rss_mb()
            if config.baselines:
                record["baseline_rss_mb"] = servers[1].rss_mb()
        finally:
            for server in servers:
                server.stop()
            record["server_log"] = {s.name: s.log_problems() for s in servers}
            record["server_log_path"] = str(gateway.log_path.relative_to(ROOT))
        for entry in record["scenarios"].values():
            summarise(entry)
        problems = record["server_log"].get(gateway.name, {})
        if problems.get("tracebacks") or problems.get("5xx_lines"):
            self.warn(f"{config.key}: server log has {problems} (see {record['server_log_path']})")

    def start_servers(
        self,
        config: Config,
        servers: list[Server],
        env: dict[str, str],
        pinning: Pinning,
        record: dict[str, Any],
    ) -> dict[str, str]:
        """Start the gateway, then (with baselines) the baselines app on its anonymous list's
        bytes; each server joins ``servers`` before it starts, to be stopped whatever happens."""
        gateway = servers[0]
        gateway.start()
        urls = {"gateway": gateway.url}
        if not config.baselines:
            return urls
        static = self.tmp / f"static-{config.target}.json"
        body = httpx.get(f"{gateway.url}/api/integrations", timeout=300)
        static.write_bytes(body.content)
        detail = self.tmp / f"static-detail-{config.target}.json"
        body = httpx.get(f"{gateway.url}/api/integrations/{DETAIL_SLUG}", timeout=300)
        detail.write_bytes(body.content)
        env = {**env, "BENCH_STATIC_FILE": str(static), "BENCH_DETAIL_STATIC_FILE": str(detail)}
        port = free_port()
        command = baselines_command(port, 1)
        baseline = Server(f"{config.key}-baselines", command, env, port, pinning.server, 1)
        servers.append(baseline)
        baseline.start()
        urls["baseline"] = baseline.url
        record["baseline_command"] = " ".join(baseline.cmd)
        return urls

    def prepare(
        self,
        config: Config,
        scenarios: list[Scenario],
        urls: dict[str, str],
        record: dict[str, Any],
    ) -> None:
        """Preflight, then each scenario's connections (chosen once per target, the same for a
        legacy route and its twin) and seconds, in its entry of the record."""
        log(f"{config.key}: preflight (each scenario once, caches warmed)")
        checks = preflight(scenarios, urls, attempts=2 if self.o.quick else 4)
        if config.baselines:
            for message in compare_baselines(checks):
                self.warn(f"{config.key}: {message}")
        for scenario in scenarios:
            check = checks[scenario.name]
            if check["problem"]:
                self.warn(f"{config.key}: {scenario.name}: {check['problem']}")
            key = (config.target, scenario.name)
            if key not in self.connections:
                self.connections[key] = choose_connections(
                    scenario,
                    (check["ms"] or 0) / 1000,
                    duration=self.duration(scenario),
                    maximum=self.o.connections,
                    floor=1 if self.o.quick else MIN_CONNECTIONS,
                )
        self._equalise_pairs(config.target)
        for scenario in scenarios:
            connections = self.connections[(config.target, scenario.name)]
            record["scenarios"][scenario.name] = self.new_entry(
                scenario, connections, checks[scenario.name]
            )

    def new_entry(
        self, scenario: Scenario, connections: int, check: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "server": scenario.server,
            "kind": scenario.kind,
            "method": scenario.method,
            "path": scenario.path,
            "note": scenario.note,
            "connections": connections,
            "duration": stretched(
                self.duration(scenario),
                connections,
                (check["ms"] or 0) / 1000,
                stretch=not self.o.quick,
            ),
            "preflight": {k: v for k, v in check.items() if k != "body"},
            "rounds": [],
        }

    def _equalise_pairs(self, target: str) -> None:
        """A legacy route and its twin run at the same concurrency."""
        for rest, twin in self.results["pairs"].get(target, []):
            a, b = (target, rest), (target, twin)
            if a in self.connections and b in self.connections:
                self.connections[a] = self.connections[b] = min(
                    self.connections[a], self.connections[b]
                )

    def load(self, live: Live, scenarios: list[Scenario]) -> None:
        """The rounds: every block in turn, round after round."""
        key = live.config.key
        total = self.o.rounds * sum(e["duration"] for e in live.record["scenarios"].values())
        log(
            f"{key}: {self.o.rounds} round(s) × {len(scenarios)} scenarios "
            f"≈ {total / 60:.1f} min of load"
        )
        pairs = [*self.results["pairs"].get(live.config.target, []), *TAKE_TURNS]
        for round_ in range(self.o.rounds):
            for block in blocks(scenarios, pairs):
                self.run_block(live, block, round_)
            log(f"{key}: round {round_ + 1}/{self.o.rounds} done")

    def run_block(self, live: Live, block: tuple[Scenario, ...], round_: int) -> None:
        """One block of one round, in its slices and order; each scenario's round is its run,
        or its slices merged."""
        entries = live.record["scenarios"]
        slices, seconds = slicing(block, entries[block[0].name]["duration"])
        found: dict[str, list[dict[str, Any]]] = {s.name: [] for s in block}
        for scenario in block_order(block, slices, round_):
            found[scenario.name].append(
                run_wrk(
                    scenario,
                    live.urls[scenario.server],
                    duration=seconds,
                    connections=entries[scenario.name]["connections"],
                    cpus=live.wrk_cpus,
                    files=Files(self.tmp),
                    probe=live.probes[scenario.server],
                    wait_quiet=self.o.wait_quiet,
                )
            )
        for name, results in found.items():
            result = results[0] if slices == 1 else merge_slices(results)
            entries[name]["rounds"].append(result)
            if "error" in result:
                self.warn(f"{live.config.key}: {name}: wrk: {result['error']}")


def credentials(env: dict[str, str], facts: dict[str, Any]) -> Credentials:
    """A session cookie of the demo user and an App Key of its Hermes app, from the CLI."""
    return Credentials(
        cookie=cli(env, "session", "create", "--email", dataset.DEMO_EMAIL),
        app_key=cli(env, "key", "create", "--app", facts["demo_hermes_app_id"]),
        facts=facts,
    )


def new_record(config: Config, pinning: Pinning, gateway: Server) -> dict[str, Any]:
    return {
        "key": config.key,
        "target": config.target,
        "workers": config.workers,
        "redis": config.redis,
        "pinning": {"server": pinning.server, "wrk": pinning.wrk, "note": pinning.note},
        "gateway_command": " ".join(gateway.cmd),
        "scenarios": {},
    }


def cpu_probes(config: Config, servers: list[Server]) -> dict[str, CpuProbe]:
    """A probe per server; on PostgreSQL, each also reads the backends of the bench database."""
    database = config.database_url.rsplit("/", 1)[1] if config.target == "postgres" else None
    return {
        name: CpuProbe(server.all_pids, database)
        for name, server in zip(("gateway", "baseline"), servers, strict=False)
    }


def machine_info() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": " ".join((wrk.stdout or wrk.stderr or "wrk ?").split()[:2]),
    }
