"""Assembles Query and Mutation, and the schema's extensions."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.errors import BadUserInput
from app.settings import Settings
from resolvers.accounts.mutations import AccountMutations
from resolvers.accounts.queries import AccountQueries
from resolvers.context import Info
from resolvers.errors import MaskInternalErrors, SafeParserCache, is_internal
from resolvers.integrations.mutations import IntegrationMutations
from resolvers.integrations.queries import IntegrationQueries
from resolvers.integrations.save import SaveMutations
from resolvers.pricing.queries import PricingQueries
from resolvers.scalars import SCALAR_MAP
from resolvers.tools.queries import ToolQueries

log = logging.getLogger("vendo.graphql")


@strawberry.type
class Query(AccountQueries, IntegrationQueries, ToolQueries, PricingQueries):
    @strawberry.field(description="Fetch any object by its global id; null when not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id)
        except relay.GlobalIDValueError as error:
            raise BadUserInput("Invalid global id", field="id") from error
        try:
            return await global_id.resolve_node(info, required=False)  # type: ignore[no-any-return]
        except (KeyError, ValueError):  # a well-formed id naming no type of this schema
            return None


@strawberry.type
class Mutation(IntegrationMutations, SaveMutations, AccountMutations):
    pass


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what will be masked, with its traceback; client errors are not ours to log."""
        for error in errors:
            if is_internal(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


def build_schema(settings: Settings | None = None) -> GatewaySchema:
    extensions: list[Any] = [
        MaskInternalErrors,
        lambda: SafeParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
