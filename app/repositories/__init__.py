"""The only place SQL is written. Functions are async and keyword-only; each runs on the
``session`` it is given: an ``AsyncSession``, or for Core reads a ``Reader``."""

from __future__ import annotations

from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# A session, or a plain connection (``Database.connect``) for Core reads.
Reader: TypeAlias = AsyncSession | AsyncConnection

__all__ = ["Reader"]
