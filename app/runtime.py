"""What a running gateway holds for its lifetime: settings, database, cache, limits."""

from __future__ import annotations

from dataclasses import dataclass

from app.caching import Cache
from app.db import Database, create_database
from app.limits import RateLimits
from app.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    limits: RateLimits

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=create_database(settings),
            cache=Cache.from_settings(settings),
            limits=RateLimits(settings),
        )

    async def close(self) -> None:
        await self.cache.close()
        await self.db.dispose()
