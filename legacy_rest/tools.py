"""Variables and shapes of the reference 02 routes (the table itself is in routes.py)."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from legacy_rest.envelopes import js_number
from legacy_rest.legacy_route import RestInput

PRICE_KEYS = (
    "prompt_per_token",
    "completion_per_token",
    "prompt_per_million",
    "completion_per_million",
)


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


def pricing_models(data: dict[str, Any]) -> Any:
    result = data["pricingModels"]
    for model in result["models"]:
        pricing = model["pricing"]
        for key in PRICE_KEYS:
            pricing[key] = js_number(pricing[key])
    return result


def public_pricing(data: dict[str, Any]) -> Any:
    detail = data["publicPricing"]
    if detail is None:
        raise NotFound()
    for rate in detail["rates"]:
        rate["price_usd"] = js_number(rate["price_usd"])
    return detail
