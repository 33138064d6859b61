"""The processes under test: ``vendo-gateway serve`` and the baselines app, started with the
bench's settings, pinned with ``taskset`` away from wrk where the machine has the cores, and
read from /proc (worker pids, RSS) and from their logs; the ``vendo-gateway`` CLI that mints the
credentials; the Redis keys the bench leaves behind."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.dataset import BENCH_DIR, DATA_DIR
from bench.scenarios import BENCH_SETTINGS

ROOT = BENCH_DIR.parent
LOG_DIR = DATA_DIR / "logs"
REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS_PREFIX = "vendo-bench:"


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
            if self._healthy() and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not come up in {timeout:.0f} s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

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
        pids = self.all_pids()
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


def _gateway_cli() -> list[str]:
    script = Path(sys.executable).with_name("vendo-gateway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def gateway_command(port: int, workers: int) -> list[str]:
    return [
        *_gateway_cli(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


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
    done = subprocess.run(
        [*_gateway_cli(), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"vendo-gateway {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1].strip()


def server_env(database_url: str, *, redis: bool, upstream: str) -> dict[str, str]:
    """The environment of a server (and of the CLI): no ``VENDO_*`` of the caller's, the bench
    settings, the database, the local pricing upstream, and Redis for cache and limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDO_")}
    env.update(BENCH_SETTINGS)
    env["VENDO_DATABASE_URL"] = database_url
    env["VENDO_OPENROUTER_MODELS_URL"] = upstream
    env["VENDO_REDIS_PREFIX"] = REDIS_PREFIX
    if redis:
        env["VENDO_CACHE_URL"] = REDIS_URL
        env["VENDO_RATE_LIMIT_STORAGE"] = REDIS_URL
    return env


def redis_cleanup(prefix: str = REDIS_PREFIX) -> int:
    """Deletes the bench's keys (those under ``prefix``) from its Redis database; how many."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()
