"""What the /api/tools/* tests share: the demo catalog as each caller sees it, the exact
bodies and key orders, and helpers that add tools and read rows back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update

from app.models import (
    App,
    Integration,
    Release,
    Tenant,
    Tool,
    UsageEvent,
)
from app.repositories import accounts
from app.runtime import Runtime
from tests.support.builders import add_rows
from tests.support.builders import tool as build_tool
from tests.support.catalog import HERMES_LAYOUT
from tests.support.clock import FROZEN_NOW
from tests.support.http import assert_json as assert_exact_json

TOOL_ROW_KEYS = [
    "id",
    "slug",
    "name",
    "description",
    "category",
    "enabled",
    "marketing",
    "surface_all_connections",
    "created_at",
    "updated_at",
]


RELEASE_KEYS = [
    "version",
    "deploy_ready",
    "requires",
    "wizard_inputs",
    "wizard_layout",
    "auth_mode",
    "source_repo",
    "icon_url",
]


DEPLOYABLE_KEYS = [
    "toolSlug",
    "toolName",
    "description",
    "iconUrl",
    "authMode",
    "sourceRepo",
    "version",
    "wizardInputs",
    "wizardLayout",
]


ENTRY_KEYS = [
    "integrationId",
    "provider",
    "name",
    "description",
    "iconName",
    "logoUrl",
    "category",
    "defaultProfile",
    "supportedProfiles",
    "alreadyEnabled",
]


TOOL_NOT_FOUND = {"error": "Tool not found"}


FRAMING_NOT_FOUND = {"error": "tool_not_found"}


TOOL_INTERNAL = {"error": "Internal error"}


EMPTY_INTEGRATIONS = {"required": [], "optional": []}


EMPTY_TOOLS = {"tools": []}


# slug → the row fields a user sees (id and timestamps come from the database)
DEMO_TOOLS: dict[str, dict[str, Any]] = {
    "archivist": {
        "name": "Archivist",
        "description": "Retired: indexed documents into a vector store.",
        "category": "agent",
        "enabled": False,
        "marketing": {},
        "surface_all_connections": False,
    },
    "herald": {
        "name": "Herald",
        "description": "Broadcasts announcements to Telegram and Slack.",
        "category": "messaging",
        "enabled": True,
        "marketing": {},
        "surface_all_connections": False,
    },
    "hermes": {
        "name": "Hermes",
        "description": "A personal agent on Telegram that can use every connection you have.",
        "category": "agent",
        "enabled": True,
        "marketing": {"featured": True},
        "surface_all_connections": True,
    },
    "ops-console": {
        "name": "Ops Console",
        "description": "Internal operations agent.",
        "category": "agent",
        "enabled": True,
        "marketing": {"internal": True},
        "surface_all_connections": False,
    },
    "postmaster": {
        "name": "Postmaster",
        "description": "Sends digests by email.",
        "category": "email",
        "enabled": True,
        "marketing": {},
        "surface_all_connections": False,
    },
    "scribe": {
        "name": "Scribe",
        "description": "Turns voice notes into tidy summaries.",
        "category": "voice",
        "enabled": True,
        "marketing": {},
        "surface_all_connections": False,
    },
    "sketchpad": {
        "name": "Sketchpad",
        "description": "Coming soon: collaborative whiteboard agent.",
        "category": "agent",
        "enabled": True,
        "marketing": {},
        "surface_all_connections": False,
    },
    "switchboard": {
        "name": "Switchboard",
        "description": "Answers phone calls with a voice agent.",
        "category": "voice",
        "enabled": True,
        "marketing": {},
        "surface_all_connections": False,
    },
    "vendo-test-smoke": {
        "name": "Smoke test",
        "description": "Deploy pipeline smoke test.",
        "category": "agent",
        "enabled": True,
        "marketing": {},
        "surface_all_connections": False,
    },
}


LISTED = ["herald", "hermes", "postmaster", "scribe", "sketchpad", "switchboard"]


EVERY_TOOL = sorted(DEMO_TOOLS)


UNLISTED = ["archivist", "ops-console", "vendo-test-smoke"]


TIMEZONE_INPUT = {"key": "TIMEZONE", "label": "Timezone", "type": "string", "required": False}


def deployable(
    slug: str,
    name: str,
    description: str,
    version: str,
    *,
    icon: str | None = None,
    repo: str | None = None,
    inputs: list[Any] | None = None,
    layout: Any = None,
) -> dict[str, Any]:
    return {
        "toolSlug": slug,
        "toolName": name,
        "description": description,
        "iconUrl": icon,
        "authMode": "supabase",
        "sourceRepo": repo,
        "version": version,
        "wizardInputs": inputs or [],
        "wizardLayout": layout,
    }


DEPLOYABLE = {
    "archivist": deployable(
        "archivist", "Archivist", "Retired: indexed documents into a vector store.", "3.1.0"
    ),
    "herald": deployable(
        "herald",
        "Herald",
        "Broadcasts announcements to Telegram and Slack.",
        "2.0.1",
        repo="https://github.com/runvendo/herald",
        inputs=[TIMEZONE_INPUT],
    ),
    "hermes": deployable(
        "hermes",
        "Hermes",
        "A personal agent on Telegram that can use every connection you have.",
        "1.4.2",
        icon="https://vendo.run/logos/hermes.svg",
        repo="https://github.com/runvendo/hermes-vendo",
        inputs=[TIMEZONE_INPUT],
        layout=HERMES_LAYOUT,
    ),
    "ops-console": deployable("ops-console", "Ops Console", "Internal operations agent.", "0.3.0"),
    "postmaster": deployable(
        "postmaster",
        "Postmaster",
        "Sends digests by email.",
        "1.0.0",
        repo="https://github.com/runvendo/postmaster",
    ),
    "scribe": deployable(
        "scribe",
        "Scribe",
        "Turns voice notes into tidy summaries.",
        "0.9.0",
        icon="https://vendo.run/logos/scribe.svg",
        repo="https://github.com/runvendo/scribe",
    ),
    "switchboard": deployable(
        "switchboard", "Switchboard", "Answers phone calls with a voice agent.", "0.5.0"
    ),
    "vendo-test-smoke": deployable(
        "vendo-test-smoke", "Smoke test", "Deploy pipeline smoke test.", "0.0.1"
    ),
}


DEPLOYABLE_LISTED = ["herald", "hermes", "postmaster", "scribe", "switchboard"]


DEPLOYABLE_STAFF = sorted(DEPLOYABLE)


# The demo workspace: openrouter through its byok_static connection, elevenlabs by its flag.
DEMO_ENABLED = {"openrouter", "elevenlabs"}


LONG = "x" * 10_000


BAD_SLUGS = {
    "long": LONG,
    "unicode": "h%C3%A9rald",
    "emoji": "%F0%9F%A6%8A",
    "rtl-override": "hermes%E2%80%AE",
    "invalid-utf8": "%FF%FE",
    "nul": "hermes%00",
    "quote": "hermes%27%20OR%20%271%27%3D%271",
    "percent": "%25",
    "trailing-space": "hermes%20",
}


STORED_INPUTS = ("wizardInputs", "wizard_inputs")


# The key order of wizard inputs as stored has a test of its own
# (test_wizard_inputs_keep_their_stored_key_order); PostgreSQL's JSONB reorders them elsewhere.
assert_json = partial(assert_exact_json, unordered=STORED_INPUTS)


def iso(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


async def tool_rows(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """The catalog row of every demo tool, as the routes must print it."""
    async with runtime.db.read() as session:
        rows = {row.slug: row for row in await session.scalars(select(Tool))}
    found = {}
    for slug, fields in DEMO_TOOLS.items():
        row = rows[slug]
        found[slug] = {
            "id": str(row.id),
            "slug": slug,
            **fields,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
        }
    return found


async def integration_entries(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Each integration as a tool-integrations entry, without ``alreadyEnabled``."""
    async with runtime.db.read() as session:
        rows = list(await session.scalars(select(Integration)))
    return {
        row.provider: {
            "integrationId": str(row.id),
            "provider": row.provider,
            "name": row.name,
            "description": row.description,
            "iconName": row.icon_name,
            "logoUrl": row.logo_url,
            "category": row.category,
            "defaultProfile": row.default_profile,
            "supportedProfiles": list(row.supported_profiles),
        }
        for row in rows
    }


def buckets(
    entries: dict[str, dict[str, Any]],
    required: list[str],
    optional: list[str],
    enabled: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "required": [{**entries[p], "alreadyEnabled": p in enabled} for p in required],
        "optional": [{**entries[p], "alreadyEnabled": p in enabled} for p in optional],
    }


async def app_id(runtime: Runtime, name: str) -> str:
    async with runtime.db.read() as session:
        found = await session.scalar(select(App.id).where(App.name == name))
    assert found is not None
    return str(found)


async def new_workspace(runtime: Runtime, email: str) -> uuid.UUID:
    async with runtime.db.write() as session, session.begin():
        user = await accounts.ensure_user(session=session, email=email)
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.owner_id == user.id))
    assert tenant_id is not None
    return tenant_id


async def rename_tool(runtime: Runtime, slug: str, name: str) -> None:
    """Change the catalog behind the gateway's back: no invalidation."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(update(Tool).where(Tool.slug == slug).values(name=name))


async def add_tool(
    runtime: Runtime,
    slug: str,
    *,
    category: str = "agent",
    enabled: bool = True,
    marketing: dict[str, Any] | None = None,
    surface_all: bool = False,
    release: dict[str, Any] | None = None,
    inactive: dict[str, Any] | None = None,
) -> uuid.UUID:
    tool = build_tool(
        slug,
        category=category,
        enabled=enabled,
        marketing=marketing or {},
        surface_all_connections=surface_all,
    )
    rows: list[Any] = [tool]
    if release is not None:
        rows.append(Release(tool_id=tool.id, active=True, **release))
    if inactive is not None:
        rows.append(Release(tool_id=tool.id, active=False, **inactive))
    await add_rows(runtime, *rows)
    return tool.id


def release(version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    return {"version": version, "deploy_ready": True, "auth_mode": "supabase", **extra}


CALLERS = ["anonymous", "signed-in", "staff"]


async def corrupt_marketing(runtime: Runtime, slug: str) -> None:
    """A real failure, no mock: a row the resolvers cannot read (`marketing` is no object)."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(update(Tool).where(Tool.slug == slug).values(marketing=[1]))


HERMES_RELEASE = {
    "version": "1.4.2",
    "deploy_ready": True,
    "requires": {"required": ["openrouter", "telegram"], "optional": []},
    "wizard_inputs": [TIMEZONE_INPUT],
    "wizard_layout": HERMES_LAYOUT,
    "auth_mode": "supabase",
    "source_repo": "https://github.com/runvendo/hermes-vendo",
    "icon_url": "https://vendo.run/logos/hermes.svg",
}


SWITCHBOARD_RELEASE = {
    "version": "0.5.0",
    "deploy_ready": True,
    "requires": {"required": ["twilio", "elevenlabs"], "optional": ["deepgram"]},
    "wizard_inputs": [],
    "wizard_layout": None,
    "auth_mode": "supabase",
    "source_repo": None,
    "icon_url": None,
}


GARBAGE_APP_IDS = {
    "word": "garbage",
    "empty": "",
    "sql": "' OR 1=1 --",
    "long": LONG,
    "almost-uuid": "00000000-0000-0000-0000-00000000000g",
    "nul": "\x00",
    "unicode": "\u202e\U0001f98a",
    "number": "12345",
}


def framing(days: tuple[int, int, int], *, cold: bool) -> dict[str, Any]:
    def label(n: int) -> str:
        if n < 1:
            return "< 1 day of usage"
        return "≈ 1 day of usage" if n == 1 else f"≈ {n} days of usage"

    return {
        "amounts": [
            {"usd": usd, "label": label(n), "cold_start": cold}
            for usd, n in zip((5, 25, 100), days, strict=True)
        ]
    }


async def spend(
    runtime: Runtime, tenant_id: uuid.UUID, tool_id: uuid.UUID, events: list[tuple[datetime, int]]
) -> uuid.UUID:
    """A new app of the tool in the workspace, with usage events (time, cost in micros)."""
    app_row = App(tenant_id=tenant_id, tool_id=tool_id, name=f"app-{uuid.uuid4().hex[:6]}")
    await add_rows(runtime, app_row)
    await add_rows(
        runtime,
        *(
            UsageEvent(
                tenant_id=tenant_id,
                provider="openrouter",
                app_id=app_row.id,
                cost_micros=cost,
                occurred_at=at,
            )
            for at, cost in events
        ),
    )
    return app_row.id


def days_ago(days: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    day = FROZEN_NOW - timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=second)
