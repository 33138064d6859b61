"""Demo data for ``vendo-gateway seed --demo``: idempotent, and run by ``serve`` on an empty
embedded database. Usage history is generated relative to the day it is seeded."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    BYOK_STATIC,
    MANAGED_POOL,
    Connection,
    Integration,
    Tenant,
    UsageEvent,
    utcnow,
)
from app.repositories import accounts, integrations

DEMO_EMAIL = "demo@vendo.local"
DEMO_WORKSPACE = "demo"
STAFF_EMAIL = "admin@vendo.local"
STAFF_WORKSPACE = "admin"
USAGE_DAYS = 60

_LOGOS = "https://vendo.run/logos"


def _integration(
    provider: str, name: str, category: str, description: str, docs: str, **extra: Any
) -> dict[str, Any]:
    return {
        "provider": provider,
        "name": name,
        "category": category,
        "description": description,
        "docs_url": docs,
        "logo_url": f"{_LOGOS}/{provider}.svg",
        **extra,
    }


DEMO_INTEGRATIONS: list[dict[str, Any]] = [
    _integration(
        "openrouter", "OpenRouter", "llm", "Unified gateway for LLM providers.",
        "https://openrouter.ai/docs",
        supported_profiles=[MANAGED_POOL, BYOK_STATIC],
        env_bootstrap={"vars": ["OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"], "restart": "gateway"},
    ),
    _integration(
        "anthropic", "Anthropic", "llm", "Claude models, direct.",
        "https://docs.anthropic.com", type="anthropic",
    ),
    _integration(
        "openai", "OpenAI", "llm", "GPT and embedding models.",
        "https://platform.openai.com/docs", type="openai",
    ),
    _integration(
        "elevenlabs", "ElevenLabs", "voice", "Text to speech and voice cloning.",
        "https://elevenlabs.io/docs",
        env_bootstrap={"vars": ["ELEVENLABS_API_KEY"], "restart": "gateway"},
    ),
    _integration(
        "assemblyai", "AssemblyAI", "speech", "Speech to text and audio intelligence.",
        "https://www.assemblyai.com/docs",
        env_bootstrap={"vars": ["ASSEMBLYAI_API_KEY"], "restart": "gateway"},
    ),
    _integration(
        "deepgram", "Deepgram", "speech", "Real-time speech recognition.",
        "https://developers.deepgram.com",
    ),
    _integration(
        "telegram", "Telegram", "messaging", "Bots and channels on Telegram.",
        "https://core.telegram.org/bots/api", icon_name="telegram",
        supported_profiles=[BYOK_STATIC], default_profile=BYOK_STATIC,
    ),
    _integration(
        "twilio", "Twilio", "messaging", "SMS and voice calls.", "https://www.twilio.com/docs",
    ),
    _integration(
        "slack", "Slack", "messaging", "Post to channels and read threads.",
        "https://api.slack.com", icon_name="slack",
    ),
    _integration(
        "sendgrid", "SendGrid", "email", "Transactional email.",
        "https://docs.sendgrid.com", type="sendgrid",
    ),
    _integration(
        "resend", "Resend", "email", "Email for developers.", "https://resend.com/docs",
    ),
    _integration(
        "pinecone", "Pinecone", "vector_db", "Managed vector database.",
        "https://docs.pinecone.io", type="pineconedb",
    ),
    _integration(
        "qdrant", "Qdrant", "vector_db", "Open-source vector search engine.",
        "https://qdrant.tech/documentation",
    ),
    _integration(
        "replicate", "Replicate", "llm", "Run open models in the cloud (being retired).",
        "https://replicate.com/docs", enabled=False,
    ),
]  # fmt: skip

# Demo workspace state: openrouter relies on the byok_static fallback (no flag); elevenlabs is
# enabled with its managed-pool stub; telegram was switched off.
_DEMO_CONNECTIONS = [("openrouter", BYOK_STATIC), ("elevenlabs", MANAGED_POOL)]
_DEMO_FLAGS = {"elevenlabs": True, "telegram": False}
_DEMO_USAGE = {
    "openrouter": (20, 40, 9_000),
    "elevenlabs": (5, 15, 30_000),
    "assemblyai": (2, 8, 12_000),
}


@dataclass(frozen=True)
class SeedReport:
    integrations: int
    usage_events: int


async def seed_demo(session: AsyncSession) -> SeedReport:
    created = await _seed_integrations(session)
    demo = await accounts.ensure_user(
        session=session, email=DEMO_EMAIL, workspace_slug=DEMO_WORKSPACE
    )
    await accounts.ensure_user(
        session=session, email=STAFF_EMAIL, staff=True, workspace_slug=STAFF_WORKSPACE
    )
    tenant = await session.scalar(select(Tenant).where(Tenant.owner_id == demo.id))
    assert tenant is not None
    await _seed_workspace_state(session, tenant)
    events = await _seed_usage(session, tenant)
    return SeedReport(integrations=created, usage_events=events)


async def _seed_integrations(session: AsyncSession) -> int:
    existing = set((await session.scalars(select(Integration.provider))).all())
    missing = [Integration(**row) for row in DEMO_INTEGRATIONS if row["provider"] not in existing]
    session.add_all(missing)
    await session.flush()
    return len(missing)


async def _seed_workspace_state(session: AsyncSession, tenant: Tenant) -> None:
    have = await session.scalar(
        select(func.count()).select_from(Connection).where(Connection.tenant_id == tenant.id)
    )
    if have:
        return
    session.add_all(
        Connection(tenant_id=tenant.id, provider=provider, profile=profile)
        for provider, profile in _DEMO_CONNECTIONS
    )
    ids = dict((await session.execute(select(Integration.provider, Integration.id))).all())
    for provider, enabled in _DEMO_FLAGS.items():
        await integrations.set_tenant_enabled(
            session=session,
            tenant_id=tenant.id,
            integration_id=ids[provider],
            enabled=enabled,
            now=utcnow(),
        )
    await session.flush()


async def _seed_usage(session: AsyncSession, tenant: Tenant) -> int:
    have = await session.scalar(
        select(func.count()).select_from(UsageEvent).where(UsageEvent.tenant_id == tenant.id)
    )
    if have:
        return 0
    rng = random.Random(42)
    now = utcnow()
    rows = []
    for day in range(USAGE_DAYS):
        start = now - timedelta(days=day)
        for provider, (low, high, cost) in _DEMO_USAGE.items():
            for _ in range(rng.randint(low, high)):
                rows.append(
                    {
                        "tenant_id": tenant.id,
                        "provider": provider,
                        "cost_micros": rng.randint(cost // 2, cost * 2),
                        "occurred_at": start - timedelta(seconds=rng.randint(0, 86_399)),
                    }
                )
    await session.execute(UsageEvent.__table__.insert(), rows)  # type: ignore[attr-defined]
    return len(rows)


async def database_is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Integration))
