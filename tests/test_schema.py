"""Generated files are checked: the exported SDL and the legacy operations."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from legacy_rest.documents import load_operation
from legacy_rest.routes import ROUTES
from resolvers.schema import build_schema

ROOT = Path(__file__).resolve().parents[1]


def test_schema_graphql_matches_the_code() -> None:
    exported = build_schema().as_str() + "\n"
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == exported, (
        "schema.graphql drifted: run `vendo-gateway export-schema -o schema.graphql`"
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_legacy_operation_is_valid_against_the_schema(route: object) -> None:
    schema = build_schema()._schema
    document = parse(load_operation(route.operation))  # type: ignore[attr-defined]
    assert validate(schema, document) == []
