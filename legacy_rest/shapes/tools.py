"""Variables and shapes of the tools routes (docs/CONTRACT.md §2.1–2.5)."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from legacy_rest.legacy_route import RestInput


def slug_app(request: RestInput) -> dict[str, Any]:
    return {"slug": request.path["slug"], "appId": request.query.get("appId")}


def tool_list(data: dict[str, Any]) -> Any:
    return {"tools": next(iter(data.values()))["nodes"]}


def tool_detail(data: dict[str, Any]) -> Any:
    if data["tool"] is None:
        raise NotFound()
    return data  # {"tool": {...}}


def tool_integrations(data: dict[str, Any]) -> Any:
    found = data["toolIntegrations"]
    return {
        bucket: [_flatten(entry) for entry in found[bucket]] for bucket in ("required", "optional")
    }


def _flatten(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry["integration"], "alreadyEnabled": entry["alreadyEnabled"]}


def usage_framing(data: dict[str, Any]) -> Any:
    if data["usageFraming"] is None:
        raise NotFound()
    return data["usageFraming"]
