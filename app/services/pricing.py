"""OpenRouter's model catalog with Vendo's margin applied.

Prices are computed with exact decimal arithmetic: OpenRouter sends per-token prices as decimal
strings, and 0.000003 × 1.20 must be 0.0000036, not 0.0000035999999999999997.

Caching: a fetched catalog is fresh for ``VENDO_PRICING_CACHE_SECONDS`` (1 hour) and answered
with ``cached: true``. When it has expired and the upstream fails, the last good copy is served
(still ``cached: true``) for up to ``VENDO_PRICING_STALE_SECONDS`` more, and the failure is
logged; only with no copy at all does the caller get UPSTREAM_FAILED (HTTP 502). Concurrent misses
share one upstream fetch.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import orjson

from app.cache.shared import Cache
from app.errors import UpstreamFailed
from app.settings import Settings
from app.web import metrics

log = logging.getLogger("vendo.pricing")
TAG = "pricing-models"
FRESH, STALE = "fresh", "stale"
MILLION = Decimal(1_000_000)
UPSTREAM_FAILURE = "Failed to fetch models from OpenRouter"


@dataclass(frozen=True)
class PricedModel:
    id: str
    name: str
    context_length: int | None
    prompt_per_token: Decimal
    completion_per_token: Decimal

    @property
    def prompt_per_million(self) -> Decimal:
        return canonical(self.prompt_per_token * MILLION)

    @property
    def completion_per_million(self) -> Decimal:
        return canonical(self.completion_per_token * MILLION)


def canonical(value: Decimal) -> Decimal:
    """Without trailing zeros, integral values without a positive exponent: 0.00000360 →
    0.0000036 and 1E+2 → 100. (``str`` still writes 0.0000003 as 3E-7; the GraphQL Decimal
    scalar prints plain notation.)"""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def with_margin(price: Decimal, margin_percent: Decimal) -> Decimal:
    return canonical(price * (1 + margin_percent / 100))


def _price(value: Any) -> Decimal | None:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() and price >= 0 else None


def parse_models(payload: Any, margin_percent: Decimal) -> list[PricedModel]:
    """OpenRouter's ``{"data": [...]}``; entries without a usable price are skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise ValueError("unexpected models payload")
    models = []
    for entry in payload["data"]:
        model = _parse_model(entry, margin_percent)
        if model is not None:
            models.append(model)
    return models


def _parse_model(entry: Any, margin_percent: Decimal) -> PricedModel | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    pricing = entry["pricing"] if isinstance(entry.get("pricing"), dict) else {}
    prompt, completion = _price(pricing.get("prompt")), _price(pricing.get("completion"))
    if prompt is None or completion is None:
        return None
    context = entry.get("context_length")
    return PricedModel(
        id=entry["id"],
        name=str(entry.get("name") or entry["id"]),
        context_length=context
        if isinstance(context, int) and not isinstance(context, bool)
        else None,
        prompt_per_token=with_margin(prompt, margin_percent),
        completion_per_token=with_margin(completion, margin_percent),
    )


def _encode(models: list[PricedModel]) -> bytes:
    return orjson.dumps([asdict(m) for m in models], default=str)


def _decode(raw: bytes) -> list[PricedModel]:
    rows = orjson.loads(raw)
    for row in rows:
        row["prompt_per_token"] = Decimal(row["prompt_per_token"])
        row["completion_per_token"] = Decimal(row["completion_per_token"])
    return [PricedModel(**row) for row in rows]


class PricingCatalog:
    def __init__(self, settings: Settings, cache: Cache, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.cache = cache
        self.client = client
        self._refresh = asyncio.Lock()

    async def models(self) -> tuple[list[PricedModel], bool]:
        """The priced models, and whether they came from the cache."""
        cached = await self.cache.get(TAG, FRESH)
        if cached is not None:
            return _decode(cached), True
        async with self._refresh:
            cached = await self.cache.get(TAG, FRESH)  # another request may have refreshed it
            if cached is not None:
                return _decode(cached), True
            try:
                models = await self._fetch()
            except (httpx.HTTPError, ValueError) as error:
                outcome = "timeout" if isinstance(error, httpx.TimeoutException) else "failure"
                metrics.UPSTREAM.labels("openrouter", outcome).inc()
                return await self._stale_or_fail(error)
            metrics.UPSTREAM.labels("openrouter", "success").inc()
            raw = _encode(models)
            await self.cache.set(TAG, FRESH, raw, ttl=self.settings.pricing_cache_seconds)
            stale_ttl = self.settings.pricing_cache_seconds + self.settings.pricing_stale_seconds
            await self.cache.set(TAG, STALE, raw, ttl=stale_ttl)
            return models, False

    async def _fetch(self) -> list[PricedModel]:
        response = await self.client.get(
            self.settings.openrouter_models_url,
            timeout=self.settings.openrouter_timeout_seconds,
            headers={"accept": "application/json"},
        )
        response.raise_for_status()
        return parse_models(orjson.loads(response.content), self.settings.margin_percent)

    async def _stale_or_fail(self, error: Exception) -> tuple[list[PricedModel], bool]:
        stale = await self.cache.get(TAG, STALE)
        if stale is None:
            log.warning("OpenRouter models fetch failed, nothing cached: %r", error)
            raise UpstreamFailed(UPSTREAM_FAILURE) from error
        log.warning("OpenRouter models fetch failed, serving the last good copy: %r", error)
        return _decode(stale), True
