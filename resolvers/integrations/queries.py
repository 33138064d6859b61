"""Catalog queries: the list, one integration by slug, and a provider's usage trend."""

from __future__ import annotations

import strawberry

from app.errors import IntegrationNotFound
from app.repositories import integrations
from resolvers.context import Info
from resolvers.engine.pagination import (
    decode_cursor,
    fetch_limit,
    node_fields,
    page_parts,
    page_size,
)
from resolvers.integrations.rules import visible
from resolvers.integrations.types import IntegrationConnection, IntegrationType, columns_read
from resolvers.usage.types import UsageTrend


@strawberry.type
class IntegrationQueries:
    @strawberry.field(description="Enabled integrations in provider order.")
    async def integrations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        category: str | None = None,
    ) -> IntegrationConnection:
        size = page_size(first, maximum=info.context.max_page_size)
        async with info.context.runtime.db.connect() as connection:
            rows = await integrations.list_integrations(
                session=connection,
                category=category,
                after=decode_cursor(after),
                limit=fetch_limit(size),
                columns=columns_read(node_fields(info)),
            )
        page = page_parts(
            [IntegrationType.from_model(row) for row in rows],
            size=size,
            after=after,
            key=lambda node: node.provider,
        )
        return IntegrationConnection(**page, category=category)

    @strawberry.field(
        description="One integration by provider slug; null when unknown, or disabled and the "
        "caller is anonymous."
    )
    async def integration(self, info: Info, slug: str) -> IntegrationType | None:
        # One row by key, fresh: not the catalog snapshot (docs/decisions/0046).
        async with info.context.runtime.db.connect() as connection:
            row = await integrations.get_integration(session=connection, provider=slug)
        return IntegrationType.from_model(row) if row and visible(info, row) else None

    @strawberry.field(description="The workspace's 30-day usage trend for one provider.")
    async def usage_trend(self, info: Info, provider: str) -> UsageTrend:
        info.context.require_workspace()
        loaders = info.context.loaders
        if await loaders.integration(provider) is None:
            raise IntegrationNotFound()
        daily = await loaders.daily_usage.load(provider)
        return UsageTrend.build(provider, daily, loaders.periods)
