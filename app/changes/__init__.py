"""One change stream (docs/decisions/0150): every change a subscriber may be told of is a row of
the change log (``change_events``, with its id), delivered to this worker's subscribers by the
hub — from this worker's own commits, from other workers through Redis, and from the database
itself (PostgreSQL NOTIFY, or a poll of the log on SQLite) for rows other systems write."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

# Kinds of change. Integration changes carry the provider; connection changes the row's
# id, provider, profile and active flag (written by triggers, migration 0003); usage changes
# the provider (null when a statement inserted several), the number of events and their cost.
INTEGRATION = "integration"
CONNECTION = "connection"
USAGE = "usage"
# The credits ledger's entries (grants, top-ups), recorded in their transaction by
# ``app.repositories.wallet.add_credits``: the payload has the entry's kind and amount.
BALANCE = "balance"
# Recorded by the keys and bindings code (docs/decisions/0155; the names the events channel
# uses): payloads in snake_case, as that channel sends them.
KEY_REVOKED = "key.revoked"
BINDING_ADDED = "binding.added"
BINDING_REMOVED = "binding.removed"


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or type(value) is uuid.UUID:
        return value  # (asyncpg's own UUID subclass is made a plain one: orjson prints those)
    return uuid.UUID(str(value))


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    tenant_id: uuid.UUID | None  # None: every workspace (a catalog change)
    app_id: uuid.UUID | None
    kind: str
    subject: str
    payload: Mapping[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Change:
        """From the log's columns (``app.repositories.changes``), in their order."""
        id_, tenant_id, app_id, kind, subject, payload, created_at = row
        return cls(
            id=int(id_),
            tenant_id=_uuid(tenant_id),
            app_id=_uuid(app_id),
            kind=str(kind),
            subject=str(subject),
            payload=payload if isinstance(payload, Mapping) else orjson.loads(payload),
            created_at=_moment(created_at),
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Change:
        """From a message: ours on Redis, or a NOTIFY of the triggers (``row_to_json``)."""
        value = orjson.loads(data)
        return cls.from_row(
            tuple(
                value[name]
                for name in (
                    "id",
                    "tenant_id",
                    "app_id",
                    "kind",
                    "subject",
                    "payload",
                    "created_at",
                )
            )
        )

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "tenant_id": self.tenant_id,
                "app_id": self.app_id,
                "kind": self.kind,
                "subject": self.subject,
                "payload": self.payload,
                "created_at": self.created_at,
            }
        )
