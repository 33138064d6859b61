"""Checks shared by every resolver that stores client-given JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def has_nul(value: object) -> bool:
    """Whether a JSON value holds a NUL character in any key or string (PostgreSQL cannot store
    one in text or JSON, and no legitimate value needs it). Iterative: depth is the caller's."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# Deeper than any configuration needs, and far below the 254 levels orjson (hence every response
# and the JSON columns) can encode.
MAX_JSON_DEPTH = 32


def too_deep(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels (the value itself counts as
    one). Iterative, so a hostile depth cannot exhaust the stack."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
