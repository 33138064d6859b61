"""Counting what only the cyclic garbage collector would free: run requests with the collector
off, then collect by hand and keep what it finds (``gc.DEBUG_SAVEALL``) to look at."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_by_hand() -> Iterator[list[object]]:
    """The collector off; yields ``gc.garbage``, where :func:`collect_keeping` puts what it
    finds in cycles. Everything is freed and the collector back on afterwards."""
    gc.collect()
    gc.disable()
    try:
        yield gc.garbage
    finally:
        gc.garbage.clear()
        gc.collect()
        gc.enable()


def collect_keeping() -> None:
    """A full collection that keeps what it finds in cycles in ``gc.garbage``, not freeing it
    (cleared, those objects are still in their cycles: only a collection without
    ``DEBUG_SAVEALL`` frees them)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
    finally:
        gc.set_debug(0)
