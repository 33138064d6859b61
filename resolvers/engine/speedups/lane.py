"""A lane for small documents already seen: answered without Strawberry's view and without the
per-request schema-extension machinery.

For ``{ __typename }`` most of a request's time is fixed cost: the view's body and content-type
handling, six extensions instantiated and entered for four stages, the cached parse and
validation looked up again (docs/PERFORMANCE.md). A document that the normal path has already
run for an untrusted caller has passed everything that depends on the document alone: the parse
with the token limit, validation with the depth, alias and directive rules and (in production)
the introspection rule. :class:`LaneDocuments` — the last schema extension — records such a
document when its execution starts, i.e. once all of that passed. A later POST of exactly the
same text (a single JSON object, no ``extensions``, a query operation, a small body) is then
answered here: the cost checked for its variables (Protections' own :func:`operation_cost`),
the operation's name put on the access line (RecordOperation), the context built by
``context_for``, graphql-core's ``execute`` with our execution context under the same timeout,
errors logged (``GatewaySchema.process_errors``) and masked (``FastMaskInternalErrors``) as the
normal path does, and the same JSON bytes, status and headers. Anything else, or any doubt
(a cost over the limit, an unknown operation name), takes the normal path: the lane only ever
answers what the normal path would have answered the same way
(tests/resolvers/test_small_lane.py compares them).

Off with the allowlist mode (every text must be checked against it) and with tracing (its
extension must see every operation); like every speed-up, off with ``VENDO_SPEEDUPS=false``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    validate,
)
from graphql.execution import MiddlewareManager
from graphql.utilities import get_operation_ast
from starlette.types import Scope
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension

from app.errors import Unavailable
from app.web import request_log
from app.web.scope import headers_of
from resolvers.engine.masking import graphql_error
from resolvers.engine.protections import Limits, operation_cost
from resolvers.engine.speedups import graphql_schema
from resolvers.engine.speedups.fastpath import FastExecutionContext
from resolvers.engine.speedups.masking import FastMaskInternalErrors

if TYPE_CHECKING:
    from resolvers.context import Context
    from resolvers.schema import GatewaySchema

# A body (and so a document) of at most this many bytes takes the lane.
MAX_BYTES = 8192
# Documents remembered per schema; the oldest is forgotten first.
MAX_DOCUMENTS = 512
_KEYS = frozenset({"query", "variables", "operationName"})


class LaneDocuments(SchemaExtension):
    """Records, per schema, the documents whose execution started for an untrusted caller: they
    parsed under the token limit and passed validation with every rule (the later checks — the
    cost, the operation's type — the lane makes itself for each request)."""

    def __init__(self, documents: dict[str, DocumentNode]) -> None:
        self.documents = documents

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        query, document = context.query, context.graphql_document
        if (
            query is not None
            and document is not None
            and len(query) <= MAX_BYTES
            and not getattr(context.context, "trusted", False)
            and query not in self.documents
        ):
            if len(self.documents) >= MAX_DOCUMENTS:
                del self.documents[next(iter(self.documents))]
            self.documents[query] = document
        yield


class Request:
    """What the lane read of a request it may answer."""

    __slots__ = ("document", "name", "operation_name", "variables")

    def __init__(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        name: str | None = None,
    ) -> None:
        self.document = document
        self.operation_name = operation_name  # as asked for
        self.variables = variables
        self.name = name  # the operation's, for the access line


class _Plan:
    __slots__ = ("cost", "document", "name", "operation_name")

    def __init__(
        self, document: DocumentNode, operation_name: str | None, name: str | None
    ) -> None:
        self.document = document
        self.operation_name = operation_name
        self.name = name
        self.cost: int | None = None  # None: it depends on the variables


class SmallLane:
    def __init__(self, schema: GatewaySchema, limits: Limits, *, hide_suggestions: bool) -> None:
        self.schema = schema
        self.documents = schema.lane_documents
        self.limits = limits
        self.masking = FastMaskInternalErrors(hide_suggestions=hide_suggestions)
        self.hits = 0  # requests taken (for tests)
        self._trusted: dict[str, DocumentNode | None] = {}
        self._plans: dict[tuple[str, str | None], _Plan] = {}

    @staticmethod
    def eligible(scope: Scope) -> bool:
        """A POST of a small JSON body, not asking for a stream."""
        if scope["method"] != "POST":
            return False
        headers = headers_of(scope)
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return False
        accept = headers.get("accept", "")
        if "multipart" in accept or "event-stream" in accept:
            return False
        length = headers.get("content-length", "")
        return length.isdigit() and int(length) <= MAX_BYTES

    def take(self, body: bytes) -> Request | None:
        """The request when the lane can answer it; None for the normal path."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not data.keys() <= _KEYS:
            return None
        query, variables = data.get("query"), data.get("variables")
        operation_name = data.get("operationName")
        if (
            not isinstance(query, str)
            or not (variables is None or isinstance(variables, dict))
            or not (operation_name is None or isinstance(operation_name, str))
        ):
            return None
        plan = self._plans.get((query, operation_name)) or self._plan(query, operation_name)
        if plan is None:
            return None
        cost = plan.cost if plan.cost is not None else self._cost(plan, variables)
        if cost > self.limits.max_cost:
            return None

        self.hits += 1
        return Request(plan.document, operation_name, variables, plan.name)

    def _plan(self, query: str, operation_name: str | None) -> _Plan | None:
        """What the lane keeps of a document it may answer, per operation asked for: the
        operation, its name for the access line, and its cost when no variable can change it."""
        document = self.documents.get(query)
        if document is None:
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        plan = _Plan(document, operation_name, _operation_name(document, operation_name))
        if not operation.variable_definitions:
            plan.cost = self._cost(plan, None)
        if len(self._plans) >= MAX_DOCUMENTS:
            del self._plans[next(iter(self._plans))]
        self._plans[query, operation_name] = plan
        return plan

    def _cost(self, plan: _Plan, variables: dict[str, Any] | None) -> int:
        return operation_cost(
            graphql_schema(self.schema),
            plan.document,
            plan.operation_name,
            variables,
            page_size=self.limits.default_page_size,
        )

    async def answer(self, request: Request, context: Context) -> bytes:
        """The response body the normal path would send."""
        if (info := request_log.current()) is not None and info.operation is None:
            info.operation = request.name
        result = await self.execute(request, context)
        if result.errors:
            return orjson.dumps(
                {"data": result.data, "errors": [e.formatted for e in result.errors]}
            )
        return orjson.dumps({"data": result.data})

    async def execute(self, request: Request, context: Context) -> ExecutionResult:
        """The result the normal path's ``Schema.execute`` would give, its errors logged, masked
        and shaped; an error raised around execution comes back as it is, as Strawberry's does.
        Also how a legacy route runs its own, validated operation (:meth:`run_trusted`)."""
        try:
            result = execute(
                self.schema._schema,
                request.document,
                variable_values=request.variables,
                operation_name=request.operation_name,
                context_value=context,
                middleware=MiddlewareManager(),
                executor_class=FastExecutionContext,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                operation_extensions=None,
            )
            if not isinstance(result, ExecutionResult):
                # Only an await can be timed out: what ran synchronously has finished already.
                async with asyncio.timeout(self.limits.timeout_seconds):
                    result = await result
            assert isinstance(result, ExecutionResult)
            if result.errors:
                self.schema.process_errors(result.errors)
        except TimeoutError as error:
            # As the normal path: Protections' error, logged, neither masked nor shaped.
            timed_out = Unavailable(f"Operation timed out after {self.limits.timeout_seconds:g} s")
            return self._failed(_raised(graphql_error(timed_out), error))
        except Exception as error:  # as Strawberry's Schema.execute answers it
            failed = error if isinstance(error, GraphQLError) else None
            return self._failed(failed or GraphQLError(str(error), original_error=error))
        self.masking._process_result(result)
        self.masking._shape(result)
        return result

    def trusted(self, text: str) -> DocumentNode | None:
        """The gateway's own operation (a legacy route's), parsed and validated once with
        graphql-core's rules; None when it does not validate (the normal path then says why).
        Its caller is trusted (``Context.trusted``): no cost, depth or alias limit applies."""
        document = self._trusted.get(text)
        if document is None and text not in self._trusted:
            parsed = parse(text)
            document = None if validate(self.schema._schema, parsed) else parsed
            self._trusted[text] = document
        return document

    def _failed(self, error: GraphQLError) -> ExecutionResult:
        """An error raised around execution: Strawberry logs it and answers it as it is."""
        self.schema.process_errors([error])
        return ExecutionResult(data=None, errors=[error])


def _raised(error: GraphQLError, cause: BaseException) -> GraphQLError:
    error.__cause__ = cause
    return error


def _operation_name(document: DocumentNode, provided: str | None) -> str | None:
    """Strawberry's ``ExecutionContext.operation_name``: the one asked for, else the name of the
    document's first operation."""
    if provided is not None:
        return provided
    first = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)), None)
    return first.name.value if first is not None and first.name else None
