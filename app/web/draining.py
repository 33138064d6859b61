"""Shutdown in two steps (docs/decisions/0159): open streams end first, then uvicorn stops.

uvicorn answers SIGTERM (or Ctrl+C) by closing its sockets and waiting, up to
``timeout_graceful_shutdown``, for open responses — which event streams never finish by
themselves. So, when uvicorn's server runs the gateway, the stop signal reaches us first: the
worker starts *draining* (``Draining.started``; ``/readyz`` answers 503), every open stream ends
cleanly — an events stream with a last frame, a WebSocket closed with 1001 — and once they all
have (or after ``DRAIN_MOST_SECONDS``) the signal is handed to uvicorn, which stops as usual."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import uvicorn

logger = logging.getLogger("vendo.shutdown")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
DRAIN_MOST_SECONDS = 5.0  # streams that have not ended by then are left to uvicorn's own stop


class Draining:
    """This worker's open streams, and the event that tells them the worker is stopping."""

    def __init__(self, *, most_seconds: float = DRAIN_MOST_SECONDS) -> None:
        self.started = asyncio.Event()
        self.most_seconds = most_seconds
        self._open = 0
        self._none_open = asyncio.Event()
        self._none_open.set()

    @contextlib.contextmanager
    def stream(self) -> Iterator[None]:
        """Count a stream while it is open (it watches ``started`` and ends when it is set)."""
        self._open += 1
        self._none_open.clear()
        try:
            yield
        finally:
            self._open -= 1
            if self._open == 0:
                self._none_open.set()

    async def drain(self) -> None:
        """Tell every stream to end, and wait until they have (at most ``most_seconds``)."""
        self.started.set()
        logger.info("draining: ending %d open stream(s)", self._open)
        try:
            await asyncio.wait_for(self._none_open.wait(), self.most_seconds)
        except TimeoutError:
            logger.warning("draining: %d stream(s) still open, stopping anyway", self._open)


Handler = Callable[[int, FrameType | None], Any]


def _uvicorn_handler(sig: int) -> Handler | None:
    handler = signal.getsignal(sig)
    if callable(handler) and isinstance(getattr(handler, "__self__", None), uvicorn.Server):
        return handler
    return None


def drain_before_stopping(draining: Draining) -> Callable[[], None]:
    """When uvicorn's server runs us (its handlers installed in the main thread), put ours in
    front of them: a first signal drains, then is handed to uvicorn; a second one (Ctrl+C
    twice) goes to uvicorn at once. Returns what puts uvicorn's handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    theirs: dict[int, Handler] = {
        sig: handler for sig in SIGNALS if (handler := _uvicorn_handler(sig)) is not None
    }
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    signalled: list[int] = []

    async def drain_then(handler: Handler, sig: int) -> None:
        try:
            await draining.drain()
        finally:  # uvicorn stops whatever happened
            handler(sig, None)

    def on_signal(sig: int, frame: FrameType | None) -> None:
        handler = theirs[sig]
        if signalled:
            handler(sig, frame)
            return
        signalled.append(sig)

        def begin() -> None:  # on the loop (a signal handler may interrupt it anywhere)
            task = loop.create_task(drain_then(handler, sig))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        loop.call_soon_threadsafe(begin)

    for sig in theirs:
        signal.signal(sig, on_signal)

    def undo() -> None:
        for sig, handler in theirs.items():
            if signal.getsignal(sig) is on_signal:
                signal.signal(sig, handler)

    return undo
