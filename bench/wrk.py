"""One wrk run of one scenario: the request files ``bench/wrk.lua`` reads, the command (pinned,
whole seconds), the waits before it, and its summary with the CPU it cost."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import CpuProbe
from bench.dataset import BENCH_DIR
from bench.scenarios import Scenario
from bench.servers import taskset

WRK_SCRIPT = BENCH_DIR / "wrk.lua"


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


def wrk_command(
    base_url: str, *, duration: float, connections: int, cpus: list[int] | None
) -> list[str]:
    return [
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
    """One run, after the server has finished the previous one's requests (and, with
    ``wait_quiet``, the machine is quiet); an ``error`` if wrk failed."""
    out = files.root / "wrk-out.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, **files.prepare(scenario), "BENCH_OUT": str(out)}
    cmd = wrk_command(base_url, duration=duration, connections=connections, cpus=cpus)
    drained = probe.wait_drained()
    waited = probe.wait_quiet(wait_quiet)
    before = probe.snapshot()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 120)
    after = probe.snapshot()
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr or done.stdout).strip()[-500:] or f"wrk rc {done.returncode}"}
    summary = wrk_summary(json.loads(out.read_text()))
    return {
        **summary,
        **CpuProbe.delta(before, after, summary["requests"]),
        "waited_for_quiet_s": waited,
        "waited_for_server_s": drained,
    }


def wrk_summary(raw: dict[str, Any]) -> dict[str, Any]:
    """What ``bench/wrk.lua``'s ``done()`` wrote, in requests, req/s, ms and error counts."""
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
    }
