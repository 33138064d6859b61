"""Generated and example documentation stays true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from legacy_rest.docs import markdown
from resolvers.schema import build_schema

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", (DOCS / "GRAPHQL_EXAMPLES.md").read_text(), re.S)


def test_rest_to_graphql_table_matches_the_route_table() -> None:
    committed = (DOCS / "REST_TO_GRAPHQL.md").read_text()
    assert committed == markdown(), "run `python -m legacy_rest.docs > docs/REST_TO_GRAPHQL.md`"


def test_graphql_examples_exist() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("document", EXAMPLES, ids=lambda d: d.split("{")[0].strip())
def test_graphql_example_is_valid_against_the_schema(document: str) -> None:
    assert validate(build_schema()._schema, parse(document)) == []
