"""The cheaper column types of the listings (``app.repositories._sql.listed``) and the UUID
printing memo read and print exactly what the standard types do."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Uuid, select
from sqlalchemy.dialects import sqlite
from sqlmodel.sql.sqltypes import UTCDateTime

from app.models import Integration, Release, Tool
from app.repositories._sql import ListedDateTime, ListedUuid, fetch_rows, listed
from app.repositories.integrations import LISTED_COLUMNS
from app.runtime import Runtime
from resolvers.engine.scalars import uuid_text

SQLITE = sqlite.dialect()


@pytest.mark.parametrize(
    "stored",
    [
        "2026-11-23 10:00:00.123456",  # what SQLAlchemy writes
        "2026-11-23 10:00:00.000000",
        "2026-11-23 10:00:00",
        "2024-02-29 23:59:59.999999",
        "2026-11-23 10:00:00.5",  # by hand: the standard parser decides
        "2026-11-23 10:00",
        "2026-11-23",
        None,
    ],
)
def test_listed_datetime_reads_sqlite_text_as_the_standard_type(stored: str | None) -> None:
    standard = UTCDateTime()._cached_result_processor(SQLITE, None)
    fast = ListedDateTime()._cached_result_processor(SQLITE, None)
    assert standard is not None
    assert fast is not None
    got, expected = fast(stored), standard(stored)
    assert got == expected
    if stored is not None:
        assert got.tzinfo is UTC
        assert got.isoformat() == expected.isoformat()


def test_listed_datetime_refuses_what_the_standard_type_refuses() -> None:
    standard = UTCDateTime()._cached_result_processor(SQLITE, None)
    fast = ListedDateTime()._cached_result_processor(SQLITE, None)
    assert standard is not None
    assert fast is not None
    for garbage, message in (
        ("2026-13-45 99:99:99.000000", "month must be in 1..12"),
        ("not a date at all!!", "Invalid isoformat string: 'not a date at all!!'"),
    ):
        with pytest.raises(ValueError, match=re.escape(message)):
            standard(garbage)
        with pytest.raises(ValueError, match=re.escape(message)):
            fast(garbage)


def test_listed_uuid_reads_as_the_standard_type_and_parses_each_text_once() -> None:
    standard = Uuid()._cached_result_processor(SQLITE, None)
    fast = ListedUuid()._cached_result_processor(SQLITE, None)
    assert standard is not None
    assert fast is not None
    value = uuid.uuid4()
    assert fast(value.hex) == standard(value.hex) == value
    assert fast(value.hex) is fast(value.hex)
    assert fast(None) is None


def test_uuid_text_is_str() -> None:
    value = uuid.uuid4()
    assert uuid_text(value) == str(value)
    assert uuid_text(value) is uuid_text(value)


async def test_listings_read_the_same_values_as_the_orm(runtime: Runtime, demo: None) -> None:
    """On the test database (SQLite, or PostgreSQL in CI): every listed column of every row,
    value and type, is what the ORM loads."""
    async with runtime.db.read() as session:
        for model, columns in (
            (Integration, LISTED_COLUMNS),
            (Tool, listed(Tool.__table__.columns)),  # type: ignore[attr-defined]
            (Release, listed(Release.__table__.columns)),  # type: ignore[attr-defined]
        ):
            rows = await fetch_rows(session, select(*columns).order_by(model.id))  # type: ignore[attr-defined]
            entities = (await session.scalars(select(model).order_by(model.id))).all()  # type: ignore[attr-defined]
            assert len(rows) == len(entities) > 0
            for row, entity in zip(rows, entities, strict=True):
                for name, value in row._asdict().items():
                    expected = getattr(entity, name)
                    assert value == expected, (model.__name__, name)
                    assert type(value) is type(expected), (model.__name__, name)
                    if isinstance(value, datetime):
                        assert value.tzinfo is UTC
