"""Shapes of the pricing routes (docs/CONTRACT.md §2.6–2.8)."""

from __future__ import annotations

from typing import Any

import orjson

from app.cache.memo import remembered
from app.errors import NotFound
from legacy_rest.envelopes import js_number

PRICE_KEYS = (
    "prompt_per_token",
    "completion_per_token",
    "prompt_per_million",
    "completion_per_million",
)


PRINTED_PRICES = 8192  # distinct price sets remembered (a few hundred models upstream)


def _print_prices(prices: tuple[tuple[str, ...], tuple[Any, ...]]) -> orjson.Fragment:
    """A model's ``pricing`` object, given as its keys and its values in order, as JSON: the
    prices printed as JavaScript prints them, the keys in the operation's order."""
    keys, values = prices
    return orjson.Fragment(
        orjson.dumps(
            {k: js_number(v) if k in PRICE_KEYS else v for k, v in zip(keys, values, strict=True)}
        )
    )


# Every request prints the same few hundred price sets (the upstream's catalog changes hourly):
# one lookup a model instead of four ``js_number`` calls, ~40 % of the shape's cost.
_printed_prices = remembered(_print_prices, PRINTED_PRICES)


def pricing_models(data: dict[str, Any]) -> Any:
    result = data["pricingModels"]
    for model in result["models"]:
        pricing = model["pricing"]
        model["pricing"] = _printed_prices((tuple(pricing), tuple(pricing.values())))
    return result


def public_pricing(data: dict[str, Any]) -> Any:
    detail = data["publicPricing"]
    if detail is None:
        raise NotFound()
    for rate in detail["rates"]:
        rate["price_usd"] = js_number(rate["price_usd"])
    return detail
