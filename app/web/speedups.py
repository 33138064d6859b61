"""Speed-ups of app/ that reach into library internals. A reader can skip this module: with
``VENDO_SPEEDUPS=false`` nothing here runs — logging keeps the standard library's defaults and
every metric sample is a plain prometheus-client call — and the answers, log lines and
``/metrics`` are the same. The private symbols relied on are named, with the pinned versions, in
tests/test_library_internals.py. (The GraphQL side's are in resolvers/engine/speedups.)"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any


def quicken_logging() -> None:
    """What the standard library records on every LogRecord and our lines never print: the
    calling frame (``logging._srcfile``: a stack walk per record), thread, process and
    multiprocessing names."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def add_to_histogram(histogram: Any, counts: Sequence[float], total: float) -> None:
    """Adds many observations to one labelled histogram at once: ``counts[i]`` samples in its
    i-th bucket, summing to ``total``. prometheus-client has no public bulk ``observe``; its
    buckets and sum are counters (``_buckets``, ``_sum``). tests/app/test_metrics.py checks the
    result equals ``observe`` called once per sample."""
    for bucket, count in enumerate(counts):
        if count:
            histogram._buckets[bucket].inc(count)
    histogram._sum.inc(total)
