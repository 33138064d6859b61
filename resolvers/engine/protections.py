"""Protections against abusive operations, each configurable and on by default.

Strawberry's own rules are used where they exist (the depth and alias validators, the token
limit, the introspection rule), but built ONCE per schema: the stock extensions create a new rule
class per request, which makes every request a miss of the ValidationCache. What Strawberry lacks
is written here: the directive count, the cost limit and the execution timeout.

The gateway's own registered operations (the legacy routes) run trusted and skip these checks.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import graphql
import strawberry
from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.printer import print_schema

from app.errors import Unavailable
from resolvers.engine.masking import graphql_error

# A list field that is not a paginated connection is assumed to hold this many items.
ASSUMED_LIST_SIZE = 10


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_directives: int
    max_cost: int
    default_page_size: int
    timeout_seconds: float
    introspection: bool


def directives_validator(max_directives: int) -> type[ValidationRule]:
    class MaxDirectivesValidator(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            self.count += 1
            if self.count == max_directives + 1:
                self.report_error(
                    GraphQLError(
                        f"More than {max_directives} directives. Allowed: {max_directives}"
                    )
                )

    return MaxDirectivesValidator


def safe_depth_validator(max_depth: int) -> type[ValidationRule]:
    """Strawberry's depth rule, minus its crash (a KeyError) on a spread of an unknown fragment.
    Such a document is invalid whatever its depth, and graphql-core's KnownFragmentNames rule
    reports it."""
    stock = depth_validator(max_depth, None)

    class DepthLimitValidator(stock):  # type: ignore[misc, valid-type]
        def __init__(self, context: ValidationContext) -> None:
            try:
                super().__init__(context)
            except KeyError:
                ValidationRule.__init__(self, context)

    return DepthLimitValidator


def validation_rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        safe_depth_validator(limits.max_depth),
        aliases_validator(limits.max_aliases),
        directives_validator(limits.max_directives),
    ]
    if not limits.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def _multiplier(
    node: FieldNode, field: Any, parent: Any, variables: Mapping[str, Any], page: int
) -> int:
    if "first" in field.args:
        argument = next((a for a in node.arguments or () if a.name.value == "first"), None)
        if argument is None:
            return page
        if isinstance(argument.value, IntValueNode):
            return max(int(argument.value.value), 0)
        if isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
            return max(value, 0) if isinstance(value, int) else page
        return page
    if is_list_type(get_nullable_type(field.type)) and not parent.name.endswith("Connection"):
        return ASSUMED_LIST_SIZE
    return 1


@dataclass
class _Cost:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    page: int

    def of(self, selections: SelectionSetNode | None, parent: Any, seen: frozenset[str]) -> int:
        if selections is None:
            return 0
        return sum(self._selection(s, parent, seen) for s in selections.selections)

    def _selection(self, node: Any, parent: Any, seen: frozenset[str]) -> int:
        if isinstance(node, InlineFragmentNode):
            target = (
                self.schema.get_type(node.type_condition.name.value)
                if node.type_condition
                else parent
            )
            return self.of(node.selection_set, target, seen)
        if isinstance(node, FragmentSpreadNode):
            fragment = self.fragments.get(node.name.value)
            if fragment is None or node.name.value in seen:
                return 0
            target = self.schema.get_type(fragment.type_condition.name.value)
            return self.of(fragment.selection_set, target, seen | {node.name.value})
        return self._field(node, parent, seen)

    def _field(self, node: FieldNode, parent: Any, seen: frozenset[str]) -> int:
        if node.name.value.startswith("__"):
            return 0  # introspection: disabled in production, free in development
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        field = fields.get(node.name.value)
        if field is None:
            return 1
        inner = self.of(node.selection_set, get_named_type(field.type), seen)
        return 1 + _multiplier(node, field, parent, self.variables, self.page) * inner


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    page_size: int,
) -> int:
    """Every field costs 1; a paginated field multiplies what it selects by its ``first`` (or the
    default page size), any other list of objects by ``ASSUMED_LIST_SIZE``."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Cost(schema, fragments, variables or {}, page_size).of(
        operation.selection_set, root, frozenset()
    )


_REBUILT: weakref.WeakKeyDictionary[strawberry.Schema, GraphQLSchema] = weakref.WeakKeyDictionary()


def rebuilt_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema the cost is priced on, through public APIs only: built once per
    schema from its SDL, equal in every type, field and argument. (With the speed-ups on, the
    one inside Strawberry's schema is read directly: resolvers/engine/speedups.)"""
    found = _REBUILT.get(schema)
    if found is None:
        found = _REBUILT[schema] = graphql.build_schema(print_schema(schema))
    return found


class Protections(SchemaExtension):
    def __init__(
        self,
        limits: Limits,
        rules: tuple[type[ASTValidationRule], ...],
        graphql_schema: Callable[[strawberry.Schema], GraphQLSchema] = rebuilt_schema,
    ) -> None:
        self.limits = limits
        self.rules = rules
        self.graphql_schema = graphql_schema

    def _trusted(self) -> bool:
        return bool(getattr(self.execution_context.context, "trusted", False))

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        if not self._trusted():
            context.parse_options["max_tokens"] = self.limits.max_tokens
            context.validation_rules = context.validation_rules + self.rules
        yield

    def on_validate(self) -> Iterator[None]:
        """Runs after ValidationCache has validated (it comes later in the extension list)."""
        context = self.execution_context
        if not self._trusted() and not context.pre_execution_errors and context.graphql_document:
            cost = operation_cost(
                self.graphql_schema(context.schema),
                context.graphql_document,
                context.operation_name,
                context.variables,
                page_size=self.limits.default_page_size,
            )
            if cost > self.limits.max_cost:
                message = f"Query cost {cost} exceeds the maximum of {self.limits.max_cost}"
                context.pre_execution_errors = [GraphQLError(message)]
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        # Cancellation also ends a wait for SQLite's write lock (see app.db._wait_for_write_lock).
        try:
            async with asyncio.timeout(self.limits.timeout_seconds):
                yield
        except TimeoutError as error:
            timed_out = Unavailable(f"Operation timed out after {self.limits.timeout_seconds:g} s")
            raise graphql_error(timed_out) from error
