"""Toggle and regenerate: both draw on the shared ``integration`` rate limit."""

from __future__ import annotations

import logging
import uuid

import strawberry
from sqlalchemy.exc import SQLAlchemyError

from app import changes
from app.errors import BadUserInput, IntegrationNotFound, RateLimited
from app.limits import INTEGRATION
from app.models import Integration, utcnow
from app.repositories import integrations
from resolvers.context import Context, Info
from resolvers.integrations import rules

log = logging.getLogger(__name__)
PROVISIONING_FAILED = "Failed to provision the managed connection"


@strawberry.type(description="The outcome of a toggle.")
class IntegrationToggle:
    enabled: bool
    provisioning_error: str | None = strawberry.field(
        description="Set when the toggle was saved but the managed connection stub was not."
    )


@strawberry.type(description="A freshly minted integration key, shown once.")
class RegeneratedKey:
    key: str


async def _spend_integration_budget(context: Context) -> None:
    if not await context.runtime.limits.hit(INTEGRATION, context.client_ip):
        raise RateLimited()


@strawberry.type
class IntegrationMutations:
    @strawberry.mutation(description="Enable or disable an integration for the workspace.")
    async def set_integration_enabled(
        self, info: Info, slug: str, enabled: bool
    ) -> IntegrationToggle:
        context = info.context
        context.require_viewer()
        await _spend_integration_budget(context)
        tenant_id = context.require_workspace()
        managed = slug in rules.MANAGED_POOL_PROVISIONED
        async with context.runtime.db.write() as session, session.begin():
            row = await integrations.get_integration(session=session, provider=slug)
            if row is None:
                raise IntegrationNotFound()
            integration_id = row.id
            await integrations.set_tenant_enabled(
                session=session,
                tenant_id=tenant_id,
                integration_id=integration_id,
                enabled=enabled,
                now=utcnow(),
            )
            if managed and not enabled:
                # With the flag, in its transaction: never off with its stub still active.
                await integrations.deactivate_managed_connection(
                    session=session, tenant_id=tenant_id, provider=slug
                )
            await context.runtime.changes.record(
                session,
                tenant_id=tenant_id,
                kind=changes.INTEGRATION,
                subject=slug,
                payload={"provider": slug},
            )
        error = None
        if managed and enabled:
            error = await _provision_managed_pool(context, slug, integration_id)
        return IntegrationToggle(enabled=enabled, provisioning_error=error)

    @strawberry.mutation(
        description="Rotate the workspace's key for an integration. No live integration supports "
        "it today (all run on the managed pool), so this always answers BAD_USER_INPUT."
    )
    async def regenerate_integration_key(self, info: Info, slug: str) -> RegeneratedKey:
        context = info.context
        context.require_viewer()
        await _spend_integration_budget(context)
        context.require_workspace()
        async with context.runtime.db.read() as session:
            row = await integrations.get_integration(session=session, provider=slug)
        if row is None:
            raise IntegrationNotFound()
        if not (await _is_provisioned(context, row)):
            raise BadUserInput("Integration not provisioned")
        if slug == rules.OPENROUTER:
            raise BadUserInput(rules.REGENERATE_OPENROUTER)
        raise BadUserInput(rules.REGENERATE_UNSUPPORTED)


async def _is_provisioned(context: Context, row: Integration) -> bool:
    """Provisioned: the workspace enabled it, or holds an active connection for it."""
    loaders = context.loaders
    state = await loaders.state(row.id)
    profiles = await loaders.profiles(row.provider)
    return bool(profiles) or bool(state and state.enabled)


async def _provision_managed_pool(
    context: Context, provider: str, integration_id: uuid.UUID
) -> str | None:
    """Activate the managed-pool stub in its own transaction: the toggle stands even if this
    fails (the soft warning of CONTRACT.md §1.3)."""
    tenant_id = context.require_workspace()
    try:
        async with context.runtime.db.write() as session, session.begin():
            await integrations.activate_managed_connection(
                session=session,
                tenant_id=tenant_id,
                integration_id=integration_id,
                provider=provider,
                now=utcnow(),
            )
    except SQLAlchemyError:
        log.exception("managed-pool provisioning failed for %s", provider)
        return PROVISIONING_FAILED
    return None
