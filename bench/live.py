"""``python -m bench.live``: the live-state bench — one worker holding 1,000 events streams (SSE)
and 1,000 GraphQL subscriptions (graphql-transport-ws), its memory, its CPU while they idle,
and how fast one change written by SQL reaches every one of them; then PostgreSQL + Redis with
two workers, subscribers spread over both (bench/README.md, "Live state").

An event is one transaction another system commits: a usage row INSERTed (``balanceChanged``)
and the demo connection's row UPDATEd (``connectionChanged``, ``integrationChanged`` and
``connection.updated`` on the SSE streams of the apps bound to it), so that every subscriber
hears of it exactly once. Latency: from the moment the writer's commit returned to the moment
the client read the subscriber's message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.dataset import BENCH_DIR
from bench.servers import (
    REDIS_URL,
    Pinning,
    Server,
    _gateway_cli,
    free_port,
    gateway_command,
    redis_cleanup,
)

RUNS_DIR = BENCH_DIR / "results" / "runs"
SUMMARY = BENCH_DIR / "results" / "LIVE.md"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "vendo_live"
# Its own keys in the main bench's Redis database: never the main bench's (it may run meanwhile).
REDIS_PREFIX = "vendo-live:"
STREAMS_PER_APP = 5  # the contract's cap of events streams per app
# What the WebSocket subscribers ask, in this proportion (balance: the wallet read; integration:
# the integration read; connection: the change's own payload).
WS_MIX = (
    ("balanceChanged", "subscription { balanceChanged { balanceMicros spentThisMonthMicros } }", 2),
    ("connectionChanged", "subscription { connectionChanged { id provider profile active } }", 1),
    (
        "integrationChanged",
        "subscription { integrationChanged { provider tenantEnabled provisioned } }",
        1,
    ),
)
TARGET_RSS_MB = 300.0
TARGET_P99_MS = 250.0


# -- figures (pure) -------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q ≤ 100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class EventResult:
    """One event: the latencies (ms) of the subscribers that received it, of how many expected."""

    expected: int
    latencies_ms: list[float] = field(default_factory=list)
    server_cpu_ms: float = math.nan  # the server's CPU from the write to the last receipt

    @property
    def received(self) -> int:
        return len(self.latencies_ms)


def summarise(events: Sequence[EventResult]) -> dict[str, Any]:
    """p50/p99/max over all receipts of all events; the events every subscriber received."""
    every = [ms for event in events for ms in event.latencies_ms]
    return {
        "events": len(events),
        "receipts": len(every),
        "expected": sum(event.expected for event in events),
        "complete_events": sum(event.received == event.expected for event in events),
        "p50_ms": round(percentile(every, 50), 1),
        "p99_ms": round(percentile(every, 99), 1),
        "max_ms": round(max(every), 1) if every else math.nan,
        "server_cpu_ms": round(statistics.median(e.server_cpu_ms for e in events), 1)
        if events
        else math.nan,
        "received_per_event": [event.received for event in events],
    }


def cpu_share(ticks: int, seconds: float, hertz: int) -> float:
    """Clock ticks over ``seconds`` as a share of one core."""
    return ticks / hertz / seconds if seconds > 0 else math.nan


def render(record: dict[str, Any]) -> str:
    """The summary markdown of a run (``bench/results/LIVE.md``)."""
    lines = [
        f"# Live state — {record['stamp']}",
        "",
        f"`{' '.join(['python -m bench.live', *record['argv']])}` on {record['machine']}. "
        f"Targets (one worker): RSS ≤ {TARGET_RSS_MB:.0f} MB, idle CPU not measurable, "
        f"fan-out p99 ≤ {TARGET_P99_MS:.0f} ms. Events measured after "
        f"{record.get('warmup', 0)} warm-up event(s), heard by all and not counted.",
        "",
        "| configuration | SSE streams | WS subscriptions | RSS MB per worker | idle CPU "
        "(cores, 10 s; server alone) | events complete | receipts | p50 ms | p99 ms | max ms "
        "| server CPU ms per event |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for config in record["configs"]:
        latency = config["latency"]
        rss = ", ".join(f"{mb:.0f}" for mb in config["rss_mb"].values())
        lines.append(
            f"| {config['name']} | {config['sse']} | {config['ws']} | {rss} | "
            f"{config['idle_cpu_cores']:.3f} ({config.get('idle_cpu_cores_alone', 0):.3f}) | "
            f"{latency['complete_events']}/{latency['events']} "
            f"| {latency['receipts']}/{latency['expected']} | {latency['p50_ms']:.0f} | "
            f"{latency['p99_ms']:.0f} | {latency['max_ms']:.0f} | "
            f"{latency['server_cpu_ms']:.0f} |"
        )
    lines.append("")
    for config in record["configs"]:
        lines.append(f"- **{config['name']}**: {config['note']}")
        if config.get("sockets_per_worker"):
            spread = ", ".join(f"{n}" for n in config["sockets_per_worker"].values())
            lines.append(f"  client sockets per worker: {spread}.")
        if config.get("spread"):
            spread = config["spread"]
            lines.append(
                f"  Fan-out spread (each receipt after the event's first): "
                f"p50 {spread['p50_ms']:.0f} ms, p99 {spread['p99_ms']:.0f} ms."
            )
    lines += ["", f"Settings on top of the bench's: `{record['settings']}`.", ""]
    return "\n".join(lines)


# -- the dataset ------------------------------------------------------------------------------


@dataclass
class Dataset:
    database_url: str
    tenant_id: uuid.UUID
    connection_id: uuid.UUID
    session_token: str
    app_keys: list[str]


def live_env(database_url: str, *, redis: bool, per_workspace: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDO_")}
    env.update(live_settings(per_workspace))
    env["VENDO_DATABASE_URL"] = database_url
    if redis:
        env["VENDO_CACHE_URL"] = REDIS_URL
        env["VENDO_RATE_LIMIT_STORAGE"] = REDIS_URL
        env["VENDO_REDIS_PREFIX"] = REDIS_PREFIX
    return env


def live_settings(per_workspace: int) -> dict[str, str]:
    """The bench's settings: production, and a workspace cap that holds every subscriber (they
    are all the demo workspace's; the default is 100 per worker)."""
    return {
        "VENDO_ENV": "production",
        "VENDO_LOG_FLUSH_SECONDS": "0.5",
        "VENDO_SUBSCRIPTIONS_PER_WORKSPACE": str(per_workspace),
    }


async def _prepare(env: dict[str, str], apps: int) -> Dataset:
    """The demo workspace's Hermes app, ``apps`` more apps of the same tool bound to its
    connection, an App Key each, and a session of the demo user — through the repositories."""
    os.environ.update(env)
    from sqlmodel import col, select

    from app.db import create_database
    from app.models import APP_KEY
    from app.models.tools import App, AppConnectionBinding
    from app.repositories import accounts, tools
    from app.services.auth import create_session, mint_api_key
    from app.settings import Settings

    settings = Settings()
    db = create_database(settings)
    try:
        async with db.write() as session, session.begin():
            tenant = await accounts.find_tenant(session=session, ref="demo")
            hermes = (
                await session.execute(
                    select(App).where(col(App.tenant_id) == tenant.id, col(App.name) == "My Hermes")
                )
            ).scalar_one()
            bound = await tools.bound_connections(session=session, app_ids=[hermes.id])
            connection_id = bound[hermes.id][0].id
            keys = []
            for number in range(apps):
                app = App(tenant_id=tenant.id, tool_id=hermes.tool_id, name=f"Live {number}")
                session.add(app)
                await session.flush()
                session.add(AppConnectionBinding(app_id=app.id, connection_id=connection_id))
                minted = await mint_api_key(db=session, kind=APP_KEY, scope_id=app.id)
                assert minted is not None
                keys.append(minted[0])
            user = await accounts.get_user_by_email(session=session, email="demo@vendo.local")
            assert user is not None
            token, _ = await create_session(db=session, settings=settings, user_id=user.id)
        return Dataset(settings.database_url, tenant.id, connection_id, token, keys)
    finally:
        await db.dispose()
        for name in env:
            if name.startswith("VENDO_"):
                os.environ.pop(name, None)


def seed(env: dict[str, str]) -> None:
    done = subprocess.run(
        [*_gateway_cli(), "seed", "--demo"], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"vendo-gateway seed --demo failed:\n{done.stderr}")


async def recreate_postgres() -> None:
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")
    finally:
        await admin.close()


# -- the writer (another system) --------------------------------------------------------------


class Writer:
    """Commits an event the way another system would: plain SQL on its own connection."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.sqlite = dataset.database_url.startswith("sqlite")
        self._pg: Any = None
        self._lite: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self.sqlite:
            path = self.dataset.database_url.split("///", 1)[1]
            self._lite = sqlite3.connect(path, isolation_level=None, timeout=30)
        else:
            import asyncpg

            url = self.dataset.database_url.replace("postgresql+asyncpg", "postgresql")
            self._pg = await asyncpg.connect(url)

    async def write(self, number: int, cost_micros: int) -> float:
        """One transaction: a usage row and the connection's label; when its commit returned."""
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        tenant, connection = self.dataset.tenant_id, self.dataset.connection_id
        if self._lite is not None:
            lite = self._lite
            lite.execute("BEGIN IMMEDIATE")
            lite.execute(
                "INSERT INTO usage_events (tenant_id, provider, cost_micros, occurred_at) "
                "VALUES (?, 'openrouter', ?, ?)",
                (tenant.hex, cost_micros, now),
            )
            lite.execute(
                "UPDATE connections SET label = ? WHERE id = ?", (f"live {number}", connection.hex)
            )
            lite.execute("COMMIT")
            return time.time()
        async with self._pg.transaction():
            await self._pg.execute(
                "INSERT INTO usage_events (tenant_id, provider, cost_micros, occurred_at) "
                "VALUES ($1, 'openrouter', $2, now())",
                tenant,
                cost_micros,
            )
            await self._pg.execute(
                "UPDATE connections SET label = $1 WHERE id = $2", f"live {number}", connection
            )
        return time.time()

    async def close(self) -> None:
        if self._lite is not None:
            self._lite.close()
        if self._pg is not None:
            await self._pg.close()


# -- the clients ------------------------------------------------------------------------------


class Receipts:
    """When each subscriber read its messages (wall clock), and what it read."""

    def __init__(self) -> None:
        self.times: list[list[float]] = []
        self.bodies: list[list[bytes]] = []
        self.opened = 0
        self.failed: list[str] = []

    def new(self) -> int:
        self.times.append([])
        self.bodies.append([])
        return len(self.times) - 1

    def got(self, index: int, body: bytes) -> None:
        self.times[index].append(time.time())
        self.bodies[index].append(body)


async def sse_client(base: str, key: str, receipts: Receipts, ready: asyncio.Event) -> None:
    """One events stream on a raw socket: its frames, each timed as it is read."""
    index = receipts.new()
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
    try:
        writer.write(
            f"GET /api/deployments/me/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            receipts.failed.append(head.split(b"\r\n", 1)[0].decode())
            return
        await reader.readuntil(b": connected\n\n")  # chunked: the size line comes first
        receipts.opened += 1
        ready.set()
        while True:
            chunk = await reader.readuntil(b"\n\n")
            if b"event: " in chunk:
                receipts.got(index, chunk)
    finally:
        writer.close()


async def ws_client(
    base: str, token: str, query: str, receipts: Receipts, ready: asyncio.Event
) -> None:
    from websockets.asyncio.client import connect

    index = receipts.new()
    url = base.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"Cookie": f"vendo_session={token}"},
        ping_interval=None,
        max_queue=None,
    ) as ws:
        await ws.send('{"type": "connection_init"}')
        ack = await ws.recv()
        if "connection_ack" not in str(ack):
            receipts.failed.append(str(ack))
            return
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        receipts.opened += 1
        ready.set()
        async for message in ws:
            body = message if isinstance(message, bytes) else message.encode()
            if b'"next"' not in body:
                receipts.failed.append(body.decode()[:200])
                return
            receipts.got(index, body)


# -- the run ----------------------------------------------------------------------------------


def rss_and_sockets(server: Server) -> tuple[dict[str, float], dict[str, int]]:
    sockets = {}
    for pid in server.worker_pids():
        try:
            fds = Path(f"/proc/{pid}/fd").iterdir()
            sockets[str(pid)] = sum(1 for fd in fds if os.readlink(fd).startswith("socket:"))
        except OSError:
            continue
    return server.rss_mb(), sockets


def ticks(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


@dataclass
class Config:
    name: str
    database_url: str
    workers: int
    redis: bool


async def run_config(config: Config, options: argparse.Namespace) -> dict[str, Any]:
    apps = math.ceil(options.sse / STREAMS_PER_APP)
    per_workspace = options.sse + options.ws + 100
    env = live_env(config.database_url, redis=config.redis, per_workspace=per_workspace)
    if config.redis:
        redis_cleanup(REDIS_PREFIX)
    if not config.database_url.startswith("sqlite"):
        await recreate_postgres()
    print(f"[{config.name}] seeding, {apps} apps and keys …", flush=True)
    seed(env)
    dataset = await _prepare(env, apps)
    pinning = Pinning.plan(config.workers)
    port = free_port()
    server = Server(
        f"live-{config.name}",
        gateway_command(port, config.workers),
        env,
        port,
        pinning.server,
        config.workers,
    )
    server.start()
    if pinning.wrk:
        os.sched_setaffinity(0, pinning.wrk)
    receipts = Receipts()
    tasks: list[asyncio.Task[None]] = []
    writer = Writer(dataset)
    try:
        pids = server.all_pids()
        hertz = os.sysconf("SC_CLK_TCK")
        before = ticks(pids)
        await asyncio.sleep(options.idle)  # the server alone: its own loops (poll, log flush)
        alone = cpu_share(ticks(pids) - before, options.idle, hertz)
        print(f"[{config.name}] opening {options.sse} SSE + {options.ws} WS …", flush=True)
        queries = [query for _, query, weight in WS_MIX for _ in range(weight)]
        for number in range(options.sse):
            ready = asyncio.Event()
            key = dataset.app_keys[number // STREAMS_PER_APP]
            tasks.append(asyncio.create_task(sse_client(server.url, key, receipts, ready)))
            await asyncio.wait_for(ready.wait(), 30)
        for number in range(options.ws):
            ready = asyncio.Event()
            query = queries[number % len(queries)]
            tasks.append(
                asyncio.create_task(
                    ws_client(server.url, dataset.session_token, query, receipts, ready)
                )
            )
            await asyncio.wait_for(ready.wait(), 30)
        await asyncio.sleep(3)  # the last subscriptions reach the hub
        if receipts.failed:
            raise RuntimeError(f"subscribers refused: {receipts.failed[:3]}")
        rss, sockets = rss_and_sockets(server)
        before = ticks(pids)
        await asyncio.sleep(options.idle)
        idle = cpu_share(ticks(pids) - before, options.idle, hertz)
        await writer.open()
        events: list[EventResult] = []
        spreads: list[float] = []
        missing: list[dict[str, int]] = []  # per event: the SSE and WS subscribers it missed
        jitter = random.Random(7)
        expected = options.sse + options.ws
        for number in range(-options.warmup, options.events):
            measured = number >= 0  # the warm-up events first: heard by all, not counted
            counts = [len(t) for t in receipts.times]
            started = ticks(pids)
            committed = await writer.write(number + options.warmup, 1000 + number)
            deadline = time.monotonic() + options.wait
            while time.monotonic() < deadline:
                got = sum(len(t) > c for t, c in zip(receipts.times, counts, strict=True))
                if got >= expected:
                    break
                await asyncio.sleep(0.05)
            arrived = [t[c] for t, c in zip(receipts.times, counts, strict=True) if len(t) > c]
            cpu_ms = (ticks(pids) - started) * 1000 / hertz
            event = EventResult(expected, [(t - committed) * 1000 for t in arrived], cpu_ms)
            print(
                f"[{config.name}] {'event ' + str(number + 1) if measured else 'warm-up'}: "
                f"{event.received}/{expected}, server CPU {cpu_ms:.0f} ms, "
                f"p99 {percentile(event.latencies_ms, 99):.0f} ms",
                flush=True,
            )
            if not measured:
                await asyncio.sleep(options.spacing)
                continue
            if arrived:
                first = min(arrived)
                spreads.extend((t - first) * 1000 for t in arrived)
            events.append(event)
            late = [
                i
                for i, (t, c) in enumerate(zip(receipts.times, counts, strict=True))
                if len(t) <= c
            ]
            missing.append(
                {
                    "sse": sum(i < options.sse for i in late),
                    "ws": sum(i >= options.sse for i in late),
                }
            )
            if any(missing[-1].values()):
                print(f"[{config.name}] event {number + 1} missed: {missing[-1]}", flush=True)
            # Not in step with SQLite's poll: a commit falls anywhere in its interval.
            await asyncio.sleep(options.spacing + jitter.uniform(0, 0.5))
        latency = summarise(events)
        return {
            "name": config.name,
            "workers": config.workers,
            "sse": options.sse,
            "ws": options.ws,
            "rss_mb": rss,
            "sockets_per_worker": sockets if config.workers > 1 else {},
            "idle_cpu_cores": round(idle, 4),
            "idle_cpu_cores_alone": round(alone, 4),
            "latency": latency,
            "spread": {
                "p50_ms": round(percentile(spreads, 50), 1),
                "p99_ms": round(percentile(spreads, 99), 1),
            },
            "missing_per_event": missing,
            "note": pinning.note.replace("wrk", "the clients"),
            "log_problems": server.log_problems(),
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await writer.close()
        server.stop()
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
        if config.redis:
            redis_cleanup(REDIS_PREFIX)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--sse", type=int, default=1000, help="events streams (SSE)")
    parser.add_argument("--ws", type=int, default=1000, help="WebSocket subscriptions")
    parser.add_argument("--events", type=int, default=20, help="events written by SQL")
    parser.add_argument(
        "--warmup", type=int, default=1, help="events written first, heard by all, not counted"
    )
    parser.add_argument("--spacing", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured")
    parser.add_argument("--wait", type=float, default=10.0, help="most seconds an event waits")
    parser.add_argument("--targets", default="sqlite,postgres", help="sqlite, postgres or both")
    return parser.parse_args(argv)


async def main_async(options: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    configs = []
    targets = options.targets.split(",")
    with tempfile.TemporaryDirectory(prefix="vendo-live-") as folder:
        if "sqlite" in targets:
            url = f"sqlite+aiosqlite:///{folder}/live.db"
            configs.append(await run_config(Config("SQLite, 1 worker", url, 1, False), options))
        if "postgres" in targets:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{POSTGRES_DATABASE}"
            configs.append(
                await run_config(Config("PostgreSQL + Redis, 2 workers", url, 2, True), options)
            )
    return {
        "stamp": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "argv": list(argv),
        "warmup": options.warmup,
        "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at the end",
        "settings": " ".join(f"{k}={v}" for k, v in live_settings(0).items() if "PER" not in k)
        + " VENDO_SUBSCRIPTIONS_PER_WORKSPACE=<SSE + WS + 100>",
        "configs": configs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = parse(argv)
    record = asyncio.run(main_async(options, argv))
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    base = RUNS_DIR / f"live-{record['stamp']}"
    base.with_suffix(".json").write_text(json.dumps(record, indent=2))
    markdown = render(record)
    base.with_suffix(".md").write_text(markdown)
    if options.sse >= 1000 and options.ws >= 1000 and options.events >= 20:
        SUMMARY.write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
