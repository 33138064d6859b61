"""Public pricing: OpenRouter models with the margin applied, and the integrations' rate tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

import strawberry

from app.models import Integration, Meter
from app.services.pricing import MILLION, PricedModel, canonical
from resolvers.engine.scalars import Micros


@strawberry.type(description="USD prices with Vendo's margin applied.")
class ModelPricing:
    prompt_per_token: Decimal
    completion_per_token: Decimal
    prompt_per_million: Decimal
    completion_per_million: Decimal


@strawberry.type(description="An OpenRouter model as the pricing page shows it.")
class PricingModel:
    id: str
    name: str
    context_length: int | None
    pricing: ModelPricing

    @classmethod
    def from_priced(cls, model: PricedModel) -> Self:
        return cls(
            id=model.id,
            name=model.name,
            context_length=model.context_length,
            pricing=ModelPricing(
                prompt_per_token=model.prompt_per_token,
                completion_per_token=model.completion_per_token,
                prompt_per_million=model.prompt_per_million,
                completion_per_million=model.completion_per_million,
            ),
        )


@strawberry.type(description="The model catalog, and whether it came from the 1-hour cache.")
class PricingModels:
    models: list[PricingModel]
    cached: bool


@strawberry.type(description="An integration with a public rate table.")
class PricingIntegration:
    slug: str
    name: str
    category: str


@strawberry.type(description="One public rate of an integration.")
class PricingRate:
    key: str
    label: str
    unit: str
    price_micros: Micros
    price_usd: Decimal

    @classmethod
    def from_meter(cls, meter: Meter) -> Self:
        return cls(
            key=meter.key,
            label=meter.label,
            unit=meter.unit,
            price_micros=Micros(meter.rate_micros),
            price_usd=canonical(Decimal(meter.rate_micros) / MILLION),
        )


@strawberry.type(description="An integration's public rate table.")
class PublicPricing:
    slug: str
    name: str
    category: str
    description: str
    rates: list[PricingRate]

    @classmethod
    def build(cls, row: Integration, meters: list[Meter]) -> Self:
        return cls(
            slug=row.provider,
            name=row.name,
            category=row.category,
            description=row.description,
            rates=[PricingRate.from_meter(meter) for meter in meters],
        )
