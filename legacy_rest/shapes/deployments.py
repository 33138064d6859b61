"""Shapes of the runtime routes a deployed tool calls with its App Key (docs/CONTRACT.md §3.11):
snake_case, the nested error envelope."""

from __future__ import annotations

from typing import Any

from app.errors import Unauthenticated


def connections(data: dict[str, Any]) -> Any:
    """``{"app_id", "connections": [...]}``; no app (it was deleted since the key was read)
    is a key that signs nothing."""
    if data["deployment"] is None:
        raise Unauthenticated()
    return data["deployment"]
