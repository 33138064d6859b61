"""``app.web.draining``: a drain tells open streams to end and waits for them, within a bound
(docs/decisions/0159). The stop signal's path is in ``tests/test_shutdown.py``."""

from __future__ import annotations

import asyncio
import signal

from app.web.draining import Draining, drain_before_stopping


async def test_a_drain_waits_until_every_open_stream_has_ended() -> None:
    draining = Draining()
    ended: list[str] = []

    async def stream(name: str) -> None:
        with draining.stream():
            await draining.started.wait()
            await asyncio.sleep(0)  # its last chunk
            ended.append(name)

    tasks = [asyncio.create_task(stream(name)) for name in ("sse", "ws")]
    await asyncio.sleep(0)  # both open
    await draining.drain()
    assert sorted(ended) == ["sse", "ws"]
    await asyncio.gather(*tasks)


async def test_a_drain_stops_waiting_for_a_stream_that_does_not_end() -> None:
    draining = Draining(most_seconds=0.05)
    stuck = asyncio.Event()

    async def stream() -> None:
        with draining.stream():
            await stuck.wait()

    task = asyncio.create_task(stream())
    await asyncio.sleep(0)
    await draining.drain()
    assert draining.started.is_set()
    assert not task.done()
    stuck.set()
    await task


async def test_nothing_is_installed_when_uvicorn_does_not_run_the_gateway() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    undo = drain_before_stopping(Draining())
    assert {sig: signal.getsignal(sig) for sig in before} == before
    undo()
