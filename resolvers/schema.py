"""Assembles Query and Mutation, and the schema's extensions."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition

from app.errors import BadUserInput, note_outage
from app.settings import Settings
from app.web.request_log import current, request_id
from resolvers.accounts.keys import KeyMutations
from resolvers.accounts.mutations import AccountMutations
from resolvers.accounts.queries import AccountQueries
from resolvers.context import Info
from resolvers.engine.document_caches import SafeParserCache, SizedValidationCache
from resolvers.engine.masking import MaskInternalErrors, is_internal
from resolvers.engine.pagination import DEFAULT_PAGE_SIZE
from resolvers.engine.persisted import PersistedOperations, load_manifest
from resolvers.engine.protections import Limits, Protections, rebuilt_schema, validation_rules
from resolvers.engine.scalars import SCALAR_MAP
from resolvers.engine.speedups import graphql_schema
from resolvers.engine.speedups.extension_runner import ExtensionsRunner
from resolvers.engine.speedups.fastpath import FastExecutionContext
from resolvers.engine.speedups.lane import LaneDocuments, SmallLane
from resolvers.engine.speedups.masking import FastMaskInternalErrors
from resolvers.integrations.mutations import IntegrationMutations
from resolvers.integrations.queries import IntegrationQueries
from resolvers.integrations.save import SaveMutations
from resolvers.integrations.subscriptions import IntegrationSubscriptions
from resolvers.pricing.queries import PricingQueries
from resolvers.tools.queries import ToolQueries
from resolvers.wallet.subscriptions import WalletSubscriptions

log = logging.getLogger("vendo.graphql")


@strawberry.type
class Query(AccountQueries, IntegrationQueries, ToolQueries, PricingQueries):
    @strawberry.field(description="Fetch any object by its global id; null when not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id)
        except relay.GlobalIDValueError as error:
            raise BadUserInput("Invalid global id", field="id") from error
        named = info.schema.get_type_by_name(global_id.type_name)
        if not isinstance(named, StrawberryObjectDefinition) or named.is_interface:
            return None  # names no object type: nothing, a scalar, or the Node interface itself
        try:
            return await global_id.resolve_node(info, required=False)
        except (KeyError, ValueError):  # a well-formed id naming no type of this schema
            return None


@strawberry.type
class Mutation(IntegrationMutations, SaveMutations, AccountMutations, KeyMutations):
    pass


@strawberry.type
class Subscription(IntegrationSubscriptions, WalletSubscriptions):
    pass


class GatewaySchema(strawberry.Schema):
    def __init__(self, *args: Any, speedups: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.speedups = speedups
        # The small-document lane (resolvers/engine/speedups/lane.py), when it is on.
        self.lane: SmallLane | None = None
        self.lane_documents: dict[str, DocumentNode] = {}

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        if self.speedups:
            return ExtensionsRunner(execution_context=execution_context, extensions=extensions)
        return super().create_extensions_runner(execution_context, extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what will be masked, with its traceback and the request id the client sees;
        client errors are not ours to log."""
        for error in errors:
            if note_outage(error.original_error):
                continue  # logged once per outage, by the latch
            if is_internal(error):
                log.error(
                    "unexpected error in %s (request %s)",
                    error.path,
                    request_id(),
                    exc_info=error.original_error,
                )


class RecordOperation(SchemaExtension):
    """Puts the operation's name on the request's log line."""

    def on_execute(self) -> Iterator[None]:
        info = current()
        if info is not None and info.operation is None:
            with suppress(RuntimeError):  # ambiguous documents fail validation before this
                info.operation = self.execution_context.operation_name
        yield


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_tokens=settings.graphql_max_tokens,
        max_directives=settings.graphql_max_directives,
        max_cost=settings.graphql_max_cost,
        default_page_size=DEFAULT_PAGE_SIZE,
        timeout_seconds=settings.graphql_timeout_seconds,
        introspection=settings.introspection_enabled,
    )


def build_schema(
    settings: Settings | None = None,
    *,
    registered: Mapping[str, str] | None = None,
    tracing: Any = None,
    fast: bool | None = None,
) -> GatewaySchema:
    """The schema with its extensions. ``registered``: hash → text of the gateway's own
    operations (always allowed, and known to persisted queries); ``tracing``: an extension
    factory that traces operations and resolvers, when tracing is on; ``fast``: run on the
    speed-ups of resolvers/engine/speedups (default: ``VENDO_SPEEDUPS``), or on the libraries'
    stock paths, which give the same answers."""
    settings = settings or Settings()
    fast = settings.speedups if fast is None else fast
    masking = FastMaskInternalErrors if fast else MaskInternalErrors
    limits = limits_from(settings)
    rules = validation_rules(limits)
    known = {**load_manifest(settings.persisted_operations_file), **(registered or {})}
    # The lane needs every text checked by the normal path first: not with an allowlist (each
    # text is checked against it) nor with tracing (its extension sees every operation).
    lane = fast and not settings.graphql_allowlist and tracing is None
    documents: dict[str, DocumentNode] = {}
    extensions: list[Any] = [
        # First in, last out: masks what every other hook produced.
        lambda: masking(hide_suggestions=settings.is_production),
        lambda: PersistedOperations(
            known,
            allowlist=settings.graphql_allowlist,
            max_bytes=settings.persisted_query_max_bytes,
        ),
        # Documents longer than an APQ text may be are parsed and validated, not kept.
        lambda: SafeParserCache(maxsize=512, max_chars=settings.persisted_query_max_bytes),
        lambda: SizedValidationCache(maxsize=512, max_chars=settings.persisted_query_max_bytes),
        # After ValidationCache: prices validated documents.
        lambda: Protections(limits, rules, graphql_schema if fast else rebuilt_schema),
        RecordOperation,
        *([tracing] if tracing is not None else []),
        # Last: records the documents that reached execution, for the lane.
        *([lambda: LaneDocuments(documents)] if lane else []),
    ]
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=FastExecutionContext if fast else None,
        speedups=fast,
        config=StrawberryConfig(
            scalar_map=SCALAR_MAP,
            disable_field_suggestions=settings.is_production,
            # Batching is opt-in (Apollo Server 4's default): with 1, an array body is refused.
            batching_config=(
                {"max_operations": settings.graphql_max_batch}
                if settings.graphql_max_batch > 1
                else None
            ),
        ),
    )
    if lane:
        schema.lane_documents = documents
        schema.lane = SmallLane(schema, limits, hide_suggestions=settings.is_production)
    return schema
