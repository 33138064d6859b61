"""Install and uninstall an integration for an account (docs/CONTRACT.md §4.3, §4.4)."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.scalars import JSON

from app.changes import INTEGRATION
from app.errors import BadUserInput, IntegrationNotFound
from app.models import Integration, utcnow
from app.repositories import integrations
from resolvers.accounts.access import integration_ref, resolve_account
from resolvers.accounts.types import AccountIntegration
from resolvers.context import Info
from resolvers.inputs import MAX_JSON_DEPTH, has_nul, too_deep


def _params(value: object) -> dict[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadUserInput("params must be an object", field="params")
    if has_nul(value):
        raise BadUserInput("params must not contain NUL characters", field="params")
    if too_deep(value):
        message = f"params must not nest more than {MAX_JSON_DEPTH} levels"
        raise BadUserInput(message, field="params")
    return value


def _secrets(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadUserInput("secrets must be an object", field="secrets")
    if has_nul(value):
        raise BadUserInput("secrets must not contain NUL characters", field="secrets")
    for name, secret in value.items():
        if not isinstance(secret, str) or not secret:
            where = f"secrets.{name}"
            raise BadUserInput(f"{where} must be a non-empty string", field=where)
    return value


async def _target(info: Info, account: str, id: str) -> tuple[uuid.UUID, Integration]:
    tenant = await resolve_account(info, account)
    async with info.context.runtime.db.read() as session:
        found = await integrations.account_integration(
            session=session, tenant_id=tenant.id, ref=integration_ref(id)
        )
    if found is None:
        raise IntegrationNotFound()
    return tenant.id, found[0]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Install an integration: `params` are stored as given (absent: kept), "
        "`secrets` encrypted and merged by name over the stored ones (absent: kept)."
    )
    async def install_integration(
        self,
        info: Info,
        account: str,
        id: str,
        params: JSON | None = None,
        secrets: JSON | None = None,
    ) -> AccountIntegration:
        given_params, given_secrets = _params(params), _secrets(secrets)
        tenant_id, integration = await _target(info, account, id)
        encrypted = info.context.runtime.secrets.encrypt_all(given_secrets)  # 503 before writing
        async with info.context.runtime.db.write() as session, session.begin():
            state = await integrations.install(
                session=session,
                tenant_id=tenant_id,
                integration_id=integration.id,
                params=given_params,
                secrets=encrypted,
                now=utcnow(),
            )
            await info.context.runtime.changes.record(
                session,
                tenant_id=tenant_id,
                kind=INTEGRATION,
                subject=integration.provider,
                payload={"provider": integration.provider},
            )
        return AccountIntegration.build(integration, state)

    @strawberry.mutation(
        description="Uninstall: status back to available, installed_at cleared; stored params "
        "and secrets are kept."
    )
    async def uninstall_integration(self, info: Info, account: str, id: str) -> AccountIntegration:
        tenant_id, integration = await _target(info, account, id)
        async with info.context.runtime.db.write() as session, session.begin():
            state = await integrations.uninstall(
                session=session,
                tenant_id=tenant_id,
                integration_id=integration.id,
                now=utcnow(),
            )
            await info.context.runtime.changes.record(
                session,
                tenant_id=tenant_id,
                kind=INTEGRATION,
                subject=integration.provider,
                payload={"provider": integration.provider},
            )
        return AccountIntegration.build(integration, state)
