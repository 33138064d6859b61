"""Local HTTP stand-ins (tests/upstream.py) as fixtures: started on 127.0.0.1, stopped after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.upstream import Upstream


@asynccontextmanager
async def running_upstream(default: Any, **answer: Any) -> AsyncIterator[Upstream]:
    """An Upstream answering ``default`` (and ``answer(**answer)`` when given), running for the
    length of the block."""
    server = Upstream(default)
    if answer:
        server.answer(**answer)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
