"""What a running gateway holds for its lifetime: settings, database, cache, limits, upstreams."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from app.cache.shared import Cache
from app.cache.snapshots import Snapshots
from app.changes.stream import ChangeStream
from app.db import Database, create_database
from app.limits import RateLimits
from app.services.jwks import JwksKeys
from app.services.pricing import PricingCatalog
from app.services.secrets import SecretBox, parse_keys
from app.settings import Settings
from app.web.draining import Draining


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    limits: RateLimits
    http: httpx.AsyncClient
    pricing: PricingCatalog
    secrets: SecretBox
    snapshots: Snapshots
    changes: ChangeStream
    jwks: JwksKeys | None = None  # the published identity-token keys, when configured
    # Set when the server starts to stop: open streams end cleanly (docs/decisions/0159).
    draining: Draining = field(default_factory=Draining)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        cache = Cache.from_settings(settings)
        http = httpx.AsyncClient(follow_redirects=False)
        db = create_database(settings)
        return cls(
            settings=settings,
            db=db,
            cache=cache,
            limits=RateLimits(settings),
            http=http,
            pricing=PricingCatalog(settings, cache, http),
            secrets=secret_box(settings),
            snapshots=Snapshots(cache, max_age=settings.catalog_snapshot_seconds),
            changes=ChangeStream(settings, db),
            jwks=JwksKeys(settings.jwt_jwks_url, http) if settings.jwt_jwks_url else None,
        )

    def start(self) -> None:
        """Background work of a running gateway (cache invalidation messages, the change
        stream's listeners)."""
        self.cache.start()
        self.changes.start(self.draining.started)

    async def close(self) -> None:
        if self.jwks is not None:
            await self.jwks.close()
        await self.http.aclose()
        await self.changes.close()
        await self.limits.close()
        await self.cache.close()
        await self.db.dispose()


def secret_box(settings: Settings) -> SecretBox:
    keys = settings.secret_keys.get_secret_value() if settings.secret_keys else None
    return SecretBox(parse_keys(keys))
