"""The benchmark runner of issue 6 (see bench/README.md).

    python -m bench.run [--rounds 5] [--duration 10] [--connections 16]
                        [--targets sqlite,postgres] [--quick]

For each target it builds the dataset (or reuses it), mints a session cookie and an App Key with
the ``vendo-gateway`` CLI, starts ``vendo-gateway serve`` (SQLite: one worker; PostgreSQL + Redis:
one worker, then two) and the baselines app (``bench/baselines.py``, same uvicorn settings),
pinned with ``taskset`` away from wrk where the machine has the cores, checks every scenario once,
then drives the scenarios round-robin with wrk and keeps the medians. SQL statements per request
are counted afterwards in-process (one request per scenario through httpx's ASGI transport, with
a ``before_cursor_execute`` listener), never under load. RSS of each worker is read from /proc
after the last round. Results go to ``bench/results/<timestamp>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import dataset
from bench.dataset import DATA_DIR, DEMO_SLUG, USAGE_PROVIDER, Params

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
LOG_DIR = DATA_DIR / "logs"
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS_PREFIX = "vendo-bench:"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
TOGGLE_SLUG = "telegram"  # not managed-pool provisioned: a toggle is one upsert
TOOL_SLUG = "hermes"
DETAIL_SLUG = "openrouter"
MIN_CONNECTIONS = 2  # slow scenarios get fewer connections, never fewer than this (quick: 1)
MAX_STRETCH = 60.0  # a slow scenario runs up to this long, to complete a few requests per conn
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

# Settings of the bench server, on top of the database and cache ones. The page cap and the
# cost limit are raised so that the 500-tool scenario is allowed at all; the alias limit so that
# the legacy operations can be posted to /graphql (with the default of 15, LegacyIntegrationList
# and LegacyIntegrationDetail are rejected); the integration rate limit so that the toggle
# scenario measures toggles, not 429s.
BENCH_SETTINGS = {
    "VENDO_ENV": "production",
    "VENDO_GRAPHQL_MAX_PAGE_SIZE": "1000",
    "VENDO_GRAPHQL_MAX_COST": "100000000",
    "VENDO_GRAPHQL_MAX_ALIASES": "1000",
    "VENDO_INTEGRATION_RATE_LIMIT": "1000000/minute",
    "VENDO_LOG_FLUSH_SECONDS": "0.5",
}
PAGE_CAP = int(BENCH_SETTINGS["VENDO_GRAPHQL_MAX_PAGE_SIZE"])

LIST_QUERY = """query BenchIntegrationList($first: Int!) {
  integrations(first: $first) {
    nodes {
      databaseId provider name description category type enabled defaultProfile
      supportedProfiles logoUrl
    }
  }
}"""
TOOLS_QUERY = """query BenchToolsNested($first: Int!) {
  tools(first: $first) {
    nodes {
      slug name category
      integrations {
        required { integration { provider name category logoUrl } alreadyEnabled }
        optional { integration { provider name category logoUrl } alreadyEnabled }
      }
    }
  }
}"""

# The sample request of every legacy GET route: (credential, path params, query) per variant.
LEGACY_SAMPLES: dict[str, list[tuple[str, dict[str, str], dict[str, str]]]] = {
    "/api/integrations": [("anon", {}, {}), ("session", {}, {})],
    "/api/integrations/{slug}": [("anon", {"slug": DETAIL_SLUG}, {}),
                                 ("session", {"slug": DETAIL_SLUG}, {})],
    "/api/integrations/{slug}/usage": [("session", {"slug": USAGE_PROVIDER}, {})],
    "/api/tools/catalog": [("anon", {}, {})],
    "/api/tools/deployable": [("anon", {}, {})],
    "/api/tools/{slug}": [("anon", {"slug": TOOL_SLUG}, {})],
    "/api/tools/{slug}/usage-framing": [("anon", {"slug": TOOL_SLUG}, {})],
    "/api/tools/{slug}/integrations": [("session", {"slug": TOOL_SLUG}, {"appId": "{app}"})],
    "/api/pricing/models": [("anon", {}, {})],
    "/api/pricing/integrations": [("anon", {}, {})],
    "/api/pricing/public/{slug}": [("anon", {"slug": DETAIL_SLUG}, {})],
    "/api/v1/integrations": [("bearer", {}, {})],
    "/api/v1/integrations/{id}": [("bearer", {"id": DETAIL_SLUG}, {})],
    "/api/v1/mcp-connections": [("bearer", {}, {})],
    "/api/v1/native-tools": [("bearer", {}, {})],
}  # fmt: skip

# Names of the scenarios the targets are computed from.
S_STATIC = "baseline: static bytes"
S_RAW_LIST = "baseline: raw SQL list 200"
S_RAW_TOOLS = "baseline: raw SQL tools 500"
S_ANON_LIST = "GET /api/integrations [anon]"
S_SIGNED_LIST = "GET /api/integrations [session]"
S_GQL_LIST = "graphql: integrations 200 × 10 fields"
S_GQL_TOOLS = "graphql: 500 tools × nested integrations"
S_USAGE_REST = "GET /api/integrations/{slug}/usage [session]"
S_USAGE_GQL = "graphql LegacyIntegrationUsage [session]"
S_USAGE_REST_C1 = "usage trend REST, 1 connection"
S_USAGE_GQL_C1 = "usage trend GraphQL, 1 connection"
S_TOGGLE = "toggle: POST /api/integrations/{slug} [session]"
S_PRICING = "GET /api/pricing/models [anon]"
# Not a legacy pair, but run as one block all the same, taking turns to go first: the first light
# run after a round's heavy scenarios meets more of their aftermath (in three full runs, the REST
# usage trend's p99 at one connection, always run first, was above its twin's in 13 rounds of 15).
TAKE_TURNS = ((S_USAGE_REST_C1, S_USAGE_GQL_C1),)
SCALING = (S_ANON_LIST, S_SIGNED_LIST, S_GQL_LIST, S_GQL_TOOLS, S_USAGE_GQL, S_TOGGLE, S_PRICING)
QUICK_SCALING = (S_ANON_LIST, S_GQL_LIST, S_USAGE_GQL)


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


# Scenarios


@dataclass
class Scenario:
    name: str
    server: str  # "gateway" | "baseline"
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    body2: bytes | None = None  # requests alternate between body and body2
    kind: str = "core"  # core | legacy | twin | baseline
    connections: int | None = None  # fixed connection count (else adaptive)
    graphql: bool = False
    note: str = ""


@dataclass
class Credentials:
    cookie: str
    app_key: str
    facts: dict[str, Any]

    def headers(self, variant: str) -> dict[str, str]:
        if variant == "session":
            return {"Cookie": f"vendo_session={self.cookie}"}
        if variant == "bearer":
            return {"Authorization": f"Bearer {self.app_key}", "X-Account-ID": DEMO_SLUG}
        return {}


def _graphql_body(query: str, variables: dict[str, Any], operation: str | None = None) -> bytes:
    payload: dict[str, Any] = {"query": query, "variables": variables}
    if operation:
        payload["operationName"] = operation
    return orjson.dumps(payload)


JSON_HEADERS = {"Content-Type": "application/json"}


def build_scenarios(creds: Credentials) -> tuple[list[Scenario], list[tuple[str, str]], list[str]]:
    """Every scenario, the (legacy route, GraphQL twin) pairs, and warnings."""
    from app.auth import Credential, Viewer
    from legacy_rest.operations import load_operation, operation_name
    from legacy_rest.routes import ROUTES
    from legacy_rest.table import RestInput

    app_id = creds.facts["demo_hermes_app_id"]
    session = creds.headers("session")
    scenarios: dict[str, Scenario] = {}
    pairs: list[tuple[str, str]] = []
    warnings: list[str] = []

    def add(scenario: Scenario) -> None:
        scenarios.setdefault(scenario.name, scenario)

    add(
        Scenario(
            S_STATIC,
            "baseline",
            "GET",
            "/static",
            kind="baseline",
            note="precomputed bytes of the anonymous /api/integrations body",
        )
    )
    add(
        Scenario(
            S_RAW_LIST,
            "baseline",
            "GET",
            "/raw/integrations?first=200",
            kind="baseline",
            note="one SQL query, orjson; same JSON as the GraphQL list",
        )
    )
    add(
        Scenario(
            S_RAW_TOOLS,
            "baseline",
            "GET",
            "/raw/tools?first=500",
            kind="baseline",
            note="two SQL queries, dicts, orjson; same JSON as the GraphQL tools",
        )
    )
    add(
        Scenario(
            S_GQL_LIST,
            "gateway",
            "POST",
            "/graphql",
            JSON_HEADERS,
            _graphql_body(LIST_QUERY, {"first": 200}),
            graphql=True,
            note="anonymous, never cached",
        )
    )
    add(
        Scenario(
            S_GQL_TOOLS,
            "gateway",
            "POST",
            "/graphql",
            JSON_HEADERS,
            _graphql_body(TOOLS_QUERY, {"first": 500}),
            graphql=True,
            note="anonymous: alreadyEnabled is false",
        )
    )
    add(
        Scenario(
            S_TOGGLE,
            "gateway",
            "POST",
            f"/api/integrations/{TOGGLE_SLUG}",
            {**JSON_HEADERS, **session},
            b'{"enabled": true}',
            b'{"enabled": false}',
            note="alternating true/false",
        )
    )

    viewers = {
        "anon": Viewer(),
        "session": Viewer(credential=Credential.SESSION),
        "bearer": Viewer(credential=Credential.APP_KEY),
    }
    covered = set()
    for route in ROUTES:
        if route.method != "GET":
            continue
        samples = LEGACY_SAMPLES.get(route.path)
        if samples is None:
            warnings.append(f"no sample request for GET {route.path}: not measured")
            continue
        covered.add(route.path)
        for variant, params, query in samples:
            query = {k: v.replace("{app}", app_id) for k, v in query.items()}
            headers = creds.headers(variant)
            rest_name = f"GET {route.path} [{variant}]"
            path = route.path.format(**params)
            if query:
                path += "?" + urllib.parse.urlencode(query)
            cached = " (response cache)" if route.cache is not None else ""
            add(
                Scenario(
                    rest_name,
                    "gateway",
                    "GET",
                    path,
                    headers,
                    kind="legacy",
                    note=f"operation {route.operation}{cached}",
                )
            )
            try:
                variables = route.variables(
                    RestInput(
                        path=params,
                        query=query,
                        headers={k.lower(): v for k, v in headers.items()},
                        body=None,
                        viewer=viewers[variant],
                    )
                )
            except Exception as error:
                warnings.append(f"variables of {rest_name}: {error!r}; twin not measured")
                continue
            document = load_operation(route.operation)
            if "$first" in document:
                # The route asks for whole lists (a trusted operation has no page cap); posted
                # to /graphql the same operation gets a default page unless it asks for more.
                variables = {**variables, "first": PAGE_CAP}
            twin = f"graphql {operation_name(document)} [{variant}]"
            add(
                Scenario(
                    twin,
                    "gateway",
                    "POST",
                    "/graphql",
                    {**JSON_HEADERS, **headers},
                    _graphql_body(document, variables, operation_name(document)),
                    kind="twin",
                    graphql=True,
                    note=f"{route.operation}.graphql posted directly",
                )
            )
            pairs.append((rest_name, twin))
    for path in sorted(set(LEGACY_SAMPLES) - covered):
        warnings.append(f"sample for {path}, which is no longer a legacy GET route")
    usage_rest = scenarios.get(S_USAGE_REST)
    usage_gql = scenarios.get(S_USAGE_GQL)
    for base, name in ((usage_rest, S_USAGE_REST_C1), (usage_gql, S_USAGE_GQL_C1)):
        if base is not None:
            add(
                Scenario(
                    name,
                    base.server,
                    base.method,
                    base.path,
                    base.headers,
                    base.body,
                    kind="core",
                    connections=1,
                    graphql=base.graphql,
                    note=f"{base.name} at one connection",
                )
            )
    return list(scenarios.values()), pairs, warnings


# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def taskset(cpus: Sequence[int] | None) -> list[str]:
    if not cpus or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", ",".join(map(str, cpus))]


@dataclass
class Pinning:
    server: list[int] | None
    wrk: list[int] | None
    note: str

    @classmethod
    def plan(cls, workers: int) -> Pinning:
        cpus = sorted(os.sched_getaffinity(0))
        if shutil.which("taskset") is None:
            return cls(None, None, "taskset not found: nothing pinned")
        if len(cpus) >= workers + 1:
            return cls(
                cpus[:workers],
                [cpus[workers]],
                f"server on core(s) {cpus[:workers]}, wrk on core {cpus[workers]}",
            )
        return cls(
            None,
            None,
            f"not pinned apart: {workers} worker(s) + wrk need {workers + 1} cores, "
            f"this machine has {len(cpus)}; server and wrk share all cores",
        )


class Server:
    def __init__(
        self,
        name: str,
        cmd: list[str],
        env: dict[str, str],
        port: int,
        cpus: list[int] | None,
        workers: int,
    ) -> None:
        self.name = name
        self.cmd = [*taskset(cpus), *cmd]
        self.env = env
        self.port = port
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        handle = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}"
                )
            try:
                up = httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                up = False
            if up and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not come up in {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself with one worker, else its
        children (multiprocessing's resource tracker excluded)."""
        if self.proc is None:
            return []
        if self.workers == 1:
            return [self.proc.pid]
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.proc.pid and "resource_tracker" not in cmdline:
                children.append(int(entry.name))
        return sorted(children)

    def all_pids(self) -> list[int]:
        pids = self.worker_pids()
        if self.proc is not None and self.workers > 1:
            pids = [self.proc.pid, *pids]
        return pids

    def rss_mb(self) -> dict[str, float]:
        found = {}
        pids = self.worker_pids()
        if self.proc is not None and self.workers > 1:
            pids = [self.proc.pid, *pids]
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        role = "supervisor" if self.workers > 1 and pid == pids[0] else "worker"
                        found[f"{role} {pid}"] = round(int(line.split()[1]) / 1024, 1)
            except OSError:
                continue
        return found

    def log_problems(self) -> dict[str, int]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return {}
        return {
            "5xx_lines": len(re.findall(r'" 5\d\d\b|"status": ?5\d\d|status=5\d\d', text)),
            "tracebacks": text.count("Traceback (most recent call last)"),
            "error_lines": len(
                re.findall(r'^(ERROR|CRITICAL)\b|"level": ?"(error|critical)"', text, re.M)
            ),
        }

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def gateway_command(port: int, workers: int) -> list[str]:
    script = Path(sys.executable).with_name("vendo-gateway")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    return [*base, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]


def baselines_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.baselines",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def cli(env: dict[str, str], *args: str) -> str:
    """Run ``vendo-gateway``; the credential it mints is on the last line."""
    script = Path(sys.executable).with_name("vendo-gateway")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    done = subprocess.run(
        [*base, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"vendo-gateway {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1].strip()


# The pricing upstream: OpenRouter's models API, served locally


def openrouter_payload(models: int = 300) -> bytes:
    data = []
    for index in range(models):
        prompt = f"0.{'0' * (5 + index % 3)}{1 + index % 9}"
        data.append(
            {
                "id": f"vendor{index % 25}/model-{index}",
                "name": f"Vendor {index % 25}: Model {index}",
                "context_length": 4096 * (1 + index % 32),
                "pricing": {"prompt": prompt, "completion": str(float(prompt) * 4)},
            }
        )
    return orjson.dumps({"data": data})


@contextlib.contextmanager
def pricing_upstream() -> Iterator[str]:
    payload = openrouter_payload()
    hits = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits["count"] += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/models"
    finally:
        server.shutdown()
        server.server_close()


# Load generation


@dataclass
class Files:
    """The per-scenario files wrk reads (headers, bodies)."""

    root: Path

    def prepare(self, scenario: Scenario) -> dict[str, str]:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", scenario.name).strip("-")[:80]
        env = {"BENCH_METHOD": scenario.method, "BENCH_PATH": scenario.path}
        if scenario.headers:
            path = self.root / f"{slug}.headers"
            path.write_text("".join(f"{k}: {v}\n" for k, v in scenario.headers.items()))
            env["BENCH_HEADERS_FILE"] = str(path)
        for key, body in (
            ("BENCH_BODY_FILE", scenario.body),
            ("BENCH_BODY_FILE_2", scenario.body2),
        ):
            if body is not None:
                path = self.root / f"{slug}.{key.lower()}"
                path.write_bytes(body)
                env[key] = str(path)
        return env


TICK = os.sysconf("SC_CLK_TCK")
QUIET_CORES = 0.3  # --wait-quiet: "quiet" is other processes using less than this many cores
# Before each run the server must have finished the previous one: at most one clock tick of CPU
# (10 ms) in a quarter of a second (wrk stops sending, but the requests it leaves in flight
# still run, and a 16-connection run of a slow scenario leaves up to seconds of work).
DRAIN_WINDOW = 0.25
DRAIN_LIMIT = 15.0
PAIR_SLICES = 4  # a legacy route and its twin run interleaved, each in this many slices


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine (all cores) since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, *rest = values
    return (user + nice + system + irq + softirq + (rest[0] if rest else 0)) / TICK


def process_cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes spent between two ``process_cpu_seconds`` readings (a process
    that appeared in between counts from zero)."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def database_pids(database: str | None) -> list[int]:
    """PostgreSQL backends serving ``database`` (the app's queries run there)."""
    if not database:
        return []
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if cmdline.startswith("postgres:") and f" {database} " in cmdline:
                pids.append(int(entry.name))
    return pids


@dataclass
class CpuProbe:
    """Where the CPU went during one wrk run: the server's processes, the database backends,
    wrk itself, and everything else on the machine (other load: noise)."""

    server_pids: Callable[[], list[int]]
    database: str | None

    def snapshot(self) -> dict[str, Any]:
        import resource

        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "wall": time.monotonic(),
            "busy": machine_busy_seconds(),
            "server": process_cpu_seconds(self.server_pids()),
            "db": process_cpu_seconds(database_pids(self.database)),
            "children": children.ru_utime + children.ru_stime,
        }

    def wait_quiet(self, limit: float, threshold: float = QUIET_CORES) -> float:
        """Wait (at most ``limit`` seconds) until other processes use less than ``threshold``
        cores over a 1-second sample; returns the seconds waited."""
        started = time.monotonic()
        while limit > 0 and time.monotonic() - started < limit:
            before = self.snapshot()
            time.sleep(1.0)
            if (self.delta(before, self.snapshot(), 0)["other_cores"] or 0) < threshold:
                break
        return round(time.monotonic() - started, 1) if limit > 0 else 0.0

    def wait_drained(self, limit: float = DRAIN_LIMIT) -> float:
        """Wait (at most ``limit`` seconds) until the server is idle: the requests the previous
        run left in flight are answered, so that they are not counted against this one.
        Returns the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            before = process_cpu_seconds(self.server_pids())
            time.sleep(DRAIN_WINDOW)
            after = process_cpu_seconds(self.server_pids())
            if cpu_spent(before, after) <= 1.5 / TICK:
                break
        return round(time.monotonic() - started, 2)

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any], requests: int) -> dict[str, Any]:
        wall = after["wall"] - before["wall"]
        server = cpu_spent(before["server"], after["server"])
        db = cpu_spent(before["db"], after["db"])
        wrk = after["children"] - before["children"]
        other = max(0.0, after["busy"] - before["busy"] - server - db - wrk)
        per = 1000 / requests if requests else None
        return {
            "server_cpu_ms": round(server * per, 3) if per else None,
            "db_cpu_ms": round(db * per, 3) if per and db else None,
            "wrk_cores": round(wrk / wall, 2) if wall else None,
            "other_cores": round(other / wall, 2) if wall else None,
        }


def run_wrk(
    scenario: Scenario,
    base_url: str,
    *,
    duration: float,
    connections: int,
    cpus: list[int] | None,
    files: Files,
    probe: CpuProbe,
    wait_quiet: float = 0.0,
) -> dict[str, Any]:
    out = files.root / "wrk-out.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, **files.prepare(scenario), "BENCH_OUT": str(out)}
    cmd = [
        *taskset(cpus),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",  # whole seconds: wrk reads no fraction
        "--timeout",
        "60s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]
    drained = probe.wait_drained()
    waited = probe.wait_quiet(wait_quiet)
    before = probe.snapshot()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 120)
    after = probe.snapshot()
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr or done.stdout).strip()[-500:] or f"wrk rc {done.returncode}"}
    raw = json.loads(out.read_text())
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    requests = raw["requests"]
    latency = raw["latency_us"]
    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(latency["p50"] / 1000, 3) if requests else None,
        "p90_ms": round(latency["p90"] / 1000, 3) if requests else None,
        "p99_ms": round(latency["p99"] / 1000, 3) if requests else None,
        "max_ms": round(latency["max"] / 1000, 3) if requests else None,
        "non_2xx": errors["status"],
        "socket_errors": socket_errors,
        "errors": errors["status"] + socket_errors,
        "bytes_per_request": round(raw["bytes"] / requests) if requests else None,
        **CpuProbe.delta(before, after, requests),
        "waited_for_quiet_s": waited,
        "waited_for_server_s": drained,
    }


def blocks(
    scenarios: Sequence[Scenario], pairs: Sequence[tuple[str, str]]
) -> list[tuple[Scenario, ...]]:
    """One round's runs: each scenario alone, except the first of a pair directly followed by
    its second (a legacy route and its GraphQL twin; ``TAKE_TURNS``), which run together as one
    block (``block_order``; a legacy pair in slices, ``slicing``)."""
    twins = dict(pairs)
    found: list[tuple[Scenario, ...]] = []
    i = 0
    while i < len(scenarios):
        if i + 1 < len(scenarios) and twins.get(scenarios[i].name) == scenarios[i + 1].name:
            found.append((scenarios[i], scenarios[i + 1]))
            i += 2
        else:
            found.append((scenarios[i],))
            i += 1
    return found


def slicing(block: tuple[Scenario, ...], duration: float) -> tuple[int, int]:
    """How a block runs: (slices, whole seconds each; wrk takes whole seconds). Legacy routes
    and their twins run in ``PAIR_SLICES`` slices — alone too (the two-worker configuration has
    no twins), so that a route is measured the same way in every configuration."""
    if not any(s.kind in ("legacy", "twin") for s in block):
        return 1, max(1, round(duration))
    slices = max(1, min(PAIR_SLICES, int(duration)))
    return slices, max(1, round(duration / slices))


def abba(first: Scenario, second: Scenario, slices: int) -> list[Scenario]:
    """The order of a pair's slices: A B B A A B B A …, so that each side's slices sit
    symmetrically in the pair's time and a drift of the host's speed weighs on both alike."""
    order: list[Scenario] = []
    for k in range(slices):
        order += [first, second] if k % 2 == 0 else [second, first]
    return order


def block_order(block: tuple[Scenario, ...], slices: int, round_: int) -> list[Scenario]:
    """The runs of one block in one round: a pair's slices A B B A …, each side going first in
    every other round; a scenario alone, its slices one after another."""
    if len(block) == 2:
        first, second = block if round_ % 2 == 0 else block[::-1]
        return abba(first, second, slices)
    return [*block] * slices


def merge_slices(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """One round of one side of a pair, from its slices: counts and seconds added, req/s and CPU
    per request over the whole, latency percentiles the request-weighted mean of the slices'
    (wrk reports percentiles, not the distribution), max the largest."""
    failed = [s for s in slices if "error" in s]
    if failed:
        return failed[0]
    requests = sum(s["requests"] for s in slices)
    seconds = sum(s["seconds"] for s in slices)

    def weighted(key: str, weight: str = "requests", digits: int = 3) -> float | None:
        known = [(s[key], s[weight]) for s in slices if s.get(key) is not None and s[weight]]
        total = sum(w for _, w in known)
        return round(sum(v * w for v, w in known) / total, digits) if total else None

    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        **{key: weighted(key) for key in ("p50_ms", "p90_ms", "p99_ms")},
        "max_ms": max((s["max_ms"] for s in slices if s["max_ms"] is not None), default=None),
        **{key: sum(s[key] for s in slices) for key in ("non_2xx", "socket_errors", "errors")},
        "bytes_per_request": slices[0]["bytes_per_request"],
        "server_cpu_ms": weighted("server_cpu_ms"),
        "db_cpu_ms": weighted("db_cpu_ms"),
        "wrk_cores": weighted("wrk_cores", "seconds", 2),
        "other_cores": weighted("other_cores", "seconds", 2),
        "waited_for_quiet_s": round(sum(s["waited_for_quiet_s"] for s in slices), 1),
        "waited_for_server_s": round(sum(s["waited_for_server_s"] for s in slices), 2),
        "slices": slices,
    }


MEDIAN_KEYS = ("rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu_ms", "db_cpu_ms", "other_cores")


def medians(rounds: list[dict[str, Any]]) -> dict[str, float | None]:
    """A scenario's figures: medians over its rounds — over all the slices of a sliced one, so
    that a burst of the host's noise spoils a few slices of either side of a pair, not a whole
    round of one."""
    runs = [run for r in rounds for run in r.get("slices", [r])]
    return {key: median_of(runs, key) for key in MEDIAN_KEYS}


def median_of(rounds: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rounds if r.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


# Preflight: every scenario once, before any load


def preflight(
    scenarios: list[Scenario], urls: dict[str, str], attempts: int = 4
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(timeout=120) as client:
        for scenario in scenarios:
            url = urls[scenario.server] + scenario.path
            timings = []
            response = None
            problem = None
            for attempt in range(attempts):  # the first one warms caches; the others are timed
                started = time.perf_counter()
                try:
                    response = client.request(
                        scenario.method,
                        url,
                        headers=scenario.headers,
                        content=scenario.body2 if attempt % 2 and scenario.body2 else scenario.body,
                    )
                except httpx.HTTPError as error:
                    problem = f"request failed: {error!r}"
                    break
                if attempt:
                    timings.append(time.perf_counter() - started)
            if response is not None and problem is None:
                problem = _problem(scenario, response)
            found[scenario.name] = {
                "status": response.status_code if response is not None else None,
                "bytes": len(response.content) if response is not None else None,
                "ms": round(statistics.median(timings) * 1000, 2) if timings else None,
                "problem": problem,
                "body": response.content if response is not None else b"",
            }
    return found


def _problem(scenario: Scenario, response: httpx.Response) -> str | None:
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body = response.json()
    except ValueError:
        return "not JSON"
    if scenario.graphql:
        if body.get("errors"):
            return f"GraphQL errors: {json.dumps(body['errors'])[:300]}"
        if not body.get("data"):
            return "no data"
    elif body in ({}, [], None):
        return "empty body"
    return None


def choose_connections(
    scenario: Scenario, seconds: float | None, *, duration: float, maximum: int, floor: int
) -> int:
    """Enough connections to load the server, few enough that each completes several requests
    within the run: ``duration / (3 × service time)``, between ``floor`` and ``maximum``."""
    if scenario.connections is not None:
        return scenario.connections
    if not seconds:
        return maximum
    fit = int(duration / (3 * seconds))
    return max(min(floor, maximum), min(maximum, fit))


def stretched(duration: float, connections: int, seconds: float | None, *, stretch: bool) -> float:
    """A scenario slower than ``duration`` allows runs longer: ~2.5 requests per connection."""
    if not stretch or not seconds:
        return duration
    return round(max(duration, min(MAX_STRETCH, 2.5 * connections * seconds)), 1)


# SQL statements per request, in-process


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def count_sql(scenarios: list[Scenario], env: dict[str, str]) -> dict[str, dict[str, Any]]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    from app.factory import create_app
    from app.settings import Settings
    from bench.baselines import create_app as create_baselines

    counters = {"statements": 0, "checkouts": 0}

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            counters["statements"] += 1

    def on_checkout(*_: Any) -> None:
        counters["checkouts"] += 1

    found: dict[str, dict[str, Any]] = {}
    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Pool, "checkout", on_checkout)
    try:
        with patched_environ(env):
            apps = {"gateway": create_app(Settings()), "baseline": create_baselines(Settings())}
            async with contextlib.AsyncExitStack() as stack:
                clients = {}
                for name, application in apps.items():
                    await stack.enter_async_context(
                        application.router.lifespan_context(application)
                    )
                    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40000))
                    clients[name] = await stack.enter_async_context(
                        httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=300)
                    )
                for scenario in scenarios:
                    client = clients[scenario.server]
                    for attempt in range(2):  # warm (as under load), then count
                        counters.update(statements=0, checkouts=0)
                        response = await client.request(
                            scenario.method,
                            scenario.path,
                            headers=scenario.headers,
                            content=scenario.body2 if attempt and scenario.body2 else scenario.body,
                        )
                    found[scenario.name] = {
                        **counters,
                        "status": response.status_code,
                        "bytes": len(response.content),
                    }
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Pool, "checkout", on_checkout)
    return found


# Configurations


@dataclass
class Config:
    key: str
    target: str
    workers: int
    database_url: str
    redis: bool
    baselines: bool
    scenario_filter: Callable[[Scenario], bool]


def redis_cleanup() -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{REDIS_PREFIX}*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def server_env(config: Config, upstream: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDO_")}
    env.update(BENCH_SETTINGS)
    env["VENDO_DATABASE_URL"] = config.database_url
    env["VENDO_OPENROUTER_MODELS_URL"] = upstream
    env["VENDO_REDIS_PREFIX"] = REDIS_PREFIX
    if config.redis:
        env["VENDO_CACHE_URL"] = REDIS_URL
        env["VENDO_RATE_LIMIT_STORAGE"] = REDIS_URL
    return env


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
                found.append(Config("sqlite-1w", target, 1, url, False, True, lambda s: True))
            else:
                found.append(Config("postgres-1w", target, 1, url, True, True, self._pg_filter()))
                scaling = QUICK_SCALING if self.o.quick else SCALING
                found.append(
                    Config(
                        "postgres-2w",
                        target,
                        2,
                        url,
                        True,
                        False,
                        lambda s, names=scaling: s.name in names,
                    )
                )
        return found

    def _pg_filter(self) -> Callable[[Scenario], bool]:
        if not self.o.quick or self.o.targets[0] == "postgres":
            return lambda s: True
        # --quick: the legacy pairs run on the first target only (time budget).
        return lambda s: s.kind not in ("legacy", "twin") or s.name in (*SCALING, S_USAGE_REST)

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

    def run_target(self, target: str, upstream: str) -> None:
        url = self.database_url(target)
        params = Params(events=self.o.events)
        meta = dataset.ensure(url, params, max_age_hours=self.o.max_age_hours, force=self.o.rebuild)
        self.results["datasets"][target] = meta
        base_env = server_env(
            Config("cli", target, 1, url, target == "postgres", False, lambda s: True), upstream
        )
        creds = Credentials(
            cookie=cli(base_env, "session", "create", "--email", dataset.DEMO_EMAIL),
            app_key=cli(base_env, "key", "create", "--app", meta["facts"]["demo_hermes_app_id"]),
            facts=meta["facts"],
        )
        scenarios, pairs, warnings = build_scenarios(creds)
        for message in warnings:
            self.warn(message)
        if self.o.only:
            scenarios = [s for s in scenarios if any(w in s.name for w in self.o.only)]
        self.results["pairs"][target] = pairs
        configs = [c for c in self.configs() if c.target == target]
        for config in configs:
            self.run_config(config, [s for s in scenarios if config.scenario_filter(s)], upstream)
        if not self.o.skip_sql:
            one = next(c for c in configs if c.workers == 1)
            env = server_env(one, upstream)
            static = self.tmp / f"static-{target}.json"
            if static.exists():
                env["BENCH_STATIC_FILE"] = str(static)
            log(f"{target}: counting SQL statements per request in-process")
            runnable = [s for s in scenarios if s.server == "gateway" or one.baselines]
            self.results["sql"][target] = asyncio.run(count_sql(runnable, env))

    def run_config(self, config: Config, scenarios: list[Scenario], upstream: str) -> None:
        pinning = Pinning.plan(config.workers)
        if config.workers > 1 and pinning.server is None:
            self.warn(f"{config.key}: {pinning.note}")
        log(f"{config.key}: {len(scenarios)} scenarios; {pinning.note}")
        if config.redis:
            redis_cleanup()
        env = server_env(config, upstream)
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
        record: dict[str, Any] = {
            "key": config.key,
            "target": config.target,
            "workers": config.workers,
            "redis": config.redis,
            "pinning": {"server": pinning.server, "wrk": pinning.wrk, "note": pinning.note},
            "gateway_command": " ".join(gateway.cmd),
            "scenarios": {},
        }
        self.results["configs"].append(record)
        try:
            gateway.start()
            urls = {"gateway": gateway.url}
            if config.baselines:
                static = self.tmp / f"static-{config.target}.json"
                body = httpx.get(f"{gateway.url}/api/integrations", timeout=300)
                static.write_bytes(body.content)
                env = {**env, "BENCH_STATIC_FILE": str(static)}
                bport = free_port()
                baseline = Server(
                    f"{config.key}-baselines",
                    baselines_command(bport, 1),
                    env,
                    bport,
                    pinning.server,
                    1,
                )
                servers.append(baseline)
                baseline.start()
                urls["baseline"] = baseline.url
                record["baseline_command"] = " ".join(baseline.cmd)
            else:
                scenarios = [s for s in scenarios if s.server != "baseline"]
            log(f"{config.key}: preflight (each scenario once, caches warmed)")
            checks = preflight(scenarios, urls, attempts=2 if self.o.quick else 4)
            self._compare_baselines(config, checks)
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
                check = checks[scenario.name]
                connections = self.connections[(config.target, scenario.name)]
                record["scenarios"][scenario.name] = {
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
            database = (
                config.database_url.rsplit("/", 1)[1] if config.target == "postgres" else None
            )
            probes = {
                name: CpuProbe(server.all_pids, database)
                for name, server in zip(("gateway", "baseline"), servers, strict=False)
            }
            total = self.o.rounds * sum(e["duration"] for e in record["scenarios"].values())
            log(
                f"{config.key}: {self.o.rounds} round(s) × {len(scenarios)} scenarios "
                f"≈ {total / 60:.1f} min of load"
            )
            pairs = [*self.results["pairs"].get(config.target, []), *TAKE_TURNS]
            for round_ in range(self.o.rounds):
                for block in blocks(scenarios, pairs):
                    duration = record["scenarios"][block[0].name]["duration"]
                    slices, seconds = slicing(block, duration)
                    order = block_order(block, slices, round_)
                    found: dict[str, list[dict[str, Any]]] = {s.name: [] for s in block}
                    for scenario in order:
                        found[scenario.name].append(
                            run_wrk(
                                scenario,
                                urls[scenario.server],
                                duration=seconds,
                                connections=record["scenarios"][scenario.name]["connections"],
                                cpus=pinning.wrk,
                                files=Files(self.tmp),
                                probe=probes[scenario.server],
                                wait_quiet=self.o.wait_quiet,
                            )
                        )
                    for name, results in found.items():
                        result = results[0] if slices == 1 else merge_slices(results)
                        record["scenarios"][name]["rounds"].append(result)
                        if "error" in result:
                            self.warn(f"{config.key}: {name}: wrk: {result['error']}")
                log(f"{config.key}: round {round_ + 1}/{self.o.rounds} done")
            record["rss_mb"] = gateway.rss_mb()
            if config.baselines:
                record["baseline_rss_mb"] = servers[1].rss_mb()
        finally:
            for server in servers:
                server.stop()
            record["server_log"] = {s.name: s.log_problems() for s in servers}
            record["server_log_path"] = str(gateway.log_path.relative_to(ROOT))
        for entry in record["scenarios"].values():
            rounds = [r for r in entry["rounds"] if "error" not in r]
            entry["median"] = medians(rounds)
            entry["requests_total"] = sum(r["requests"] for r in rounds)
            entry["errors_total"] = sum(r["errors"] for r in rounds)
            entry["non_2xx_total"] = sum(r["non_2xx"] for r in rounds)
        problems = record["server_log"].get(gateway.name, {})
        if problems.get("tracebacks") or problems.get("5xx_lines"):
            self.warn(f"{config.key}: server log has {problems} (see {record['server_log_path']})")

    def duration(self, scenario: Scenario) -> float:
        """--quick: the legacy routes and their twins get 1 s each (the 2-minute budget)."""
        if self.o.quick and scenario.kind in ("legacy", "twin"):
            return min(1.0, self.o.duration)
        return self.o.duration

    def _equalise_pairs(self, target: str) -> None:
        """A legacy route and its twin run at the same concurrency."""
        for rest, twin in self.results["pairs"].get(target, []):
            a, b = (target, rest), (target, twin)
            if a in self.connections and b in self.connections:
                self.connections[a] = self.connections[b] = min(
                    self.connections[a], self.connections[b]
                )

    def _compare_baselines(self, config: Config, checks: dict[str, dict[str, Any]]) -> None:
        if not config.baselines:
            return
        for graphql, raw in ((S_GQL_LIST, S_RAW_LIST), (S_GQL_TOOLS, S_RAW_TOOLS)):
            if graphql in checks and raw in checks:
                try:
                    same = orjson.loads(checks[graphql]["body"]) == orjson.loads(
                        checks[raw]["body"]
                    )
                except orjson.JSONDecodeError:
                    same = False
                checks[raw]["same_json_as_graphql"] = same
                if not same:
                    self.warn(f"{config.key}: {raw} does not answer the same JSON as {graphql}")
        anon = checks.get(S_ANON_LIST)
        static = checks.get(S_STATIC)
        if anon and static:
            static["same_bytes_as_route"] = anon["body"] == static["body"]


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


# Ratios for the targets


def _entry(results: dict[str, Any], config: str, scenario: str) -> dict[str, Any] | None:
    for record in results["configs"]:
        if record["key"] == config:
            return record["scenarios"].get(scenario)  # type: ignore[no-any-return]
    return None


def _median(results: dict[str, Any], config: str, scenario: str, key: str) -> float | None:
    entry = _entry(results, config, scenario)
    return entry["median"].get(key) if entry and entry.get("median") else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _paired(results: dict[str, Any], config: str, a: str, b: str, key: str) -> str:
    """The ratio round by round (both scenarios of a round ran minutes apart at most, so a host
    that changes speed between rounds moves both): its median and range, as a noise gauge
    beside the ratio of the medians, which is the value judged."""
    rounds_a = (_entry(results, config, a) or {}).get("rounds") or []
    rounds_b = (_entry(results, config, b) or {}).get("rounds") or []
    pairs = [
        x[key] / y[key]
        for x, y in zip(rounds_a, rounds_b, strict=False)
        if x.get(key) is not None and y.get(key)
    ]
    if len(pairs) < 2:
        return ""
    return (
        f"; round by round: median {statistics.median(pairs):.3f}"
        f" ({min(pairs):.3f}–{max(pairs):.3f})"
    )


def compute_ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    ratios: list[dict[str, Any]] = []

    def add(
        name: str, config: str, value: float | None, target: str, ok: bool | None, detail: str = ""
    ) -> None:
        ratios.append(
            {
                "name": name,
                "config": config,
                "value": value,
                "target": target,
                "ok": ok,
                "detail": detail,
            }
        )

    for config in ("sqlite-1w", "postgres-1w"):
        if not any(r["key"] == config for r in results["configs"]):
            continue
        rps = lambda s, c=config: _median(results, c, s, "rps")  # noqa: E731
        for name, a, b, floor in (
            ("cached anonymous GET ÷ static bytes", S_ANON_LIST, S_STATIC, 0.85),
            ("GraphQL list 200 ÷ raw SQL", S_GQL_LIST, S_RAW_LIST, 0.5),
            ("tools nested ÷ raw SQL", S_GQL_TOOLS, S_RAW_TOOLS, 0.5),
        ):
            value = _ratio(rps(a), rps(b))
            cpu = _ratio(
                _median(results, config, b, "server_cpu_ms"),
                _median(results, config, a, "server_cpu_ms"),
            )
            add(
                name,
                config,
                value,
                f"≥ {floor}",
                None if value is None else value >= floor,
                f"{rps(a)} / {rps(b)} req/s; by server CPU per request: {cpu}"
                + _paired(results, config, a, b, "rps"),
            )
        target = config.split("-")[0]
        for rest, twin in results["pairs"].get(target, []):
            a = _median(results, config, rest, "p50_ms")
            b = _median(results, config, twin, "p50_ms")
            if a is None and b is None:
                continue
            value = _ratio(a, b)
            p99 = _ratio(
                _median(results, config, rest, "p99_ms"), _median(results, config, twin, "p99_ms")
            )
            detail = f"p50 {a} / {b} ms; p99 ratio {p99}" + _paired(
                results, config, rest, twin, "p50_ms"
            )
            sizes = [
                (_entry(results, config, s) or {}).get("preflight", {}).get("bytes")
                for s in (rest, twin)
            ]
            if all(sizes) and abs(sizes[0] - sizes[1]) > 0.1 * max(sizes):
                detail += f"; NOT the same work: {sizes[0]:,} vs {sizes[1]:,} bytes"
            add(
                f"latency {rest} ÷ its GraphQL twin",
                config,
                value,
                "≤ 1.1",
                None if value is None else value <= 1.1,
                detail,
            )
        for scenario in (S_USAGE_GQL_C1, S_USAGE_REST_C1):
            p99 = _median(results, config, scenario, "p99_ms")
            add(
                f"{scenario}: p99 ms",
                config,
                p99,
                "≤ 10",
                None if p99 is None else p99 <= 10,
                f"p50 {_median(results, config, scenario, 'p50_ms')} ms",
            )
    for record in results["configs"]:
        rss = [v for k, v in record.get("rss_mb", {}).items() if k.startswith("worker")]
        if rss:
            add(
                "RSS per worker after the run (MB, max)",
                record["key"],
                max(rss),
                "≤ 200",
                max(rss) <= 200,
                ", ".join(f"{v:g}" for v in rss),
            )
    if any(r["key"] == "postgres-2w" for r in results["configs"]):
        values = []
        for scenario in SCALING:
            value = _ratio(
                _median(results, "postgres-2w", scenario, "rps"),
                _median(results, "postgres-1w", scenario, "rps"),
            )
            if value is not None:
                values.append(value)
            add(
                f"2 workers ÷ 1 worker: {scenario}",
                "postgres",
                value,
                "≥ 1.7",
                None if value is None else value >= 1.7,
            )
        if values:
            mean = round(math.exp(sum(math.log(v) for v in values) / len(values)), 3)
            pinning = next(
                r["pinning"]["note"] for r in results["configs"] if r["key"] == "postgres-2w"
            )
            add(
                "2 workers ÷ 1 worker: geometric mean",
                "postgres",
                mean,
                "≥ 1.7",
                mean >= 1.7,
                pinning,
            )
    return ratios


# Report


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _sliced_note(results: dict[str, Any]) -> str:
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


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    o = results["options"]
    lines = [
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
    for target, meta in results["datasets"].items():
        counts = meta["counts"]
        lines.append(
            f"Dataset {target}: {counts['integrations']:,} integrations, "
            f"{counts['tools']:,} tools, {counts['apps']:,} apps, {counts['tenants']:,} tenants, "
            f"{counts['usage_events']:,} usage events; generated in {meta['generate_seconds']} s, "
            f"loaded in {meta['load_seconds']} s ({meta['built_at'][:16]}).  "
        )
    lines.append("")
    for record in results["configs"]:
        target = record["target"]
        sql = results["sql"].get(target, {})
        seconds = sum(
            r.get("waited_for_quiet_s", 0)
            for e in record["scenarios"].values()
            for r in e["rounds"]
        )
        waited = f"Waited {seconds:g} s in all for a quiet machine. " if seconds else ""
        drained = [
            r["waited_for_server_s"]
            for e in record["scenarios"].values()
            for r in e["rounds"]
            if "waited_for_server_s" in r
        ]
        if drained:
            waited += (
                f"Waited {sum(drained):.1f} s in all (at most {max(drained):g} s) for the server "
                "to finish the previous run's requests. "
            )
        lines += [
            f"## {record['key']}: {target}{' + Redis' if record['redis'] else ''}, "
            f"{record['workers']} worker(s)",
            "",
            f"Pinning: {record['pinning']['note']}. {waited}"
            + "RSS after the run (MB): "
            + (", ".join(f"{k} {v:g}" for k, v in record.get("rss_mb", {}).items()) or "–"),
            "",
            "| scenario | conns | s | req/s | p50 ms | p99 ms | errors | CPU ms/req | SQL/req "
            "| bytes | other load |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, entry in record["scenarios"].items():
            median = entry.get("median", {})
            problem = entry["preflight"].get("problem")
            flag = " ⚠" if problem else ""
            count = sql.get(name, {}).get("statements")
            lines.append(
                f"| {name}{flag} | {entry['connections']} | {entry['duration']:g} | "
                f"{_fmt(median.get('rps'))} | "
                f"{_fmt(median.get('p50_ms'), 2)} | {_fmt(median.get('p99_ms'), 2)} | "
                f"{entry.get('errors_total', 0)} | {_fmt(median.get('server_cpu_ms'), 2)} | "
                f"{_fmt(count)} | {_fmt(entry['preflight'].get('bytes'))} | "
                f"{_fmt(median.get('other_cores'), 2)} |"
            )
        lines.append("")
    lines += [
        "## Targets of issue 6",
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
    if results["warnings"]:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in results["warnings"]]
    lines += [
        "",
        "errors = non-2xx responses + socket errors (wrk), summed over the rounds. SQL/req: "
        "statements of one warm request, counted in-process (transaction control excluded). "
        "bytes: one response body. CPU ms/req: CPU time of the server's processes per request "
        "(all workers; /proc). other load: cores busy with processes that are neither the "
        "server, its database backends nor wrk during the run (noise; 0 on a quiet machine). "
        "⚠: the preflight request failed or answered GraphQL errors.",
    ]
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any]) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(results["started_at"]).strftime("%Y%m%d-%H%M%S")
    stem = stamp + ("-quick" if results["quick"] else "")
    json_path = RESULTS_DIR / f"{stem}.json"
    md_path = RESULTS_DIR / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--targets", default="sqlite,postgres")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 1 round, 2 s per scenario, 10k events"
    )
    parser.add_argument("--events", type=int, default=None, help="usage events (default 1M)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the datasets")
    parser.add_argument(
        "--max-age-hours",
        type=float,
        default=24.0,
        help="rebuild a dataset older than this (usage is relative to now)",
    )
    parser.add_argument("--only", default="", help="comma-separated substrings of scenario names")
    parser.add_argument("--skip-sql", action="store_true", help="skip the SQL-count pass")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to this long for other processes to use < "
        f"{QUIET_CORES} cores (shared machines); default 0: do not wait",
    )
    parser.add_argument(
        "--render",
        metavar="RESULTS_JSON",
        help="only recompute the ratios and rewrite the .md of an earlier run",
    )
    args = parser.parse_args(argv)
    if args.render:
        path = Path(args.render)
        results = json.loads(path.read_text())
        results["ratios"] = compute_ratios(results)
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
        path.with_suffix(".md").write_text(markdown(results))
        print(markdown(results))
        return 0
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install -y wrk)")
    options = Options(
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
    results = Bench(options).run()
    json_path, md_path = write_results(results)
    print()
    print(md_path.read_text())
    log(f"wrote {json_path.relative_to(ROOT)} and {md_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
