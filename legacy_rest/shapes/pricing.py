"""Shapes of the pricing routes (docs/CONTRACT.md §2.6–2.8)."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from legacy_rest.envelopes import js_number

PRICE_KEYS = (
    "prompt_per_token",
    "completion_per_token",
    "prompt_per_million",
    "completion_per_million",
)


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
