"""The benchmark dataset: a catalog, tenants and 90 days of usage, generated deterministically
(seeded RNG, times relative to an anchor hour) and bulk-loaded into SQLite or PostgreSQL.

    python -m bench.dataset --database-url sqlite+aiosqlite:///bench/.data/bench.db
    python -m bench.dataset --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/vendo_bench

The schema always comes from the app's own migrations (``app.migrations.upgrade``). Rows are
built as the ORM would build them (small tables go through the SQLModel constructors, so their
defaults apply) and every value is converted by the column type's own SQLAlchemy bind processor
for the target dialect — the exact text the app writes on SQLite (UUIDs as 32 hex characters,
``YYYY-MM-DD HH:MM:SS.ffffff`` UTC datetimes, ``json.dumps`` JSON with ``null`` for None), and
the values asyncpg encodes on PostgreSQL. The loader then bypasses the ORM: ``executemany`` over
the sync ``sqlite3`` module, ``copy_records_to_table`` on PostgreSQL, with the usage indexes
dropped during the load and recreated from their own definitions afterwards.

What it holds (defaults): the demo catalog of ``app.seed_data`` plus generated rows — 1,000
integrations (5 % disabled) with meters and APIs, category fallbacks, 500 tools each with an
active deploy-ready release whose ``requires`` names real providers (plus older inactive
releases), 1,000 tenants with their owners, connections, toggles and 2,000 apps bound to their
connections, and 1,000,000 usage events over the last 90 days. Tenants' volumes follow a Zipf law:
the demo workspace (``demo@vendo.local``) is the heaviest, the lightest get ~130 events. The staff
user ``admin@vendo.local`` owns an extra, empty workspace.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg as pg_dialect_module
from sqlalchemy.dialects.sqlite import aiosqlite as sqlite_dialect_module
from sqlmodel import SQLModel

from app import seed_data
from app.migrations import head_revision, upgrade
from app.models import (
    AVAILABLE,
    BYOK_STATIC,
    INSTALLED,
    MANAGED_POOL,
    App,
    AppConnectionBinding,
    CategoryFallback,
    Connection,
    Integration,
    IntegrationApi,
    Meter,
    Release,
    Tenant,
    TenantIntegration,
    Tool,
    User,
)

GENERATOR_VERSION = 1
BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / ".data"
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{DATA_DIR / 'bench.db'}"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/vendo_bench"

DEMO_EMAIL, DEMO_SLUG = "demo@vendo.local", "demo"
STAFF_EMAIL, STAFF_SLUG = "admin@vendo.local", "admin"
USAGE_PROVIDER = "openrouter"  # the demo workspace's heaviest stream (usage trend scenarios)

CATEGORIES = (
    "llm", "voice", "speech", "messaging", "email", "vector_db", "search", "storage",
    "analytics", "payments", "crm", "monitoring",
)  # fmt: skip
TOOL_CATEGORIES = (
    "agent", "voice", "messaging", "email", "analytics", "automation", "support", "research",
)  # fmt: skip
STEMS = (
    "nimbus", "quanta", "lumen", "vertex", "cobalt", "aurora", "zephyr", "orbit", "pulse",
    "ember", "delta", "sigma", "nova", "atlas", "onyx", "prism", "relay", "harbor", "cinder",
    "falcon", "summit", "tidal", "vector", "willow", "apex", "beacon", "cascade", "drift",
    "echo", "flux", "glacier", "helix", "ion", "juniper", "kestrel", "lattice", "meridian",
)  # fmt: skip
BULK_TYPES = ("openai", "anthropic", "mistral", "cohere", "pineconedb", "weaviatedb", "sendgrid")
CATEGORY_FALLBACKS = {"analytics": 400_000, "automation": 600_000, "research": 2_000_000}


@dataclass(frozen=True)
class Params:
    seed: int = 42
    events: int = 1_000_000
    integrations: int = 1_000
    tools: int = 500
    apps: int = 2_000
    tenants: int = 1_000  # the demo workspace included; the staff workspace comes on top
    days: int = 90
    zipf: float = 1.0  # tenant volume ∝ 1 / rank^zipf

    def fingerprint(self) -> dict[str, Any]:
        return {"generator": GENERATOR_VERSION, "source": _source_hash(), **asdict(self)}


@dataclass
class Dataset:
    params: Params
    now: datetime
    tables: dict[str, list[Any]] = field(default_factory=dict)  # table → SQLModel instances
    # usage events: (tenant id, provider, app id or None, cost micros, occurred_at µs since epoch)
    events: list[tuple[uuid.UUID, str, uuid.UUID | None, int, int]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            **{name: len(rows) for name, rows in self.tables.items()},
            "usage_events": len(self.events),
        }


def _source_hash() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def anchor_now() -> datetime:
    """The current UTC hour: two builds within the hour are identical."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


# Generation


class _Gen:
    def __init__(self, params: Params, now: datetime) -> None:
        self.p = params
        self.now = now
        self.rng = random.Random(params.seed)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def ago(self, max_days: float, min_days: float = 0.0) -> datetime:
        seconds = self.rng.uniform(min_days * 86_400, max_days * 86_400)
        return (self.now - timedelta(seconds=seconds)).replace(
            microsecond=self.rng.randrange(10**6)
        )

    def zipf_pick(self, items: Sequence[Any], k: int, exponent: float = 0.8) -> list[Any]:
        """``k`` distinct items, earlier ones more likely."""
        k = min(k, len(items))
        weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
        chosen: dict[int, None] = {}
        while len(chosen) < k:
            for index in self.rng.choices(range(len(items)), weights=weights, k=k - len(chosen)):
                chosen.setdefault(index, None)
        return [items[index] for index in list(chosen)[:k]]


def generate(params: Params, now: datetime | None = None) -> Dataset:
    gen = _Gen(params, now or anchor_now())
    data = Dataset(params=params, now=gen.now)
    integrations = _integrations(gen, data)
    popular = [row.provider for row in integrations if row.enabled]  # most popular first
    by_provider = {row.provider: row for row in integrations}
    tools, releases = _tools(gen, data, popular)
    _tenants(gen, data, by_provider, popular, tools, releases)
    return data


def _integrations(gen: _Gen, data: Dataset) -> list[Integration]:
    rng = gen.rng
    rows: list[Integration] = []
    for seed_row in seed_data.INTEGRATIONS:
        created = gen.ago(700, 400)
        rows.append(Integration(id=gen.uid(), created_at=created, updated_at=created, **seed_row))
    generated: list[Integration] = []
    for index in range(gen.p.integrations - len(rows)):
        stem, category = STEMS[index % len(STEMS)], rng.choice(CATEGORIES)
        provider = f"{stem}-{category.replace('_', '-')}-{index:04d}"
        profiles = [MANAGED_POOL]
        roll = rng.random()
        if roll < 0.3:
            profiles = [MANAGED_POOL, BYOK_STATIC]
        elif roll < 0.35:
            profiles = [BYOK_STATIC]
        created = gen.ago(700, 1)
        env = None
        if rng.random() < 0.4:
            env = {"vars": [f"{stem.upper()}_{index}_API_KEY"], "restart": "gateway"}
        generated.append(
            Integration(
                id=gen.uid(),
                provider=provider,
                name=f"{stem.title()} {category.replace('_', ' ').title()} {index}",
                description=f"{stem.title()} offers {category.replace('_', ' ')} services "
                f"through the Vendo gateway (catalog entry {index}).",
                category=category,
                type=rng.choice(BULK_TYPES) if rng.random() < 0.3 else None,
                enabled=rng.random() >= 0.05,
                default_profile=profiles[0],
                supported_profiles=profiles,
                logo_url=f"https://vendo.run/logos/{provider}.svg",
                icon_name=stem if rng.random() < 0.2 else None,
                docs_url=f"https://docs.{stem}.example/{index}",
                env_bootstrap=env,
                tags=[{"key": "tier", "value": rng.choice(["beta", "ga"])}]
                if rng.random() < 0.1
                else [],
                created_at=created,
                updated_at=created + timedelta(days=rng.uniform(0, 30)),
            )
        )
    rng.shuffle(generated)  # popularity order among generated providers
    rows.extend(generated)
    ids = {row.provider: row.id for row in rows}
    meters = [
        Meter(
            id=gen.uid(),
            integration_id=ids[p],
            key=k,
            label=label,
            unit=unit,
            rate_micros=rate,
            public=public,
        )
        for p, k, label, unit, rate, public in seed_data.METERS
    ]
    apis: list[IntegrationApi] = []
    for row in generated:
        if rng.random() < 0.4:
            for n in range(rng.randint(1, 3)):
                meters.append(
                    Meter(
                        id=gen.uid(),
                        integration_id=row.id,
                        key=f"unit_{n}",
                        label=f"Billable unit {n}",
                        unit=rng.choice(["1M tokens", "minute", "1K requests", "GB"]),
                        rate_micros=rng.randint(1_000, 20_000_000),
                        public=rng.random() < 0.7,
                    )
                )
        if row.type is not None:
            apis.extend(
                IntegrationApi(
                    id=gen.uid(),
                    integration_id=row.id,
                    api=f"model-{n}",
                    description=f"Model {n} of {row.name}",
                    created_at=row.created_at,
                )
                for n in range(rng.randint(1, 3))
            )
    fallbacks = {**seed_data.CATEGORY_FALLBACKS, **CATEGORY_FALLBACKS}
    data.tables["integrations"] = rows
    data.tables["integration_apis"] = apis
    data.tables["meters"] = meters
    data.tables["category_fallbacks"] = [
        CategoryFallback(category=category, daily_spend_micros=micros)
        for category, micros in fallbacks.items()
    ]
    return rows


def _layout(providers: list[str]) -> dict[str, Any]:
    return {
        "version": 1,
        "subSteps": [
            {
                "id": "connect",
                "title": "Connect integrations",
                "sections": [{"type": "integration", "providers": providers}],
            },
            {
                "id": "configure",
                "title": "Configure",
                "sections": [{"type": "inputs", "keys": ["TIMEZONE"]}],
            },
        ],
    }


def _tools(
    gen: _Gen, data: Dataset, popular: list[str]
) -> tuple[list[Tool], dict[uuid.UUID, Release]]:
    rng = gen.rng
    tools: list[Tool] = []
    releases: list[Release] = []
    active: dict[uuid.UUID, Release] = {}
    for slug, (row, release) in seed_data.TOOLS.items():
        created = gen.ago(500, 200)
        tool = Tool(id=gen.uid(), slug=slug, created_at=created, updated_at=created, **row)
        tools.append(tool)
        if release is not None:
            active[tool.id] = Release(id=gen.uid(), tool_id=tool.id, created_at=created, **release)
            releases.append(active[tool.id])
    timezone = {"key": "TIMEZONE", "label": "Timezone", "type": "string", "required": False}
    for index in range(gen.p.tools - len(tools)):
        stem, category = STEMS[(index * 7) % len(STEMS)], rng.choice(TOOL_CATEGORIES)
        slug = f"{stem}-{category}-{index:03d}"
        created = gen.ago(500, 10)
        roll = rng.random()
        marketing: dict[str, Any] = {}
        if roll < 0.1:
            marketing = {"featured": True}
        elif roll < 0.12:
            marketing = {"internal": True}
        tool = Tool(
            id=gen.uid(),
            slug=slug,
            name=f"{stem.title()} {category.title()} {index}",
            description=f"A {category} tool built on the Vendo gateway ({index}).",
            category=category,
            enabled=rng.random() >= 0.03,
            marketing=marketing,
            created_at=created,
            updated_at=created + timedelta(days=rng.uniform(0, 10)),
        )
        tools.append(tool)
        chosen = gen.zipf_pick(popular, rng.randint(1, 7))
        split = rng.randint(1, min(3, len(chosen)))
        required, optional = chosen[:split], chosen[split:]
        for old in range(rng.randint(0, 2)):  # superseded releases
            releases.append(
                Release(
                    id=gen.uid(),
                    tool_id=tool.id,
                    version=f"0.{old}.0",
                    active=False,
                    deploy_ready=True,
                    requires={"required": required[:1], "optional": []},
                    created_at=created + timedelta(days=old),
                )
            )
        current = Release(
            id=gen.uid(),
            tool_id=tool.id,
            version=f"1.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
            active=True,
            deploy_ready=True,
            requires={"required": required, "optional": optional},
            wizard_inputs=[timezone] if rng.random() < 0.5 else None,
            wizard_layout=_layout(required) if rng.random() < 0.3 else None,
            auth_mode="supabase" if rng.random() < 0.5 else None,
            source_repo=f"https://github.com/runvendo/{slug}",
            icon_url=f"https://vendo.run/logos/{slug}.svg" if rng.random() < 0.6 else None,
            created_at=created + timedelta(days=3),
        )
        releases.append(current)
        active[tool.id] = current
    data.tables["tools"] = tools
    data.tables["releases"] = releases
    return tools, active


def _providers_of(release: Release | None, key: str) -> list[str]:
    if release is None:
        return []
    value = release.requires.get(key) if isinstance(release.requires, dict) else None
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


def _tenants(
    gen: _Gen,
    data: Dataset,
    by_provider: dict[str, Integration],
    popular: list[str],
    tools: list[Tool],
    releases: dict[uuid.UUID, Release],
) -> None:
    rng = gen.rng
    p = gen.p
    users: list[User] = []
    tenants: list[Tenant] = []
    for rank in range(p.tenants):
        email = DEMO_EMAIL if rank == 0 else f"user{rank:04d}@bench.vendo.local"
        slug = DEMO_SLUG if rank == 0 else f"user{rank:04d}"
        created = gen.ago(400, p.days + 1)
        user = User(id=gen.uid(), email=email, created_at=created)
        users.append(user)
        tenants.append(
            Tenant(
                id=gen.uid(),
                slug=slug,
                name=f"{email.split('@')[0]}'s workspace",
                owner_id=user.id,
                created_at=created,
            )
        )
    staff = User(id=gen.uid(), email=STAFF_EMAIL, is_staff=True, created_at=gen.ago(400, 300))
    users.append(staff)
    staff_tenant = Tenant(
        id=gen.uid(),
        slug=STAFF_SLUG,
        name="admin's workspace",
        owner_id=staff.id,
        created_at=staff.created_at,
    )

    # Connections: heavy tenants use many providers, light ones a couple.
    connections: list[Connection] = []
    tenant_connections: list[dict[str, Connection]] = []
    for rank, tenant in enumerate(tenants):
        wanted = 2 + int(28 / (1 + rank / 10)) + rng.randint(0, 3)
        mine: dict[str, Connection] = {}
        if rank == 0:
            for provider, profile in (("openrouter", BYOK_STATIC), ("elevenlabs", MANAGED_POOL)):
                mine[provider] = Connection(
                    id=gen.uid(),
                    tenant_id=tenant.id,
                    provider=provider,
                    profile=profile,
                    created_at=gen.ago(p.days + 30, p.days),
                )
        skip = {"telegram", "assemblyai"} if rank == 0 else set()
        for provider in gen.zipf_pick(popular, wanted):
            if provider in mine or provider in skip:
                continue
            profiles = list(by_provider[provider].supported_profiles)
            profile = BYOK_STATIC if BYOK_STATIC in profiles and rng.random() < 0.4 else profiles[0]
            mine[provider] = Connection(
                id=gen.uid(),
                tenant_id=tenant.id,
                provider=provider,
                profile=profile,
                active=rng.random() >= 0.05,
                label="Production key" if rng.random() < 0.3 else None,
                created_at=gen.ago(p.days + 60, p.days),
            )
        connections.extend(mine.values())
        tenant_connections.append(mine)

    # Apps: the demo workspace's two seed apps first, then 2,000 in all, skewed to heavy tenants.
    tool_by_slug = {tool.slug: tool for tool in tools}
    deployable = [tool for tool in tools if tool.id in releases and tool.enabled]
    apps: list[App] = []
    bindings: list[AppConnectionBinding] = []
    app_providers: dict[uuid.UUID, list[str]] = {}
    tenant_apps: list[list[App]] = [[] for _ in tenants]

    def add_app(rank: int, tool: Tool, name: str, bound: list[str] | None = None) -> App:
        tenant, mine = tenants[rank], tenant_connections[rank]
        release = releases.get(tool.id)
        if bound is None:
            bound = []
            for provider in _providers_of(release, "required"):
                if provider not in mine:
                    profiles = list(by_provider[provider].supported_profiles)
                    mine[provider] = Connection(
                        id=gen.uid(),
                        tenant_id=tenant.id,
                        provider=provider,
                        profile=profiles[0],
                        created_at=gen.ago(p.days + 30, p.days),
                    )
                    connections.append(mine[provider])
                bound.append(provider)
            extra = _providers_of(release, "optional")
            if tool.surface_all_connections:
                extra = list(mine)
            for provider in extra:
                if provider in mine and provider not in bound and rng.random() < 0.7:
                    bound.append(provider)
                if len(bound) >= 6:
                    break
        app = App(
            id=gen.uid(),
            tenant_id=tenant.id,
            tool_id=tool.id,
            name=name,
            created_at=gen.ago(p.days + 20, p.days),
        )
        apps.append(app)
        tenant_apps[rank].append(app)
        app_providers[app.id] = bound
        bindings.extend(
            AppConnectionBinding(
                app_id=app.id, connection_id=mine[provider].id, created_at=app.created_at
            )
            for provider in bound
        )
        return app

    hermes = add_app(0, tool_by_slug["hermes"], "My Hermes", ["openrouter"])
    voice = add_app(0, tool_by_slug["scribe"], "Voice notes", ["elevenlabs"])
    weights = [1 / math.sqrt(rank + 1) for rank in range(len(tenants))]
    tool_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(deployable))]
    for rank in rng.choices(range(len(tenants)), weights=weights, k=p.apps - len(apps)):
        tool = rng.choices(deployable, weights=tool_weights)[0]
        add_app(rank, tool, f"{tool.name} #{len(tenant_apps[rank]) + 1}")

    # Toggles and install state.
    states: list[TenantIntegration] = []
    for rank, tenant in enumerate(tenants):
        flags: dict[str, bool] = {}
        if rank == 0:
            flags = {"elevenlabs": True, "telegram": False}
        mine = list(tenant_connections[rank])
        for provider in rng.sample(mine, min(len(mine), rng.randint(0, 4))):
            flags.setdefault(provider, rng.random() < 0.8)
        for provider, enabled in flags.items():
            installed = rng.random() < 0.1
            updated = gen.ago(p.days)
            states.append(
                TenantIntegration(
                    tenant_id=tenant.id,
                    integration_id=by_provider[provider].id,
                    enabled=enabled,
                    status=INSTALLED if installed else AVAILABLE,
                    installed_at=updated if installed else None,
                    params={"region": "eu"} if installed else {},
                    updated_at=updated,
                )
            )

    data.tables["users"] = users
    data.tables["tenants"] = [*tenants, staff_tenant]
    data.tables["connections"] = connections
    data.tables["tenant_integrations"] = states
    data.tables["apps"] = apps
    data.tables["app_connection_bindings"] = bindings
    _usage(gen, data, tenants, tenant_connections, tenant_apps, app_providers, hermes, voice)
    data.facts = {
        "demo_tenant_id": str(tenants[0].id),
        "demo_user_id": str(users[0].id),
        "demo_app_ids": {app.name: str(app.id) for app in tenant_apps[0]},
        "demo_hermes_app_id": str(hermes.id),
        "usage_provider": USAGE_PROVIDER,
        "demo_usage_events": sum(1 for event in data.events if event[0] == tenants[0].id),
        "demo_usage_provider_events": sum(
            1 for e in data.events if e[0] == tenants[0].id and e[1] == USAGE_PROVIDER
        ),
        "enabled_integrations": sum(1 for row in data.tables["integrations"] if row.enabled),
    }


def _usage(
    gen: _Gen,
    data: Dataset,
    tenants: list[Tenant],
    tenant_connections: list[dict[str, Connection]],
    tenant_apps: list[list[App]],
    app_providers: dict[uuid.UUID, list[str]],
    hermes: App,
    voice: App,
) -> None:
    """Events per tenant ∝ 1/rank^zipf; within a tenant, streams (provider, app) are skewed too."""
    rng, p = gen.rng, gen.p
    weights = [1 / (rank + 1) ** p.zipf for rank in range(len(tenants))]
    total = sum(weights)
    exact = [p.events * w / total for w in weights]
    counts = [int(x) for x in exact]
    for rank in sorted(range(len(tenants)), key=lambda r: counts[r] - exact[r])[
        : p.events - sum(counts)
    ]:
        counts[rank] += 1
    base_cost: dict[str, int] = {}
    now_us = int(gen.now.timestamp() * 1_000_000)
    span_us = p.days * 86_400 * 1_000_000
    events: list[tuple[uuid.UUID, str, uuid.UUID | None, int, int]] = []
    for rank, tenant in enumerate(tenants):
        streams: list[tuple[str, uuid.UUID | None]] = []
        bound: set[str] = set()
        for app in tenant_apps[rank]:
            for provider in app_providers[app.id]:
                streams.append((provider, app.id))
                bound.add(provider)
        streams.extend(
            (provider, None) for provider in tenant_connections[rank] if provider not in bound
        )
        rng.shuffle(streams)
        if rank == 0:  # the demo workspace's seed streams lead, openrouter first
            lead = [("openrouter", hermes.id), ("elevenlabs", voice.id), ("assemblyai", voice.id)]
            streams = lead + [s for s in streams if s not in lead]
        cumulative, running = [], 0.0
        for index in range(len(streams)):
            running += 1 / (index + 1) ** 1.2
            cumulative.append(running)
        for provider, _ in streams:
            if provider not in base_cost:
                base_cost[provider] = int(math.exp(rng.gauss(9.0, 1.0)))
        random_ = rng.random
        tenant_id = tenant.id
        for provider, app_id in rng.choices(streams, cum_weights=cumulative, k=counts[rank]):
            cost = base_cost[provider]
            events.append(
                (
                    tenant_id,
                    provider,
                    app_id,
                    int(cost * (0.5 + 1.5 * random_())),
                    now_us - 1 - int(random_() * span_us),
                )
            )
    events.sort(key=lambda event: event[4])  # ids grow with time, as in production
    data.events = events


# Encoding: each column's own bind processor for the target dialect


def _sqlite_dialect() -> Any:
    return sqlite_dialect_module.dialect()


def _pg_dialect() -> Any:
    return pg_dialect_module.dialect()


def _processors(
    table_name: str, columns: Sequence[str], dialect: Any
) -> list[Callable[[Any], Any] | None]:
    table = SQLModel.metadata.tables[table_name]
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


def _columns(table_name: str) -> list[str]:
    return [column.name for column in SQLModel.metadata.tables[table_name].columns]


def encode(
    table_name: str, rows: Iterable[Any], dialect: Any
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """SQLModel instances → (columns, tuples of driver values) for ``dialect``."""
    columns = _columns(table_name)
    processors = _processors(table_name, columns, dialect)
    encoded = []
    for row in rows:
        values = []
        for name, process in zip(columns, processors, strict=True):
            value = getattr(row, name)
            values.append(process(value) if process is not None else value)
        encoded.append(tuple(values))
    return columns, encoded


EVENT_COLUMNS = ["tenant_id", "provider", "app_id", "cost_micros", "occurred_at"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_events(
    data: Dataset, dialect: Any, batch: int = 100_000
) -> Iterator[list[tuple[Any, ...]]]:
    uuid_process, _, _, _, time_process = _processors("usage_events", EVENT_COLUMNS, dialect)
    ids: dict[uuid.UUID | None, Any] = {None: None}

    def as_id(value: uuid.UUID | None) -> Any:
        if value not in ids:
            ids[value] = uuid_process(value) if uuid_process else value
        return ids[value]

    chunk: list[tuple[Any, ...]] = []
    for tenant_id, provider, app_id, cost, at_us in data.events:
        moment = _EPOCH + timedelta(microseconds=at_us)
        at = time_process(moment) if time_process else moment
        chunk.append((as_id(tenant_id), provider, as_id(app_id), cost, at))
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


LOAD_ORDER = (
    "users", "tenants", "integrations", "integration_apis", "meters", "category_fallbacks",
    "tools", "releases", "connections", "tenant_integrations", "apps", "app_connection_bindings",
)  # fmt: skip


# Loading


def _log(message: str) -> None:
    print(message, flush=True)


def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def load_sqlite(url: str, data: Dataset) -> dict[str, float]:
    timings: dict[str, float] = {}
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".building")
    for path in (building, *_sidecars(building)):
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    upgrade(f"sqlite+aiosqlite:///{building}")
    timings["migrate"] = time.perf_counter() - started
    connection = sqlite3.connect(building, isolation_level=None)
    try:
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-262144",
            "temp_store=MEMORY",
        ):
            connection.execute(f"PRAGMA {pragma}")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = "
            "'usage_events' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        dialect = _sqlite_dialect()
        started = time.perf_counter()
        connection.execute("BEGIN")
        for table in LOAD_ORDER:
            columns, rows = encode(table, data.tables[table], dialect)
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(f'"{c}"' for c in columns)
            connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        timings["catalog_and_tenants"] = time.perf_counter() - started
        started = time.perf_counter()
        names = ", ".join(EVENT_COLUMNS)
        insert = f"INSERT INTO usage_events ({names}) VALUES (?, ?, ?, ?, ?)"
        for chunk in encode_events(data, dialect):
            connection.executemany(insert, chunk)
        connection.execute("COMMIT")
        timings["usage_events"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, sql in indexes:
            connection.execute(sql)
        timings["usage_indexes"] = time.perf_counter() - started
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    for path in _sidecars(target):  # a stale WAL must never be replayed over the new file
        path.unlink(missing_ok=True)
    os.replace(building, target)
    return timings


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    dsn = asyncpg_dsn(url)
    base, name = dsn.rsplit("/", 1)
    return f"{base}/postgres", name.split("?", 1)[0]


async def _recreate_pg_database(url: str) -> None:
    import asyncpg

    admin, name = _pg_admin_dsn(url)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


PG_USAGE_DAILY = """
    INSERT INTO usage_daily (tenant_id, provider, day, events, cost_micros)
    SELECT tenant_id, provider, (occurred_at AT TIME ZONE 'UTC')::date, count(*), sum(cost_micros)
    FROM usage_events GROUP BY 1, 2, 3
"""
PG_USAGE_MONTHLY = """
    INSERT INTO usage_monthly (tenant_id, month, events, cost_micros)
    SELECT tenant_id, date_trunc('month', day)::date, sum(events), sum(cost_micros)
    FROM usage_daily GROUP BY 1, 2
"""


async def _load_pg_rows(url: str, data: Dataset) -> dict[str, float]:
    import asyncpg

    timings: dict[str, float] = {}
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        # Rows are consistent by construction: skip the per-row FK triggers during the load.
        await connection.execute("SET session_replication_role = replica")
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'usage_events' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for row in indexes:
            await connection.execute(f'DROP INDEX "{row["indexname"]}"')
        dialect = _pg_dialect()
        started = time.perf_counter()
        async with connection.transaction():
            for table in LOAD_ORDER:
                columns, rows = encode(table, data.tables[table], dialect)
                await connection.copy_records_to_table(table, records=rows, columns=columns)
        timings["catalog_and_tenants"] = time.perf_counter() - started
        started = time.perf_counter()
        async with connection.transaction():
            for chunk in encode_events(data, dialect, batch=200_000):
                await connection.copy_records_to_table(
                    "usage_events", records=chunk, columns=EVENT_COLUMNS
                )
        timings["usage_events"] = time.perf_counter() - started
        started = time.perf_counter()
        # The replica role also kept the rollup triggers (migrations 0002, 0006) from running:
        # the rollups are built as those migrations' backfills build them.
        async with connection.transaction():
            await connection.execute(PG_USAGE_DAILY)
            await connection.execute(PG_USAGE_MONTHLY)
        timings["usage_rollups"] = time.perf_counter() - started
        started = time.perf_counter()
        for row in indexes:
            await connection.execute(row["indexdef"])
        timings["usage_indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        # What autovacuum would have done by the time a real table holds 1M events.
        await connection.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.perf_counter() - started
    finally:
        await connection.close()
    return timings


def load_postgres(url: str, data: Dataset) -> dict[str, float]:
    started = time.perf_counter()
    asyncio.run(_recreate_pg_database(url))
    upgrade(url)
    timings = {"migrate": time.perf_counter() - started}
    timings.update(asyncio.run(_load_pg_rows(url, data)))
    return timings


# Metadata: is the database there the one these parameters would build?


def meta_path(url: str) -> Path:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return path.with_name(path.name + ".bench.json")
    key = hashlib.sha256(url.encode()).hexdigest()[:10]
    return DATA_DIR / f"postgres-{asyncpg_dsn(url).rsplit('/', 1)[1]}-{key}.bench.json"


def read_meta(url: str) -> dict[str, Any] | None:
    try:
        return json.loads(meta_path(url).read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


async def _count_events(url: str) -> int | None:
    try:
        if url.startswith("sqlite"):
            path = sqlite_path(url)
            if not path.exists():
                return None
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                return int(connection.execute("SELECT count(*) FROM usage_events").fetchone()[0])
            finally:
                connection.close()
        import asyncpg

        pg = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return int(await pg.fetchval("SELECT count(*) FROM usage_events"))
        finally:
            await pg.close()
    except Exception:
        return None


def stale_reason(url: str, params: Params, max_age_hours: float) -> str | None:
    """Why the database at ``url`` must be rebuilt, or None when it can be reused."""
    meta = read_meta(url)
    if meta is None:
        return "no dataset metadata"
    if meta.get("fingerprint") != params.fingerprint():
        return "generator or parameters changed"
    if meta.get("head_revision") != head_revision():
        return "migrations changed"
    age = datetime.now(UTC) - datetime.fromisoformat(meta["now"])
    if age > timedelta(hours=max_age_hours):
        return f"older than {max_age_hours:g} h (usage windows are relative to now)"
    if asyncio.run(_count_events(url)) != meta["counts"]["usage_events"]:
        return "usage_events count differs"
    return None


def build(url: str, params: Params, now: datetime | None = None) -> dict[str, Any]:
    """Generate and load; returns (and writes) the dataset metadata."""
    meta_path(url).unlink(missing_ok=True)
    started = time.perf_counter()
    data = generate(params, now)
    generate_seconds = time.perf_counter() - started
    _log(
        f"generated {len(data.events):,} usage events, {len(data.tables['integrations']):,} "
        f"integrations, {len(data.tables['tools']):,} tools, {len(data.tables['apps']):,} apps, "
        f"{len(data.tables['tenants']):,} tenants in {generate_seconds:.1f} s"
    )
    started = time.perf_counter()
    if url.startswith("sqlite"):
        timings = load_sqlite(url, data)
    elif url.startswith("postgresql"):
        timings = load_postgres(url, data)
    else:
        raise SystemExit(f"unsupported database url: {url}")
    load_seconds = time.perf_counter() - started
    detail = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    _log(f"loaded into {url.split(':', 1)[0]} in {load_seconds:.1f} s ({detail})")
    meta = {
        "fingerprint": params.fingerprint(),
        "head_revision": head_revision(),
        "now": data.now.isoformat(),
        "built_at": datetime.now(UTC).isoformat(),
        "counts": data.counts(),
        "facts": data.facts,
        "generate_seconds": round(generate_seconds, 2),
        "load_seconds": round(load_seconds, 2),
        "load_timings": {name: round(seconds, 2) for name, seconds in timings.items()},
    }
    path = meta_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def ensure(
    url: str, params: Params, *, max_age_hours: float = 24.0, force: bool = False
) -> dict[str, Any]:
    reason = "--rebuild" if force else stale_reason(url, params, max_age_hours)
    if reason is None:
        meta = read_meta(url)
        assert meta is not None
        _log(f"reusing the dataset at {_redact(url)} (built {meta['built_at']})")
        return meta
    _log(f"building the dataset at {_redact(url)}: {reason}")
    return build(url, params)


def _redact(url: str) -> str:
    return url.split("@", 1)[-1] if "@" in url else url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", default=DEFAULT_SQLITE_URL)
    parser.add_argument("--events", type=int, default=Params.events)
    parser.add_argument("--seed", type=int, default=Params.seed)
    parser.add_argument(
        "--now",
        help="anchor instant (ISO 8601, UTC); default: the current hour. Same seed + anchor "
        "gives the same rows.",
    )
    parser.add_argument(
        "--if-stale", action="store_true", help="keep the database when it is already up to date"
    )
    args = parser.parse_args(argv)
    params = Params(seed=args.seed, events=args.events)
    now = datetime.fromisoformat(args.now).astimezone(UTC) if args.now else None
    started = time.perf_counter()
    if args.if_stale and now is None:
        ensure(args.database_url, params)
    else:
        build(args.database_url, params, now)
    _log(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
