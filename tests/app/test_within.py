"""``within`` (app/web/middleware.py), the body's read-time limit: a coroutine that finishes
without waiting arms no timer; one that waits is awaited under the timeout as ``asyncio.timeout``
would await it — its result, its errors, the timeout, a cancellation from outside."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.web import middleware
from app.web.middleware import within


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The timeouts armed."""
    armed: list[float] = []
    timeout = asyncio.timeout

    def counted(seconds: float) -> Any:
        armed.append(seconds)
        return timeout(seconds)

    monkeypatch.setattr(middleware.asyncio, "timeout", counted)
    return armed


async def ready() -> str:
    return "body"


async def waits(seconds: float, log: list[str]) -> str:
    try:
        await asyncio.sleep(0)  # a bare yield to the loop
        await asyncio.sleep(seconds)
        log.append("finished")
        return "late body"
    except asyncio.CancelledError:
        log.append("cancelled")
        raise


async def test_a_ready_coroutine_arms_no_timer(timers: list[float]) -> None:
    assert await within(5, ready()) == "body"
    assert timers == []


async def test_a_waiting_coroutine_finishes_under_the_timer(timers: list[float]) -> None:
    log: list[str] = []
    assert await within(5, waits(0.01, log)) == "late body"
    assert log == ["finished"]
    assert timers == [5]


async def test_a_coroutine_waiting_too_long_times_out_and_is_cancelled(
    timers: list[float],
) -> None:
    log: list[str] = []
    with pytest.raises(TimeoutError):
        await within(0.05, waits(10, log))
    assert log == ["cancelled"]


async def test_a_cancellation_from_outside_reaches_the_coroutine() -> None:
    log: list[str] = []
    task = asyncio.create_task(within(10, waits(10, log)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["cancelled"]


async def test_errors_raised_before_or_after_waiting_come_out() -> None:
    async def refuses_at_once() -> None:
        raise ValueError("at once")

    async def refuses_later() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("later")

    with pytest.raises(ValueError, match="at once"):
        await within(5, refuses_at_once())
    with pytest.raises(ValueError, match="later"):
        await within(5, refuses_later())
