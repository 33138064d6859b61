"""CPU accounting from /proc: where the CPU went during one wrk run (the server's processes, the
database backends, wrk, everything else on the machine), and the waits before a run — for the
server to finish the previous run's requests, and (``--wait-quiet``) for a quiet machine."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
QUIET_CORES = 0.3  # --wait-quiet: "quiet" is other processes using less than this many cores
# Before each run the server must have finished the previous one: at most one clock tick of CPU
# (10 ms) in a quarter of a second (wrk stops sending, but the requests it leaves in flight
# still run, and a 16-connection run of a slow scenario leaves up to seconds of work).
DRAIN_WINDOW = 0.25
DRAIN_LIMIT = 15.0


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
