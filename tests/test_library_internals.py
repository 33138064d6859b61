"""Every library internal the gateway relies on, in one place, with the versions it was checked
against. A library upgrade fails here first, naming the speed-up to re-check; then run the whole
suite with ``VENDO_SPEEDUPS=false`` and with the default (the speed-ups on), and update the pin.

The speed-ups are fenced in resolvers/engine/speedups/, app/web/speedups.py and
app/sqlite_speedups.py, and
``VENDO_SPEEDUPS=false`` turns them off. A few internals are relied on outside the fence, where
no public API does the job (named below as such): they stay in use with the speed-ups off.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, parse
from prometheus_client import CollectorRegistry, Histogram
from strawberry.relay import Node
from strawberry.types.base import StrawberryObjectDefinition

FASTPATH = "resolvers/engine/speedups/fastpath.py (the fast path for lists)"
RUNNER = "resolvers/engine/speedups/extension_runner.py (hooks looked up once per class)"
MASKING = "resolvers/engine/speedups/masking.py (masking without the Protocol check)"
LANE = "resolvers/engine/speedups/lane.py (small documents answered without the view)"
SCHEMA = "resolvers/engine/speedups graphql_schema (the graphql-core schema read directly)"
METRICS = "app/web/speedups.py add_to_histogram (request metrics tallied, added on scrape)"
LOGGING = "app/web/speedups.py quicken_logging (no calling frame on log records)"
SQLITE = "app/sqlite_speedups.py (one thread hop per SQLite statement)"
LIMITS = "resolvers/engine/protections.py (outside the fence: Strawberry's depth/alias rules)"
CACHES = "resolvers/engine/document_caches.py (outside the fence: ParserCache's parse)"
FRONT_DOOR = (
    "legacy_rest/endpoint.py CachedAnswers (picks a route as Starlette's router does) and "
    "legacy_rest/refusals.py (Starlette's own 404/405 text outside /api)"
)

PINNED = {
    "strawberry-graphql": ("0.341.2", [FASTPATH, RUNNER, MASKING, LANE, SCHEMA, LIMITS, CACHES]),
    "graphql-core": ("3.3.2", [FASTPATH, LANE]),
    "prometheus-client": ("0.26.0", [METRICS]),
    "starlette": ("1.10.0", [FRONT_DOOR]),
    "sqlalchemy": ("2.1.9", [SQLITE]),
    "aiosqlite": ("0.22.1", [SQLITE]),
}


@pytest.mark.parametrize("package", sorted(PINNED))
def test_library_is_the_version_the_internals_were_checked_against(package: str) -> None:
    pinned, uses = PINNED[package]
    installed = importlib.metadata.version(package)
    assert installed == pinned, (
        f"{package} {installed} is installed; the internals relied on were checked against "
        f"{pinned}. Re-check: {'; '.join(uses)}. Then run the whole suite with "
        "VENDO_SPEEDUPS=false and with the default, and update the pin in "
        "tests/test_library_internals.py."
    )


# --------------------------------------------------------------------------------------------
# Each internal and the shape relied on

CHECKS: list[Any] = []


def relied_on(speedup: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(check: Callable[[], None]) -> Callable[[], None]:
        CHECKS.append(pytest.param(check, speedup, id=check.__name__))
        return check

    return register


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


@strawberry.type
class Item(Node):
    code: strawberry.relay.NodeID[str]
    name: str

    @strawberry.field
    def upper(self, suffix: str) -> str:
        return self.name.upper() + suffix


@strawberry.type
class Query:
    items: list[Item]


def _schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)


@relied_on(FASTPATH)
def strawberry_graphql_core_execution_context() -> None:
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext as Context

    executor = Context.build(_schema()._schema, parse("{ __typename }"))
    assert isinstance(executor, Context)
    for name in ("fragment_definitions", "middleware_manager", "context_value", "variable_values"):
        assert hasattr(executor, name), name
    assert callable(executor.is_awaitable)
    assert _parameters(Context.complete_iterable_value) == [
        "self", "item_type", "field_details_list", "info", "path", "items", "position_context",
    ]  # fmt: skip
    assert _parameters(Context.collect_subfields) == ["self", "return_type", "field_details_list"]
    assert _parameters(Context.get_stream_usage) == ["self", "field_details_list", "path"]


@relied_on(FASTPATH)
def graphql_core_collected_fields() -> None:
    from graphql.execution.collect_fields import CollectedFields, FieldDetails

    assert {"grouped_field_set", "new_defer_usages"} <= set(CollectedFields._fields)
    assert {"node", "defer_usage", "fragment_variable_values"} <= set(FieldDetails._fields)


@relied_on(FASTPATH)
def graphql_core_get_argument_values() -> None:
    from graphql.execution.values import get_argument_values

    assert _parameters(get_argument_values)[:3] == ["type_def", "node", "variable_values"]


@relied_on(FASTPATH)
def strawberry_definition_backrefs() -> None:
    from strawberry.resolvers import is_default_resolver
    from strawberry.schema.schema_converter import GraphQLCoreConverter

    backref = GraphQLCoreConverter.DEFINITION_BACKREF
    item = _schema()._schema.type_map["Item"]
    assert isinstance(item, GraphQLObjectType)
    definition = item.extensions[backref]
    assert isinstance(definition, StrawberryObjectDefinition)
    for name in ("is_graphql_generic", "concrete_of", "origin"):
        assert hasattr(definition, name), name
    name, upper = item.fields["name"], item.fields["upper"]
    assert is_default_resolver(name.resolve)
    assert not is_default_resolver(upper.resolve)
    field = upper.extensions[backref]
    for attribute in ("base_resolver", "python_name", "extensions", "permission_classes"):
        assert hasattr(field, attribute), attribute
    assert upper.args["suffix"].extensions[backref].python_name == "suffix"


@relied_on(FASTPATH)
def strawberry_relay_and_cast_helpers() -> None:
    from strawberry.relay.utils import to_base64
    from strawberry.types.cast import get_strawberry_type_cast

    assert to_base64("Item", "a") == "SXRlbTph"
    assert get_strawberry_type_cast(object()) is None
    for name in ("resolve_id_attr", "resolve_id", "resolve_typename"):
        assert inspect.ismethod(getattr(Node, name)), name  # classmethods, compared by __func__


@relied_on(RUNNER)
def strawberry_extension_context_managers() -> None:
    from strawberry.extensions.context import (
        ExecutingContextManager,
        ExtensionContextManagerBase,
        OperationContextManager,
        ParsingContextManager,
        ValidationContextManager,
        WrappedHook,
    )

    for manager in (
        OperationContextManager,
        ValidationContextManager,
        ParsingContextManager,
        ExecutingContextManager,
    ):
        assert issubclass(manager, ExtensionContextManagerBase)
        assert manager.HOOK_NAME.startswith("on_")
    assert _parameters(ExtensionContextManagerBase.get_hook) == ["self", "extension"]
    assert WrappedHook._fields == ("extension", "hook", "is_async")


@relied_on(RUNNER)
def strawberry_extensions_runner() -> None:
    from strawberry.extensions.runner import SchemaExtensionsRunner

    assert _parameters(SchemaExtensionsRunner)[:2] == ["execution_context", "extensions"]
    for name in ("operation", "validation", "parsing", "executing"):
        assert callable(getattr(SchemaExtensionsRunner, name)), name
    assert _parameters(strawberry.Schema.create_extensions_runner) == [
        "self", "execution_context", "extensions",
    ]  # fmt: skip


@relied_on(MASKING)
def strawberry_mask_errors_process_result() -> None:
    from strawberry.extensions import MaskErrors

    assert _parameters(MaskErrors._process_result) == ["self", "result"]
    assert _parameters(MaskErrors._process_errors) == ["self", "errors"]
    assert "_process_result" in inspect.getsource(MaskErrors.on_operation)
    masked = MaskErrors(error_message="hidden")._process_errors([GraphQLError("secret")])
    assert [error.message for error in masked] == ["hidden"]


@relied_on(LANE)
def strawberry_execution_as_the_lane_repeats_it() -> None:
    """What the lane does in the normal path's place: graphql-core's ``execute`` called with
    these arguments, errors logged (``process_errors``) before masking, the answer sent as
    ``{"data", "errors"}`` JSON with status 200, streams chosen by the Accept header."""
    from graphql import execute
    from strawberry.execution import optimized_is_awaitable
    from strawberry.http import process_result
    from strawberry.http.async_base_view import AsyncBaseHTTPView
    from strawberry.schema._graphql_core import execution_context_class_kwargs
    from strawberry.schema.schema import Schema

    assert callable(optimized_is_awaitable)
    parameters = _parameters(execute)
    for name in ("middleware", "executor_class", "is_awaitable", "custom_context_args"):
        assert name in parameters, name
    assert execution_context_class_kwargs(dict) == {"executor_class": dict}  # type: ignore[arg-type]
    source = inspect.getsource(Schema._execute_operation)
    assert "is_awaitable=optimized_is_awaitable" in source
    assert "self._process_errors(result.errors" in source
    assert '"operation_extensions"' in inspect.getsource(Schema._get_custom_context_kwargs)
    assert "_get_stream_transport_from_headers" in inspect.getsource(
        AsyncBaseHTTPView.parse_http_body
    )
    assert "status.HTTP_200_OK" in inspect.getsource(strawberry.asgi.GraphQL.create_response)
    assert "err.formatted for err in errors" in inspect.getsource(process_result)


@relied_on(SCHEMA)
def strawberry_schema_graphql_schema() -> None:
    assert isinstance(_schema()._schema, GraphQLSchema)


@relied_on(METRICS)
def prometheus_histogram_buckets_and_sum() -> None:
    buckets = (0.1, 1.0)
    histogram = Histogram("h", "h", ["route"], buckets=buckets, registry=CollectorRegistry())
    child = histogram.labels("r")
    assert len(child._buckets) == len(buckets) + 1  # and +Inf
    for counter in (*child._buckets, child._sum):
        assert callable(counter.inc)
        assert callable(counter.get)


@relied_on(LOGGING)
def logging_srcfile() -> None:
    assert hasattr(logging, "_srcfile")
    for name in ("logThreads", "logProcesses", "logMultiprocessing"):
        assert hasattr(logging, name), name


@relied_on(LIMITS)
def strawberry_rule_factories() -> None:
    from strawberry.extensions.max_aliases import create_validator as aliases_validator
    from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

    assert _parameters(depth_validator)[:2] == ["max_depth", "should_ignore"]
    assert _parameters(aliases_validator) == ["max_alias_count"]


@relied_on(CACHES)
def strawberry_parser_cache_parse() -> None:
    from strawberry.extensions import ParserCache

    parse_document = ParserCache(maxsize=1).cached_parse_document
    assert callable(parse_document)
    assert parse_document("{ a }").definitions


@relied_on(FRONT_DOOR)
def starlette_router_matching() -> None:
    from starlette.exceptions import HTTPException
    from starlette.routing import Match, Route

    route = Route("/a/{b}", lambda request: None, methods=["GET"])
    scope = {"type": "http", "path": "/a/1", "method": "POST", "root_path": ""}
    assert route.matches(scope)[0] is Match.PARTIAL  # the path, not the method
    assert HTTPException(405).detail == "Method Not Allowed"


@relied_on(SQLITE)
def sqlalchemy_aiosqlite_adapter() -> None:
    from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection, AsyncAdapt_dbapi_cursor
    from sqlalchemy.dialects.sqlite.aiosqlite import (
        AsyncAdapt_aiosqlite_connection,
        AsyncAdapt_aiosqlite_dbapi,
    )

    # The cursor's state, and the two coroutines its execute/executemany await.
    assert set(AsyncAdapt_dbapi_cursor.__slots__) == {
        "_adapt_connection", "_connection", "_cursor", "_rows", "_soft_closed_memoized",
    }  # fmt: skip
    for name in ("_execute_async", "_executemany_async", "_async_soft_close"):
        assert inspect.iscoroutinefunction(getattr(AsyncAdapt_dbapi_cursor, name)), name
    assert _parameters(AsyncAdapt_dbapi_cursor._execute_async) == [
        "self",
        "operation",
        "parameters",
    ]
    # The connection's cursor class and lock; the module's connect builds the connection.
    assert AsyncAdapt_aiosqlite_connection._cursor_cls.__mro__[1] is AsyncAdapt_dbapi_cursor
    assert "_execute_mutex" in AsyncAdapt_dbapi_connection.__slots__
    source = inspect.getsource(AsyncAdapt_aiosqlite_dbapi.connect)
    assert "AsyncAdapt_aiosqlite_connection(self, await_(connection))" in source


@relied_on(SQLITE)
def aiosqlite_connection_execute() -> None:
    import aiosqlite

    # One call on the connection's thread, and the sqlite3 connection it runs on.
    assert inspect.iscoroutinefunction(aiosqlite.Connection._execute)
    assert _parameters(aiosqlite.Connection._execute) == ["self", "fn", "args", "kwargs"]
    assert isinstance(aiosqlite.Connection.__dict__["_conn"], property)


@pytest.mark.parametrize(("check", "speedup"), CHECKS)
def test_internal_has_the_shape_relied_on(check: Callable[[], None], speedup: str) -> None:
    try:
        check()
    except (ImportError, AttributeError, AssertionError, TypeError, KeyError) as error:
        pytest.fail(
            f"{check.__name__}: {type(error).__name__}: {error}. Re-check {speedup}, which "
            "relies on it; with VENDO_SPEEDUPS=false the gateway runs without the speed-ups."
        )
