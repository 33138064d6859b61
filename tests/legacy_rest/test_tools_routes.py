"""Reference 02 over HTTP, tools half: the five /api/tools/* routes for anonymous, signed-in and
staff callers, with the choices of docs/DECISIONS.md ("Tools and pricing"): who sees which tool,
exact bodies and key order, the string envelopes, graceful degrade, caching, usage framing
arithmetic, `appId` handling and bad input."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

import app.models.base
from app.models import (
    App,
    AppConnectionBinding,
    CategoryFallback,
    Connection,
    Integration,
    Release,
    Session,
    Tenant,
    TenantIntegration,
    Tool,
    UsageEvent,
    User,
)
from app.repositories import accounts
from app.runtime import Runtime
from tests.conftest import Sessions, session_headers

# --------------------------------------------------------------------------------------------
# Expected shapes and the demo catalog as a user sees it

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
HERMES_LAYOUT = {
    "version": 1,
    "subSteps": [
        {
            "id": "connect",
            "title": "Connect integrations",
            "sections": [{"type": "integration", "providers": ["openrouter", "telegram"]}],
        },
        {
            "id": "configure",
            "title": "Configure",
            "sections": [
                {"type": "inputs", "keys": ["TIMEZONE"]},
                {"type": "notice", "body": "You can change these later."},
            ],
        },
    ],
}


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

# Enabled integrations of the demo catalog, in provider order (replicate is disabled).
ENABLED_PROVIDERS = [
    "anthropic",
    "assemblyai",
    "deepgram",
    "elevenlabs",
    "openai",
    "openrouter",
    "pinecone",
    "qdrant",
    "resend",
    "sendgrid",
    "slack",
    "telegram",
    "twilio",
]
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

FROZEN_NOW = datetime(2025, 5, 31, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Helpers


STORED_INPUTS = ("wizardInputs", "wizard_inputs")


def key_order(value: Any) -> Any:
    """The keys of every object, in order — except inside the stored wizard inputs, whose own key
    order has a test of its own (test_wizard_inputs_keep_their_stored_key_order)."""
    if isinstance(value, dict):
        return [(k, None if k in STORED_INPUTS else key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_order(v) for v in value]
    return None


def assert_json(response: httpx.Response, status: int, body: Any) -> None:
    """Exact status, exact body (key order included), JSON content type, compact encoding."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body
    assert key_order(response.json()) == key_order(body)
    compact = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert response.content == compact.encode()


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


async def tenant_of(runtime: Runtime, email: str) -> uuid.UUID:
    async with runtime.db.read() as session:
        found = await session.scalar(
            select(Tenant.id).join(User, User.id == Tenant.owner_id).where(User.email == email)
        )
    assert found is not None
    return found


async def add_rows(runtime: Runtime, *rows: Any) -> None:
    async with runtime.db.write() as session, session.begin():
        for row in rows:  # one by one: foreign keys in the order given
            session.add(row)
            await session.flush()


async def run_sql(runtime: Runtime, *statements: str) -> None:
    async with runtime.db.write() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


async def rename_tool(runtime: Runtime, slug: str, name: str) -> None:
    """Change the catalog behind the gateway's back: no invalidation."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(update(Tool).where(Tool.slug == slug).values(name=name))


# A column every read of the table selects.
READ_COLUMN = {"tools": "slug", "releases": "version"}


@asynccontextmanager
async def table_gone(runtime: Runtime, table: str) -> AsyncIterator[None]:
    """A real internal database failure: a column the reads select is renamed away, and put
    back afterwards. (A whole table missing is a database not migrated: 503, see
    tests/app/test_health.py.)"""
    column = READ_COLUMN[table]
    await run_sql(runtime, f'ALTER TABLE "{table}" RENAME COLUMN "{column}" TO "{column}_gone"')
    try:
        yield
    finally:
        await run_sql(runtime, f'ALTER TABLE "{table}" RENAME COLUMN "{column}_gone" TO "{column}"')


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
    tool = Tool(
        slug=slug,
        name=slug.title(),
        description=f"The {slug} tool.",
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


@pytest.fixture
async def staff_headers(demo: None, sessions: Sessions) -> dict[str, str]:
    return session_headers(await sessions.create("admin@vendo.local", staff=True))


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every ``utcnow()`` of the gateway answers FROZEN_NOW (Saturday 31 May 2025, 10:00 UTC)."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return FROZEN_NOW if tz is None else FROZEN_NOW.astimezone(tz)

    monkeypatch.setattr(app.models.base, "datetime", FrozenDatetime)
    return FROZEN_NOW


CALLERS = ["anonymous", "signed-in", "staff"]


@pytest.fixture
async def caller_headers(
    request: pytest.FixtureRequest, demo: None, sessions: Sessions
) -> dict[str, str]:
    """Headers of the caller named by ``caller`` (parametrized)."""
    caller = request.param
    if caller == "anonymous":
        return {}
    if caller == "signed-in":
        return session_headers(await sessions.create("demo@vendo.local"))
    return session_headers(await sessions.create("admin@vendo.local", staff=True))


# --------------------------------------------------------------------------------------------
# GET /api/tools/catalog


async def test_catalog_anonymous_lists_listed_tools_in_slug_order(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog")
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})
    assert "cache-control" not in response.headers


async def test_catalog_signed_in_sees_listed_tools_only(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=demo_headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


async def test_catalog_staff_sees_every_tool(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=staff_headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in EVERY_TOOL]})


async def test_catalog_rows_have_documented_keys_in_order(
    client: httpx.AsyncClient, staff_headers: dict[str, str]
) -> None:
    body = (await client.get("/api/tools/catalog", headers=staff_headers)).json()
    assert list(body) == ["tools"]
    assert [list(row) for row in body["tools"]] == [TOOL_ROW_KEYS] * len(EVERY_TOOL)


async def test_catalog_empty_database_lists_nothing(client: httpx.AsyncClient) -> None:
    assert_json(await client.get("/api/tools/catalog"), 200, EMPTY_TOOLS)


async def test_catalog_listing_rules_are_exact(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    """Only the `vendo-test-` prefix hides a tool, and only `internal: true` does."""
    await add_tool(runtime, "vendo-testing")  # no dash after "test": listed
    await add_tool(runtime, "my-vendo-test-tool")  # not a prefix: listed
    await add_tool(runtime, "vendo-test-")  # the bare prefix: hidden
    await add_tool(runtime, "open-house", marketing={"internal": False, "featured": True})
    await add_tool(runtime, "quiet", marketing={"internal": True})
    await add_tool(runtime, "off", enabled=False, marketing={"internal": False})
    public = (await client.get("/api/tools/catalog")).json()
    assert [row["slug"] for row in public["tools"]] == sorted(
        [*LISTED, "vendo-testing", "my-vendo-test-tool", "open-house"]
    )
    staff = (await client.get("/api/tools/catalog", headers=staff_headers)).json()
    hidden = ["quiet", "off"]
    assert [row["slug"] for row in staff["tools"]] == sorted(
        [*EVERY_TOOL, "vendo-testing", "my-vendo-test-tool", "vendo-test-", "open-house", *hidden]
    )


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "vs_" + "A" * 43, "x" * 300, "a.b.c", ""],
    ids=["garbage", "unknown-token", "overlong", "jwt-like", "empty"],
)
async def test_catalog_invalid_cookie_gets_public_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, cookie: str
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers={"Cookie": f"vendo_session={cookie}"})
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


async def test_catalog_staff_session_as_bearer_is_not_admin_mode(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    """Admin mode comes from the session cookie; a Bearer token is no session."""
    token = await sessions.create("admin@vendo.local", staff=True)
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers={"Authorization": f"Bearer {token}"})
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


async def test_expired_staff_session_is_anonymous(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    token = staff_headers["Cookie"].split("=", 1)[1]
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Session)
            .where(Session.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    rows = await tool_rows(runtime)
    catalog = await client.get("/api/tools/catalog", headers=staff_headers)
    assert_json(catalog, 200, {"tools": [rows[slug] for slug in LISTED]})
    deployable_tools = await client.get("/api/tools/deployable", headers=staff_headers)
    assert_json(deployable_tools, 200, {"tools": [DEPLOYABLE[s] for s in DEPLOYABLE_LISTED]})
    integrations = await client.get("/api/tools/ops-console/integrations", headers=staff_headers)
    assert_json(integrations, 200, EMPTY_INTEGRATIONS)


async def test_catalog_long_query_string_is_ignored(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", params={"q": LONG, "appId": LONG})
    assert_json(response, 200, {"tools": [rows[slug] for slug in LISTED]})


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_catalog_database_failure_degrades_to_empty_list(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    async with table_gone(runtime, "tools"):
        assert_json(
            await client.get("/api/tools/catalog", headers=caller_headers), 200, EMPTY_TOOLS
        )
    assert any(record.levelno >= logging.ERROR for record in caplog.records)


async def corrupt_marketing(runtime: Runtime, slug: str) -> None:
    """A real failure, no mock: a row the resolvers cannot read (`marketing` is no object)."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(update(Tool).where(Tool.slug == slug).values(marketing=[1]))


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_catalog_corrupt_row_degrades_to_empty_list(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    await corrupt_marketing(runtime, "hermes")
    assert_json(await client.get("/api/tools/catalog", headers=caller_headers), 200, EMPTY_TOOLS)


async def test_catalog_degraded_answer_is_not_cached(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    """A transient failure must not blank the marketing catalog for an hour."""
    async with table_gone(runtime, "tools"):
        assert_json(await client.get("/api/tools/catalog"), 200, EMPTY_TOOLS)
    rows = await tool_rows(runtime)
    assert_json(await client.get("/api/tools/catalog"), 200, {"tools": [rows[s] for s in LISTED]})


async def test_catalog_public_answer_is_cached_until_invalidated(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    first = await client.get("/api/tools/catalog")
    assert first.status_code == 200
    await rename_tool(runtime, "hermes", "Hermes Renamed")
    again = await client.get("/api/tools/catalog")
    assert again.content == first.content
    # Its content does not depend on who asks: signed-in callers share the entry.
    signed_in = await client.get("/api/tools/catalog", headers=demo_headers)
    assert signed_in.content == first.content
    await runtime.cache.invalidate("tools-catalog")
    fresh = (await client.get("/api/tools/catalog")).json()
    assert {row["slug"]: row["name"] for row in fresh["tools"]}["hermes"] == "Hermes Renamed"


async def test_catalog_staff_answer_is_never_cached(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    staff = await client.get("/api/tools/catalog", headers=staff_headers)
    assert len(staff.json()["tools"]) == len(EVERY_TOOL)
    # The staff answer did not fill the public entry.
    public = (await client.get("/api/tools/catalog")).json()
    assert [row["slug"] for row in public["tools"]] == LISTED
    await rename_tool(runtime, "hermes", "Hermes Renamed")
    await rename_tool(runtime, "archivist", "Archivist Renamed")
    # Staff never read the (now stale) public entry, nor a staff entry of their own.
    again = (await client.get("/api/tools/catalog", headers=staff_headers)).json()
    names = {row["slug"]: row["name"] for row in again["tools"]}
    assert len(again["tools"]) == len(EVERY_TOOL)
    assert names["hermes"] == "Hermes Renamed"
    assert names["archivist"] == "Archivist Renamed"
    # The public entry is still the one written before the renames.
    public_again = (await client.get("/api/tools/catalog")).json()
    assert public_again == public


async def test_catalog_staff_answer_after_public_entry_is_not_the_public_one(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    await client.get("/api/tools/catalog")
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/catalog", headers=staff_headers)
    assert_json(response, 200, {"tools": [rows[slug] for slug in EVERY_TOOL]})


# --------------------------------------------------------------------------------------------
# GET /api/tools/deployable


@pytest.mark.parametrize("caller_headers", ["anonymous", "signed-in"], indirect=True)
async def test_deployable_non_staff_sees_released_listed_tools(
    client: httpx.AsyncClient, caller_headers: dict[str, str]
) -> None:
    response = await client.get("/api/tools/deployable", headers=caller_headers)
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_LISTED]})


async def test_deployable_staff_sees_disabled_internal_and_test_tools_never_unreleased(
    client: httpx.AsyncClient, staff_headers: dict[str, str]
) -> None:
    response = await client.get("/api/tools/deployable", headers=staff_headers)
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_STAFF]})
    assert "sketchpad" not in [row["toolSlug"] for row in response.json()["tools"]]


async def test_deployable_entries_have_documented_keys_in_order(
    client: httpx.AsyncClient, staff_headers: dict[str, str]
) -> None:
    body = (await client.get("/api/tools/deployable", headers=staff_headers)).json()
    assert list(body) == ["tools"]
    assert [list(row) for row in body["tools"]] == [DEPLOYABLE_KEYS] * len(DEPLOYABLE_STAFF)


async def test_deployable_invalid_layout_is_null_and_missing_inputs_are_empty(
    client: httpx.AsyncClient, demo: None
) -> None:
    tools = {
        row["toolSlug"]: row for row in (await client.get("/api/tools/deployable")).json()["tools"]
    }
    assert tools["switchboard"]["wizardLayout"] is None
    assert tools["switchboard"]["wizardInputs"] == []
    assert tools["hermes"]["wizardLayout"] == HERMES_LAYOUT


async def test_deployable_requires_an_active_deploy_ready_release_for_everyone(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    await add_tool(runtime, "not-ready", release={**release(), "deploy_ready": False})
    await add_tool(runtime, "only-inactive", inactive=release("9.9.9"))
    await add_tool(runtime, "two-releases", release=release("2.0.0"), inactive=release("1.0.0"))
    for headers in ({}, staff_headers):
        body = (await client.get("/api/tools/deployable", headers=headers)).json()
        slugs = [row["toolSlug"] for row in body["tools"]]
        assert "not-ready" not in slugs
        assert "only-inactive" not in slugs
        versions = {row["toolSlug"]: row["version"] for row in body["tools"]}
        assert versions["two-releases"] == "2.0.0"


async def test_deployable_wizard_inputs_keep_objects_only(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await add_tool(
        runtime,
        "inputs-mixed",
        release=release(wizard_inputs=[{"key": "A", "extra": [1]}, "junk", 3, None, {}]),
    )
    await add_tool(runtime, "inputs-null", release=release(wizard_inputs=None))
    await add_tool(runtime, "inputs-object", release=release(wizard_inputs={"key": "A"}))
    tools = {
        row["toolSlug"]: row for row in (await client.get("/api/tools/deployable")).json()["tools"]
    }
    assert tools["inputs-mixed"]["wizardInputs"] == [{"key": "A", "extra": [1]}, {}]
    assert tools["inputs-null"]["wizardInputs"] == []
    assert tools["inputs-object"]["wizardInputs"] == []


async def test_wizard_inputs_keep_their_stored_key_order(
    client: httpx.AsyncClient, demo: None
) -> None:
    """Reference 02 prints the input as stored: key, label, type, required."""
    expected = (
        b'"wizardInputs":[{"key":"TIMEZONE","label":"Timezone","type":"string","required":false}]'
    )
    deployable_body = (await client.get("/api/tools/deployable")).content
    assert expected in deployable_body
    detail = (await client.get("/api/tools/hermes")).content
    assert expected.replace(b"wizardInputs", b"wizard_inputs") in detail


async def test_deployable_layout_failing_the_schema_is_null(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    good = {
        "version": 1,
        "subSteps": [{"id": "a", "title": "A", "sections": [{"type": "notice", "body": "Hi"}]}],
    }
    await add_tool(runtime, "layout-good", release=release(wizard_layout=good))
    await add_tool(runtime, "layout-v2", release=release(wizard_layout={**good, "version": 2}))
    await add_tool(runtime, "layout-list", release=release(wizard_layout=[good]))
    await add_tool(
        runtime,
        "layout-extra",
        release=release(wizard_layout={**good, "theme": "dark"}),
    )
    tools = {
        row["toolSlug"]: row for row in (await client.get("/api/tools/deployable")).json()["tools"]
    }
    assert tools["layout-good"]["wizardLayout"] == good
    assert tools["layout-v2"]["wizardLayout"] is None
    assert tools["layout-list"]["wizardLayout"] is None
    assert tools["layout-extra"]["wizardLayout"] == good  # unknown keys dropped


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_deployable_database_failure_degrades_to_empty_list(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    async with table_gone(runtime, "releases"):
        response = await client.get("/api/tools/deployable", headers=caller_headers)
        assert_json(response, 200, EMPTY_TOOLS)
    assert any(record.levelno >= logging.ERROR for record in caplog.records)
    response = await client.get("/api/tools/deployable", headers=caller_headers)
    assert response.json()["tools"] != []


async def test_deployable_empty_database_lists_nothing(client: httpx.AsyncClient) -> None:
    assert_json(await client.get("/api/tools/deployable"), 200, EMPTY_TOOLS)


async def test_deployable_long_query_string_is_ignored(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/tools/deployable", params={"q": LONG})
    assert_json(response, 200, {"tools": [DEPLOYABLE[slug] for slug in DEPLOYABLE_LISTED]})


# --------------------------------------------------------------------------------------------
# GET /api/tools/{slug}


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


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_detail_is_row_plus_active_release(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/hermes", headers=caller_headers)
    assert_json(response, 200, {"tool": {**rows["hermes"], "release": HERMES_RELEASE}})
    assert list(response.json()["tool"]) == [*TOOL_ROW_KEYS, "release"]
    assert list(response.json()["tool"]["release"]) == RELEASE_KEYS


async def test_detail_unreleased_tool_has_null_release(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/sketchpad")
    assert_json(response, 200, {"tool": {**rows["sketchpad"], "release": None}})


async def test_detail_invalid_layout_is_null(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    rows = await tool_rows(runtime)
    response = await client.get("/api/tools/switchboard")
    assert_json(response, 200, {"tool": {**rows["switchboard"], "release": SWITCHBOARD_RELEASE}})


async def test_detail_shows_the_active_release_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await add_tool(
        runtime,
        "versions",
        release={**release("2.0.0"), "deploy_ready": False},
        inactive=release("3.0.0"),
    )
    body = (await client.get("/api/tools/versions")).json()
    assert body["tool"]["release"] == {
        "version": "2.0.0",
        "deploy_ready": False,
        "requires": {"required": [], "optional": []},
        "wizard_inputs": [],
        "wizard_layout": None,
        "auth_mode": "supabase",
        "source_repo": None,
        "icon_url": None,
    }


async def test_detail_tool_with_only_inactive_releases_has_null_release(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await add_tool(runtime, "dormant", inactive=release("0.1.0"))
    assert (await client.get("/api/tools/dormant")).json()["tool"]["release"] is None


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
@pytest.mark.parametrize("slug", UNLISTED)
async def test_detail_unlisted_tool_is_not_found_for_everyone(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    """The detail takes no credential: staff cookies do not turn on admin mode here."""
    assert_json(await client.get(f"/api/tools/{slug}", headers=caller_headers), 404, TOOL_NOT_FOUND)


async def test_detail_unknown_slug_is_not_found(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.get("/api/tools/nope")
    assert_json(response, 404, TOOL_NOT_FOUND)
    assert "cache-control" not in response.headers


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_detail_bad_slug_is_not_found(
    client: httpx.AsyncClient, demo: None, slug: str
) -> None:
    assert_json(await client.get(f"/api/tools/{slug}"), 404, TOOL_NOT_FOUND)


@pytest.mark.parametrize("table", ["tools", "releases"])
async def test_detail_database_failure_is_internal_error(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, table: str
) -> None:
    async with table_gone(runtime, table):
        assert_json(await client.get("/api/tools/hermes"), 500, TOOL_INTERNAL)


async def test_detail_corrupt_row_is_internal_error(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await corrupt_marketing(runtime, "hermes")
    assert_json(await client.get("/api/tools/hermes"), 500, TOOL_INTERNAL)
    # Other tools still answer.
    assert (await client.get("/api/tools/scribe")).status_code == 200


# --------------------------------------------------------------------------------------------
# GET /api/tools/{slug}/integrations


async def test_integrations_anonymous_scribe_exact_body(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/scribe/integrations")
    assert_json(
        response,
        200,
        {
            "required": [
                {
                    "integrationId": entries["assemblyai"]["integrationId"],
                    "provider": "assemblyai",
                    "name": "AssemblyAI",
                    "description": "Speech to text and audio intelligence.",
                    "iconName": None,
                    "logoUrl": "https://vendo.run/logos/assemblyai.svg",
                    "category": "speech",
                    "defaultProfile": "vendo_managed_pool",
                    "supportedProfiles": ["vendo_managed_pool"],
                    "alreadyEnabled": False,
                }
            ],
            "optional": [
                {
                    "integrationId": entries["openrouter"]["integrationId"],
                    "provider": "openrouter",
                    "name": "OpenRouter",
                    "description": "Unified gateway for LLM providers.",
                    "iconName": None,
                    "logoUrl": "https://vendo.run/logos/openrouter.svg",
                    "category": "llm",
                    "defaultProfile": "vendo_managed_pool",
                    "supportedProfiles": ["vendo_managed_pool", "byok_static"],
                    "alreadyEnabled": False,
                },
                {
                    "integrationId": entries["elevenlabs"]["integrationId"],
                    "provider": "elevenlabs",
                    "name": "ElevenLabs",
                    "description": "Text to speech and voice cloning.",
                    "iconName": None,
                    "logoUrl": "https://vendo.run/logos/elevenlabs.svg",
                    "category": "voice",
                    "defaultProfile": "vendo_managed_pool",
                    "supportedProfiles": ["vendo_managed_pool"],
                    "alreadyEnabled": False,
                },
            ],
        },
    )
    for bucket in ("required", "optional"):
        assert [list(entry) for entry in response.json()[bucket]] == [ENTRY_KEYS] * len(
            response.json()[bucket]
        )


async def test_integrations_signed_in_reflects_workspace_state(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/scribe/integrations", headers=demo_headers)
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], DEMO_ENABLED)
    assert_json(response, 200, expected)


async def test_integrations_surface_all_connections_lists_every_enabled_integration(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    response = await client.get("/api/tools/hermes/integrations")
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional))


async def test_integrations_surface_all_connections_signed_in(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    response = await client.get("/api/tools/hermes/integrations", headers=demo_headers)
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional, DEMO_ENABLED))


async def test_integrations_surface_all_connections_follows_the_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    """A disabled integration leaves the optional bucket; a re-enabled one comes back."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == "slack").values(enabled=False)
        )
        await session.execute(
            update(Integration).where(Integration.provider == "replicate").values(enabled=True)
        )
    body = (await client.get("/api/tools/hermes/integrations")).json()
    assert [row["provider"] for row in body["optional"]] == sorted(
        {*ENABLED_PROVIDERS, "replicate"} - {"slack", "openrouter", "telegram"}
    )


async def test_integrations_manifest_order_unknown_and_disabled_providers(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await add_tool(
        runtime,
        "picky",
        release=release(
            requires={
                "required": ["telegram", "ghost", "openrouter", "replicate"],
                "optional": ["slack", "openrouter", "ghost", "anthropic", "replicate"],
            }
        ),
    )
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/picky/integrations")
    assert_json(response, 200, buckets(entries, ["telegram", "openrouter"], ["slack", "anthropic"]))


@pytest.mark.parametrize(
    "requires",
    [{}, {"required": "openrouter"}, {"required": [1, None], "optional": {"a": 1}}, []],
    ids=["empty", "string", "wrong-types", "list"],
)
async def test_integrations_malformed_manifest_is_empty(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, requires: Any
) -> None:
    await add_tool(runtime, "odd", release=release(requires=requires))
    assert_json(await client.get("/api/tools/odd/integrations"), 200, EMPTY_INTEGRATIONS)


async def test_integrations_tool_without_active_release_has_empty_manifests(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await add_tool(
        runtime, "dormant", inactive=release(requires={"required": ["openrouter"], "optional": []})
    )
    for slug in ("sketchpad", "dormant"):
        response = await client.get(f"/api/tools/{slug}/integrations", headers=demo_headers)
        assert_json(response, 200, EMPTY_INTEGRATIONS)


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_integrations_unknown_slug_answers_empty_lists(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    my_hermes = await app_id(runtime, "My Hermes")
    for params in ({}, {"appId": my_hermes}, {"appId": "garbage"}):
        response = await client.get(
            "/api/tools/nope/integrations", params=params, headers=caller_headers
        )
        assert_json(response, 200, EMPTY_INTEGRATIONS)


@pytest.mark.parametrize("caller_headers", ["anonymous", "signed-in"], indirect=True)
@pytest.mark.parametrize("slug", UNLISTED)
async def test_integrations_unlisted_tool_answers_like_unknown(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(f"/api/tools/{slug}/integrations", headers=caller_headers)
    assert_json(response, 200, EMPTY_INTEGRATIONS)


async def test_integrations_staff_see_an_internal_tools_integrations(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    """Staff can deploy internal tools (they see them in the deployable list)."""
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/ops-console/integrations", headers=staff_headers)
    assert_json(response, 200, buckets(entries, ["openrouter"], []))


async def test_integrations_app_id_switches_to_the_apps_bindings(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    my_hermes = await app_id(runtime, "My Hermes")  # bound to openrouter
    response = await client.get(
        "/api/tools/hermes/integrations", params={"appId": my_hermes}, headers=demo_headers
    )
    # elevenlabs is enabled for the workspace, but this app is not bound to it.
    assert_json(
        response, 200, buckets(entries, ["openrouter", "telegram"], optional, {"openrouter"})
    )

    voice_notes = await app_id(runtime, "Voice notes")  # bound to elevenlabs
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": voice_notes}, headers=demo_headers
    )
    # openrouter is enabled for the workspace, but this app is not bound to it.
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], {"elevenlabs"})
    assert_json(response, 200, expected)


async def test_integrations_app_id_in_upper_case_is_the_same_app(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    voice_notes = await app_id(runtime, "Voice notes")
    lower = await client.get(
        "/api/tools/scribe/integrations", params={"appId": voice_notes}, headers=demo_headers
    )
    upper = await client.get(
        "/api/tools/scribe/integrations",
        params={"appId": voice_notes.upper()},
        headers=demo_headers,
    )
    assert upper.status_code == 200
    assert upper.content == lower.content


async def test_integrations_binding_to_inactive_connection_is_not_enabled(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant_id = await tenant_of(runtime, "demo@vendo.local")
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Connection)
            .where(Connection.tenant_id == tenant_id, Connection.provider == "elevenlabs")
            .values(active=False)
        )
    entries = await integration_entries(runtime)
    voice_notes = await app_id(runtime, "Voice notes")
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": voice_notes}, headers=demo_headers
    )
    assert_json(response, 200, buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"]))


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


@pytest.mark.parametrize("value", GARBAGE_APP_IDS.values(), ids=GARBAGE_APP_IDS.keys())
async def test_integrations_app_id_not_a_uuid_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str], value: str
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": value}, headers=demo_headers
    )
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], DEMO_ENABLED)
    assert_json(response, 200, expected)


async def test_integrations_unknown_app_id_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": str(uuid.uuid4())}, headers=demo_headers
    )
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], DEMO_ENABLED)
    assert_json(response, 200, expected)


async def test_integrations_repeated_app_id_never_errors(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    my_hermes = await app_id(runtime, "My Hermes")
    response = await client.get(
        f"/api/tools/scribe/integrations?appId=garbage&appId={my_hermes}", headers=demo_headers
    )
    assert response.status_code == 200
    assert [row["provider"] for row in response.json()["required"]] == ["assemblyai"]


async def test_integrations_other_workspaces_app_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    """Neither workspace learns anything about the other's app bindings."""
    demo_tenant = await tenant_of(runtime, "demo@vendo.local")
    demo_headers = session_headers(await sessions.create("demo@vendo.local"))
    other_headers = session_headers(await sessions.create("other@example.com"))
    other_tenant = await tenant_of(runtime, "other@example.com")
    async with runtime.db.read() as session:
        hermes_id = await session.scalar(select(Tool.id).where(Tool.slug == "hermes"))
        telegram_id = await session.scalar(
            select(Integration.id).where(Integration.provider == "telegram")
        )
    assert hermes_id is not None
    assert telegram_id is not None
    # The other workspace: telegram enabled by flag, an app bound to an active slack connection.
    connection = Connection(tenant_id=other_tenant, provider="slack", profile="byok_static")
    other_app = App(tenant_id=other_tenant, tool_id=hermes_id, name="Their Hermes")
    await add_rows(
        runtime,
        TenantIntegration(tenant_id=other_tenant, integration_id=telegram_id, enabled=True),
        connection,
        other_app,
        AppConnectionBinding(app_id=other_app.id, connection_id=connection.id),
    )
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    # slack: an active connection stands in for the unset flag.
    other_state = {"telegram", "slack"}

    response = await client.get(
        "/api/tools/hermes/integrations", params={"appId": str(other_app.id)}, headers=demo_headers
    )
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional, DEMO_ENABLED))

    my_hermes = await app_id(runtime, "My Hermes")
    response = await client.get(
        "/api/tools/hermes/integrations", params={"appId": my_hermes}, headers=other_headers
    )
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional, other_state))
    assert demo_tenant != other_tenant


async def test_integrations_anonymous_app_id_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    voice_notes = await app_id(runtime, "Voice notes")
    response = await client.get("/api/tools/scribe/integrations", params={"appId": voice_notes})
    assert_json(response, 200, buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"]))


async def test_integrations_invalid_cookie_is_anonymous(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get(
        "/api/tools/scribe/integrations", headers={"Cookie": "vendo_session=garbage"}
    )
    assert_json(response, 200, buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"]))


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_integrations_bad_slug_answers_empty_lists(
    client: httpx.AsyncClient, demo_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(
        f"/api/tools/{slug}/integrations", params={"appId": LONG}, headers=demo_headers
    )
    assert_json(response, 200, EMPTY_INTEGRATIONS)


# --------------------------------------------------------------------------------------------
# GET /api/tools/{slug}/usage-framing


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


@pytest.fixture
async def workspace(runtime: Runtime) -> uuid.UUID:
    """A fresh workspace (no demo data) and the fallback rows the framing tests use."""
    tenant_id = await new_workspace(runtime, "framing@example.com")
    await add_rows(
        runtime,
        CategoryFallback(category="robots", daily_spend_micros=2_000_000),
        CategoryFallback(category="*", daily_spend_micros=400_000),
    )
    return tenant_id


async def test_framing_counts_first_and_last_utc_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$4 from 23:59:59 three days ago to 00:00:01 today: 4 UTC days, $1/day."""
    tool_id = await add_tool(runtime, "steady")
    await spend(
        runtime,
        workspace,
        tool_id,
        [(days_ago(3, 23, 59, 59), 2_000_000), (days_ago(0, 0, 0, 1), 2_000_000)],
    )
    assert_json(
        await client.get("/api/tools/steady/usage-framing"), 200, framing((5, 25, 100), cold=False)
    )


async def test_framing_rounds_half_up(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$2/day: 5/2 = 2.5 → 3 and 25/2 = 12.5 → 13 (not banker's 2 and 12)."""
    tool_id = await add_tool(runtime, "halves")
    await spend(
        runtime, workspace, tool_id, [(days_ago(1), 1_500_000), (days_ago(0, 9), 2_500_000)]
    )
    assert_json(
        await client.get("/api/tools/halves/usage-framing"), 200, framing((3, 13, 50), cold=False)
    )


async def test_framing_one_day_is_singular(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    tool_id = await add_tool(runtime, "fiver")
    await spend(
        runtime, workspace, tool_id, [(days_ago(0, 1), 2_000_000), (days_ago(0, 2), 3_000_000)]
    )
    response = await client.get("/api/tools/fiver/usage-framing")
    assert_json(response, 200, framing((1, 5, 20), cold=False))
    assert response.json()["amounts"][0]["label"] == "≈ 1 day of usage"


async def test_framing_half_a_day_rounds_up_to_one_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$10/day: 5/10 = 0.5 → 1 day, 2.5 → 3, 10."""
    tool_id = await add_tool(runtime, "tenner")
    await spend(runtime, workspace, tool_id, [(days_ago(0, 3), 10_000_000)])
    assert_json(
        await client.get("/api/tools/tenner/usage-framing"), 200, framing((1, 3, 10), cold=False)
    )


async def test_framing_under_one_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$12/day: 5/12 = 0.42 → "< 1 day of usage", 25/12 = 2.08 → 2, 100/12 = 8.33 → 8."""
    tool_id = await add_tool(runtime, "hungry")
    await spend(runtime, workspace, tool_id, [(days_ago(0, 4), 12_000_000)])
    response = await client.get("/api/tools/hungry/usage-framing")
    assert_json(response, 200, framing((0, 2, 8), cold=False))
    assert response.json()["amounts"][0]["label"] == "< 1 day of usage"


async def test_framing_sums_every_app_of_the_tool_and_nothing_else(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Two apps (two workspaces) of the tool: $3 + $3 over 3 days = $2/day; another tool's app
    and usage without an app do not count."""
    tool_id = await add_tool(runtime, "shared")
    other_tool = await add_tool(runtime, "other")
    elsewhere = await new_workspace(runtime, "elsewhere@example.com")
    await spend(runtime, workspace, tool_id, [(days_ago(2), 3_000_000)])
    await spend(runtime, elsewhere, tool_id, [(days_ago(0), 3_000_000)])
    await spend(runtime, workspace, other_tool, [(days_ago(9), 90_000_000)])
    await add_rows(
        runtime,
        UsageEvent(
            tenant_id=workspace,
            provider="openrouter",
            app_id=None,
            cost_micros=50_000_000,
            occurred_at=days_ago(20),
        ),
    )
    assert_json(
        await client.get("/api/tools/shared/usage-framing"), 200, framing((3, 13, 50), cold=False)
    )


async def test_framing_average_is_not_rounded_before_dividing(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """$1 over 3 days = $0.333…/day: 15, 75, 300 (an average rounded to cents, $0.33, would give
    15, 76, 303)."""
    tool_id = await add_tool(runtime, "thirds")
    await spend(runtime, workspace, tool_id, [(days_ago(2), 1_000_000)])
    assert_json(
        await client.get("/api/tools/thirds/usage-framing"), 200, framing((15, 75, 300), cold=False)
    )


async def test_framing_cold_start_uses_the_category_fallback(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Category "robots" falls back to $2/day: 3, 13, 50, cold."""
    await add_tool(runtime, "new-robot", category="robots")
    assert_json(
        await client.get("/api/tools/new-robot/usage-framing"), 200, framing((3, 13, 50), cold=True)
    )


async def test_framing_cold_start_uses_the_star_row(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """No row for "gizmos": the `*` row, $0.40/day: 12.5 → 13, 62.5 → 63, 250, cold."""
    await add_tool(runtime, "new-gizmo", category="gizmos")
    assert_json(
        await client.get("/api/tools/new-gizmo/usage-framing"),
        200,
        framing((13, 63, 250), cold=True),
    )


async def test_framing_cold_start_without_any_fallback_row_is_one_dollar_a_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime
) -> None:
    await add_tool(runtime, "lonely", category="gizmos")
    assert_json(
        await client.get("/api/tools/lonely/usage-framing"), 200, framing((5, 25, 100), cold=True)
    )


async def test_framing_free_usage_is_a_cold_start(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Usage events that cost nothing are no spend history."""
    tool_id = await add_tool(runtime, "freebie", category="robots")
    await spend(runtime, workspace, tool_id, [(days_ago(5), 0), (days_ago(1), 0)])
    assert_json(
        await client.get("/api/tools/freebie/usage-framing"), 200, framing((3, 13, 50), cold=True)
    )


async def test_framing_demo_cold_starts(client: httpx.AsyncClient, demo: None) -> None:
    """The demo fallbacks: agent $1.50, messaging $0.25, voice $0.80, `*` $1.00 a day."""
    cases = {
        "sketchpad": (3, 17, 67),
        "herald": (20, 100, 400),
        "switchboard": (6, 31, 125),
        "postmaster": (5, 25, 100),
    }
    for slug, days in cases.items():
        response = await client.get(f"/api/tools/{slug}/usage-framing")
        assert_json(response, 200, framing(days, cold=True))


async def test_framing_demo_tool_with_history_is_not_cold(
    client: httpx.AsyncClient, demo: None
) -> None:
    body = (await client.get("/api/tools/hermes/usage-framing")).json()
    assert [amount["usd"] for amount in body["amounts"]] == [5, 25, 100]
    assert [amount["cold_start"] for amount in body["amounts"]] == [False, False, False]
    assert [list(amount) for amount in body["amounts"]] == [["usd", "label", "cold_start"]] * 3


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
@pytest.mark.parametrize("slug", [*UNLISTED, "nope"])
async def test_framing_unlisted_or_unknown_tool_is_not_found(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(f"/api/tools/{slug}/usage-framing", headers=caller_headers)
    assert_json(response, 404, FRAMING_NOT_FOUND)


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_framing_bad_slug_is_not_found(
    client: httpx.AsyncClient, demo: None, slug: str
) -> None:
    assert_json(await client.get(f"/api/tools/{slug}/usage-framing"), 404, FRAMING_NOT_FOUND)


async def test_framing_is_cached_per_slug(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    tool_id = await add_tool(runtime, "cached", category="robots")
    other_id = await add_tool(runtime, "uncached", category="robots")
    cold = framing((3, 13, 50), cold=True)
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, cold)
    await spend(runtime, workspace, tool_id, [(days_ago(0), 10_000_000)])
    await spend(runtime, workspace, other_id, [(days_ago(0), 10_000_000)])
    # Still the cached answer for the first slug; the second was never asked, so it is fresh.
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, cold)
    hot = framing((1, 3, 10), cold=False)
    assert_json(await client.get("/api/tools/uncached/usage-framing"), 200, hot)
    await runtime.cache.invalidate("usage-framing")
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, hot)
