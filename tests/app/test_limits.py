"""The in-memory moving windows: exact budgets, windows that move, keys that do not pile up."""

from __future__ import annotations

from limits import parse

from app.limits import MemoryWindows


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def windows() -> tuple[MemoryWindows, Clock]:
    clock = Clock()
    return MemoryWindows(clock), clock


def test_the_budget_is_exact_then_refused() -> None:
    limits, clock = windows()
    item = parse("3/minute")
    answers = []
    for _ in range(4):
        answers.append(limits.hit(item, "balance", "10.0.0.1"))
        clock.now += 1
    assert answers == [True, True, True, False]


def test_the_window_moves_with_the_oldest_call() -> None:
    limits, clock = windows()
    item = parse("2/minute")
    assert limits.hit(item, "balance", "ip")  # t = 1000
    clock.now = 1030.0
    assert limits.hit(item, "balance", "ip")  # t = 1030
    clock.now = 1059.9
    assert not limits.hit(item, "balance", "ip")  # both still within the last minute
    clock.now = 1060.0
    assert limits.hit(item, "balance", "ip")  # the first left the window: one more
    clock.now = 1089.9
    assert not limits.hit(item, "balance", "ip")  # 1030 and 1060 are still in it
    clock.now = 1090.0
    assert limits.hit(item, "balance", "ip")


def test_a_burst_across_a_minute_boundary_gets_no_more_than_the_budget() -> None:
    limits, clock = windows()
    item = parse("60/minute")
    clock.now = 1019.5  # a fixed window would start again at 1020
    allowed = 0
    for _ in range(120):
        allowed += limits.hit(item, "v1_balance", "ip")
        clock.now += 0.01
    assert allowed == 60


def test_refused_calls_do_not_spend_the_budget() -> None:
    limits, clock = windows()
    item = parse("1/minute")
    assert limits.hit(item, "cli", "ip")
    for _ in range(10):
        clock.now += 5
        assert not limits.hit(item, "cli", "ip")
    clock.now = 1060.0
    assert limits.hit(item, "cli", "ip")


def test_keys_and_names_have_windows_of_their_own() -> None:
    limits, _ = windows()
    item = parse("1/minute")
    assert limits.hit(item, "v1_balance", "10.0.0.1")
    assert limits.hit(item, "v1_balance", "10.0.0.2")
    assert limits.hit(item, "billing_balance", "10.0.0.1")
    assert not limits.hit(item, "v1_balance", "10.0.0.1")
    assert not limits.hit(item, "billing_balance", "10.0.0.1")


def test_idle_keys_are_dropped_but_a_longer_window_is_kept() -> None:
    limits, clock = windows()
    minute, hour = parse("5/minute"), parse("1/hour")
    for n in range(1000):
        limits.hit(minute, "v1_balance", f"10.0.{n // 256}.{n % 256}")
    assert limits.hit(hour, "integration", "10.9.9.9")
    assert len(limits) == 1001
    clock.now += 61  # every minute window is idle; the hour's is not
    assert limits.hit(minute, "v1_balance", "10.1.1.1")  # a call that triggers the sweep
    assert len(limits) == 2
    assert not limits.hit(hour, "integration", "10.9.9.9")  # its call was remembered


def test_reset_forgets_every_window() -> None:
    limits, _ = windows()
    item = parse("1/minute")
    assert limits.hit(item, "cli", "ip")
    limits.reset()
    assert limits.hit(item, "cli", "ip")
