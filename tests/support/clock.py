"""Time a test moves on instead of sleeping through it: independent of the host's speed."""

from __future__ import annotations

import time


class Clock:
    """Monotonic seconds that stand still until the test moves them on."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
