"""Speed-ups that reach into Strawberry's and graphql-core's internals. A reader can skip this
package: with ``VENDO_SPEEDUPS=false`` (``build_schema(fast=False)``) the schema runs on the
libraries' stock paths and gives the same answers (tests/resolvers/test_fastpath.py,
test_extension_runner.py and test_speedups.py compare them). Every private symbol relied on here
is named, with the pinned versions, in tests/test_library_internals.py: a library upgrade fails
there first. What each one saves: docs/PERFORMANCE.md.

- ``fastpath``: list items built by compiled plans instead of graphql-core's per-field work;
- ``extension_runner``: schema-extension hooks looked up once per class, not per request;
- ``masking``: error masking without a runtime ``Protocol`` check per operation;
- ``lane``: small documents already seen answered without Strawberry's view and the
  per-request extension machinery;
- :func:`graphql_schema`: the graphql-core schema inside a Strawberry schema, read directly
  (the stock path rebuilds an equal one from the SDL once, resolvers/engine/protections.py).
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLSchema


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """Strawberry's own ValidationCache reads it the same way."""
    return schema._schema
