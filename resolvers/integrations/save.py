"""``saveIntegrations``: the bulk save (docs/CONTRACT.md §5), staff only, all or nothing."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from app.cache.shared import INTEGRATIONS_CATALOG
from app.changes import INTEGRATION
from app.errors import BadUserInput, Forbidden
from app.models import utcnow
from app.repositories import integrations
from resolvers.context import Info
from resolvers.integrations.bulk import Problem, Stored, ValidItem, validate_batch

INVALID = "Invalid integrations"


@strawberry.type(description="One integration written by a bulk save.")
class SavedIntegration:
    id: uuid.UUID
    name: str
    type: str
    category: str
    created: bool


@strawberry.type(description="What a bulk save wrote.")
class SaveIntegrationsResult:
    integrations: list[SavedIntegration]


def _invalid(problems: list[Problem]) -> BadUserInput:
    return BadUserInput(INVALID, errors=[problem.as_dict() for problem in problems])


def _names(payload: Any) -> list[str]:
    if not isinstance(payload, list):
        return []
    return [i["name"] for i in payload if isinstance(i, dict) and isinstance(i.get("name"), str)]


@strawberry.type
class SaveMutations:
    @strawberry.mutation(
        description="Create or update integrations with their apis, as `POST /api/integrations` "
        "does. Staff only. Every problem is reported in `extensions.errors` as "
        "{index, field, message}, and nothing is written unless every item is valid."
    )
    async def save_integrations(
        self, info: Info, integrations: JSON | None = None
    ) -> SaveIntegrationsResult:
        context = info.context
        if not context.require_viewer().is_staff:
            raise Forbidden()
        async with context.runtime.db.read() as session:
            stored = await _stored(session, _names(integrations))
        items, problems = validate_batch(
            integrations, stored=stored, max_items=context.runtime.settings.bulk_save_max_items
        )
        if problems:
            raise _invalid(problems)
        secrets = {item.name: context.runtime.secrets.encrypt_all(item.secrets) for item in items}
        # Rows are locked in name order, whatever the batch's order: two concurrent batches
        # that share names then wait for each other instead of deadlocking.
        async with context.runtime.db.write() as session, session.begin():
            saved = {
                item.name: await _save(session, item, secrets[item.name])
                for item in sorted(items, key=lambda item: item.name)
            }
            # Catalog changes: every workspace is told (tenant None).
            await context.runtime.changes.record_many(
                session,
                [
                    {
                        "tenant_id": None,
                        "app_id": None,
                        "kind": INTEGRATION,
                        "subject": name,
                        "payload": {"provider": name},
                    }
                    for name in sorted(saved)
                ],
            )
        await context.runtime.cache.invalidate(INTEGRATIONS_CATALOG)
        return SaveIntegrationsResult(integrations=[saved[item.name] for item in items])


async def _stored(session: AsyncSession, names: list[str]) -> dict[str, Stored]:
    return await integrations.stored_configuration(session=session, names=names) if names else {}


async def _save(
    session: AsyncSession, item: ValidItem, secrets: dict[str, str]
) -> SavedIntegration:
    now = utcnow()
    row, created = await integrations.lock_or_create_integration(
        session=session, name=item.name, kind=item.type, category=item.category, now=now
    )
    if row.type != item.type:  # changed by a concurrent save since validation
        raise _invalid(
            [Problem(item.index, "type", "Cannot change the type of an existing integration")]
        )
    row.category = item.category
    if item.description is not None:
        row.description = item.description
    if item.enabled is not None:
        row.enabled = item.enabled
    row.configuration = {**row.configuration, **item.plain}
    row.secret_configuration = {**row.secret_configuration, **secrets}
    if item.tags is not None:
        row.tags = item.tags
    row.updated_at = now
    await session.flush()
    if item.apis is not None:
        await integrations.replace_apis(session=session, integration_id=row.id, apis=item.apis)
    return SavedIntegration(
        id=row.id, name=row.provider, type=item.type, category=item.category, created=created
    )
