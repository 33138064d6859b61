"""Column helpers shared by the table models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer
from sqlmodel import Column, Field

# Plain JSON on every database: PostgreSQL's jsonb would reorder object keys (by length), and
# stored documents such as wizard inputs go back to clients byte for byte in their stored order.
JSONType = JSON()
# SQLite only aliases ROWID (and so autoincrements) for a column declared exactly INTEGER.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Aware UTC. SQLModel stores datetimes as UTC and hands them back aware, on every database."""
    return datetime.now(UTC)


def json_field(*, default_factory: Any, nullable: bool = False) -> Any:
    """A JSON column whose default also applies to Core inserts and upserts."""
    column = Column(JSONType, nullable=nullable, default=default_factory)
    return Field(default_factory=default_factory, sa_column=column)
