"""Custom scalars, registered through ``StrawberryConfig.scalar_map``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from strawberry.schema.types.base_scalars import UUIDDefinition
from strawberry.types.scalar import ScalarDefinition

from app.cache.memo import remembered

MAX_UUID_TEXTS = 50_000

Micros = NewType("Micros", int)


# ``str`` of a UUID, remembered per worker: a listing prints the same catalog ids request after
# request, twice per row (``id`` and ``databaseId``); formatting one is not free
# (docs/PERFORMANCE.md).
uuid_text: Callable[[uuid.UUID], str] = remembered(str, MAX_UUID_TEXTS)


def _parse_micros(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Micros must be an integer")
    return value


def serialize_datetime(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix and milliseconds, as docs/CONTRACT.md §3.7 prescribes."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("DateTime must carry a time zone")
    return parsed.astimezone(dt.UTC)


def _parse_decimal(value: object) -> Decimal:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError("Decimal must be a string or an integer")
    try:
        parsed = Decimal(value)
    except InvalidOperation as error:
        raise ValueError("Decimal must be a decimal number") from error
    if not parsed.is_finite():
        raise ValueError("Decimal must be finite")
    return parsed


SCALAR_MAP: dict[object, ScalarDefinition] = {
    # Strawberry's own UUID scalar, printing through the memo above.
    uuid.UUID: dataclasses.replace(UUIDDefinition, serialize=uuid_text),
    Decimal: strawberry.scalar(
        name="Decimal",
        description="An exact decimal number, as a string in plain notation (`0.0000036`).",
        serialize=lambda value: format(value, "f"),
        parse_value=_parse_decimal,
    ),
    Micros: strawberry.scalar(
        name="Micros",
        description="Money as an integer count of millionths of a US dollar (USD × 10⁶).",
        serialize=int,
        parse_value=_parse_micros,
    ),
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description="An instant, ISO 8601 in UTC with a `Z` suffix.",
        serialize=serialize_datetime,
        parse_value=_parse_datetime,
    ),
}
