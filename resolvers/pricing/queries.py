"""Pricing queries: public and unauthenticated, never tenant-specific."""

from __future__ import annotations

import strawberry

from app.repositories import integrations, tools
from resolvers.context import Info
from resolvers.pricing.types import PricingIntegration, PricingModel, PricingModels, PublicPricing


@strawberry.type
class PricingQueries:
    @strawberry.field(
        description="OpenRouter's models with the margin applied; UPSTREAM_FAILED when OpenRouter "
        "fails and no copy is cached."
    )
    async def pricing_models(self, info: Info) -> PricingModels:
        models, cached = await info.context.runtime.pricing.models()
        return PricingModels(models=[PricingModel.from_priced(m) for m in models], cached=cached)

    @strawberry.field(description="Enabled integrations that have a public meter.")
    async def pricing_integrations(self, info: Info) -> list[PricingIntegration]:
        async with info.context.runtime.db.read() as session:
            rows = await tools.public_pricing_integrations(session=session)
        return [PricingIntegration(slug=r.provider, name=r.name, category=r.category) for r in rows]

    @strawberry.field(
        description="An integration's public rate table; null unless it has a public meter."
    )
    async def public_pricing(self, info: Info, slug: str) -> PublicPricing | None:
        # One row by key, fresh: not the catalog snapshot (docs/decisions/0046).
        async with info.context.runtime.db.connect() as connection:
            row = await integrations.get_integration(session=connection, provider=slug)
        if row is None or not row.enabled:
            return None
        meters = await info.context.loaders.public_meters.load(row.id)
        return PublicPricing.build(row, meters) if meters else None
