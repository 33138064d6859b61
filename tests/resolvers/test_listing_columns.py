"""A catalog listing reads only the columns its selection needs (``columns_read``): whatever the
selection — alone, beside others, in fragments, under ``edges`` — each field answers exactly
what it answers when the whole row is read."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from app.repositories.integrations import ALWAYS_LISTED, listed_columns
from resolvers.integrations.types import FIELD_COLUMNS, IntegrationType, columns_read
from resolvers.schema import build_schema
from tests.conftest import GraphQLClient

PLAIN = sorted(name for name in FIELD_COLUMNS if name != "__typename")
LIST = "{ integrations(first: 100) { nodes { FIELDS } } }"
EVERYTHING = LIST.replace("FIELDS", " ".join(["provider", *PLAIN]))


async def _nodes(gql: GraphQLClient, query: str, **kwargs: Any) -> list[dict[str, Any]]:
    result = await gql(query, **kwargs)
    assert "errors" not in result, result
    connection = result["data"]["integrations"]
    if "nodes" in connection:
        return connection["nodes"]  # type: ignore[no-any-return]
    return [edge["node"] for edge in connection["edges"]]


def test_every_plain_field_of_integration_has_its_column() -> None:
    """A new plain field must be mapped (else it would read as null when the rest of the
    selection is plain); a resolver field must not be (it may read any attribute)."""
    schema = build_schema()
    definition = IntegrationType.__strawberry_definition__  # type: ignore[attr-defined]
    converter = schema.config.name_converter
    plain = {converter.get_graphql_name(f) for f in definition.fields if f.base_resolver is None}
    # The Relay ``id`` is Node's resolver over the ``nodeId`` attribute (the row's id).
    assert plain - {"nodeId"} | {"id"} == set(PLAIN)
    graphql_type = schema._schema.type_map["Integration"]  # type: ignore[attr-defined]
    assert set(graphql_type.fields) - set(PLAIN)  # resolver fields exist, and are unmapped
    for name in set(graphql_type.fields) - set(PLAIN):
        assert columns_read(frozenset({name})) is None


def test_columns_read() -> None:
    assert columns_read(frozenset({"__typename", "logoUrl", "databaseId"})) == {"logo_url", "id"}
    assert columns_read(frozenset({"logoUrl", "tenantEnabled"})) is None
    # Unread columns are selected as NULL under their own names; the always-read ones are not.
    every = select(*listed_columns(None))
    some = select(*listed_columns(frozenset({"logo_url"})))
    names = list(some.selected_columns.keys())
    assert names == list(every.selected_columns.keys())
    sql = str(some.compile(dialect=sqlite.dialect()))
    nulls = set(re.findall(r"NULL AS (\w+)", sql))
    assert nulls == set(names) - {"logo_url"} - ALWAYS_LISTED
    assert "NULL" not in str(every.compile(dialect=sqlite.dialect()))


@pytest.fixture
async def everything(gql: GraphQLClient, demo: None) -> dict[str, dict[str, Any]]:
    nodes = await _nodes(gql, EVERYTHING)
    assert len(nodes) > 10
    for name in PLAIN:  # every field has a value somewhere: a null read would show
        assert any(node[name] not in (None, [], {}) for node in nodes), name
    return {node["provider"]: node for node in nodes}


@pytest.mark.parametrize("field", PLAIN)
async def test_each_field_alone_answers_as_with_the_whole_row(
    gql: GraphQLClient, everything: dict[str, dict[str, Any]], field: str
) -> None:
    nodes = await _nodes(gql, LIST.replace("FIELDS", field))
    assert nodes == [{field: node[field]} for node in everything.values()]


async def test_fields_in_fragments_and_under_edges(
    gql: GraphQLClient, everything: dict[str, dict[str, Any]]
) -> None:
    query = """
    query ($skip: Boolean!) {
      integrations(first: 100) {
        edges { node { ...Card ... on Integration { docsUrl } createdAt @skip(if: $skip) } }
      }
    }
    fragment Card on Integration { provider logoUrl envBootstrap }
    """
    fields = ("provider", "logoUrl", "envBootstrap", "docsUrl", "createdAt")
    nodes = await _nodes(gql, query, variables={"skip": False})
    assert nodes == [{f: node[f] for f in fields} for node in everything.values()]
    skipped = await _nodes(gql, query, variables={"skip": True})
    assert skipped == [{f: node[f] for f in fields[:-1]} for node in everything.values()]


async def test_a_resolver_field_reads_the_whole_row(
    gql: GraphQLClient, everything: dict[str, dict[str, Any]], demo_headers: dict[str, str]
) -> None:
    query = "{ integrations(first: 100) { nodes { tenantEnabled updatedAt iconName } } }"
    nodes = await _nodes(gql, query, headers=demo_headers)
    assert [(n["updatedAt"], n["iconName"]) for n in nodes] == [
        (node["updatedAt"], node["iconName"]) for node in everything.values()
    ]
    assert {type(n["tenantEnabled"]) for n in nodes} == {bool}


async def test_from_model_is_the_dataclass_init(runtime: Any, demo: None) -> None:
    """``IntegrationType.from_model`` assigns the fields instead of calling the dataclass's
    ``__init__``: from an ORM row and from a listed one (every column, and a few), it builds
    exactly the object ``__init__`` builds — the same attributes, no more, no fewer."""
    from app.models import Integration
    from app.repositories.integrations import list_integrations

    names = [
        field.name
        for field in dataclasses.fields(IntegrationType)  # type: ignore[arg-type]
        if field.init
    ]
    async with runtime.db.read() as session:
        orm = (await session.scalars(select(Integration).limit(3))).all()
    async with runtime.db.connect() as connection:
        listed = await list_integrations(session=connection, limit=3)
        some = await list_integrations(session=connection, limit=3, columns=frozenset({"name"}))
    assert len(orm) == len(listed) == len(some) == 3
    derived = {"node_id", "database_id", "supported_profiles"}
    for row in [*orm, *listed, *some]:
        expected = IntegrationType(
            node_id=str(row.id),
            database_id=row.id,
            supported_profiles=list(row.supported_profiles or ()),
            **{name: getattr(row, name) for name in names if name not in derived},
        )
        assert vars(IntegrationType.from_model(row)) == vars(expected)
