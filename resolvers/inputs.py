"""Checks shared by every resolver that stores client-given JSON."""

from __future__ import annotations


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
