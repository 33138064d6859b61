"""A fast path for lists: graphql-core spends microseconds on every resolved field (build the
resolve info, call the resolver, complete and serialize), which dominates a page of a few
hundred rows. When every field a list's items select is a plain attribute (Strawberry's default
resolver, no arguments) of a leaf, a list of leaves, or of an object that is plain in turn, the
items are built here directly, with a plan compiled once per list field: per request, or once
for all the requests of a document when nothing in it depends on the request (no directive in
the selection, nothing prefetched).

Prefetched fields (resolvers/engine/prefetch.py) count as plain: their data is loaded once for the
whole list (``ready``, awaited before building), then read per item (``get``). On the items
themselves any prefetched field is used; on objects nested in them, only those that load per-request
sets.

Unions of plain Strawberry types are built too, each object by the plan of the member it is.
Anything else — a field with its own resolver, an interface, a cast object, a null where the
schema says non-null, a value the scalar refuses, an error while loading, resolver middleware
(tracing) — falls back to graphql-core, which then completes the whole list itself with its
usual errors and paths: the fast path either produces exactly graphql-core's answer or none at
all (tests/resolvers/test_fastpath.py compares them).
"""

from __future__ import annotations

import functools
import keyword
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, NamedTuple

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
    GraphQLUnionType,
    OperationType,
    Undefined,
    get_named_type,
)
from graphql.execution.values import get_argument_values
from strawberry.relay import Node
from strawberry.relay.utils import to_base64
from strawberry.resolvers import is_default_resolver
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import get_strawberry_type_cast

from resolvers.engine.prefetch import Prefetched, combine, marker_of
from resolvers.engine.subscriptions import SHARED_VALUES


class Unsupported(Exception):
    """This list is not for the fast path; graphql-core completes it."""


Complete = Callable[[Any], Any]


# Built-in scalars whose serialize returns the value itself when it already has this type.
_PASS_THROUGH = {"String": str, "Boolean": bool, "ID": str}


def _leaf(type_: GraphQLScalarType | GraphQLEnumType, non_null: bool) -> Complete:
    """Serialize a leaf; a value already of the scalar's own type passes as it is."""
    serialize = type_.serialize
    exact = _PASS_THROUGH.get(type_.name) if isinstance(type_, GraphQLScalarType) else None

    def complete(value: Any) -> Any:
        if type(value) is exact:
            return value
        if value is None:
            if non_null:
                raise Unsupported
            return None
        result = serialize(value)
        if result is None or result is Undefined:
            raise Unsupported
        return result

    complete.passes = exact  # type: ignore[attr-defined]  # inlined by compiled plans
    return complete


def _nullable(inner: Complete, non_null: bool) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            if non_null:
                raise Unsupported
            return None
        return inner(value)

    return complete


def _list_of(item: Complete) -> Complete:
    exact = getattr(item, "passes", None)  # a list of leaves already of the scalar's type

    def complete(value: Any) -> Any:
        if exact is not None and type(value) is list:
            for entry in value:
                if type(entry) is not exact:
                    break
            else:  # checking each entry costs a quarter of completing it
                return value.copy()
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
            raise Unsupported
        return [item(entry) for entry in value]

    return complete


class FieldPlan(NamedTuple):
    key: str  # the response key
    get: Callable[[Any], Any]
    complete: Complete
    attribute: str | None = None  # ``get`` reads this attribute of the object


@dataclass
class Plan:
    """How to build one object of a type from its selection."""

    type_: GraphQLObjectType
    fields: list[FieldPlan] = field(default_factory=list)

    def compile(self) -> Callable[[Any], dict[str, Any]]:
        """A function building the object's dictionary in one expression, as graphql-jit does
        in JavaScript: attributes read inline, leaves of the scalar's own type passed as they
        are, everything else through its getter and completer (faster than looping over the
        fields; docs/PERFORMANCE.md). Only literals (``repr``) and identifiers (attribute names,
        checked) reach the source; every value comes from the namespace."""
        namespace: dict[str, Any] = {"Unsupported": Unsupported, "check": self.type_.is_type_of}
        entries = []
        for index, (key, get, complete, attribute) in enumerate(self.fields):
            namespace[f"g{index}"], namespace[f"c{index}"] = get, complete
            value = f"obj.{attribute}" if _identifier(attribute) else f"g{index}(obj)"
            passes = getattr(complete, "passes", None)
            if passes is not None:
                namespace[f"t{index}"] = passes
                value = f"(v if type(v := {value}) is t{index} else c{index}(v))"
            else:
                value = f"c{index}({value})"
            entries.append(f"{key!r}: {value}")
        check = (
            "    if not check(obj, None):\n        raise Unsupported\n"
            if self.type_.is_type_of is not None
            else ""
        )
        source = f"def build(obj):\n{check}    return {{{', '.join(entries)}}}\n"
        exec(_code(source), namespace)
        return namespace["build"]  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1024)
def _code(source: str) -> CodeType:
    """Compiled once per distinct plan: the same operation compiles to the same source on every
    request (only the namespace, holding that request's getters, differs)."""
    return compile(source, "<fast path plan>", "exec")


def _identifier(name: str | None) -> bool:
    return name is not None and name.isidentifier() and not keyword.iskeyword(name)


class _Attribute(NamedTuple):
    attr: str

    def __call__(self, obj: Any) -> Any:
        return getattr(obj, self.attr)


def _attribute(name: str) -> Callable[[Any], Any]:
    # mypy does not see a NamedTuple's own __call__ (it checks tuple's): it is callable.
    return _Attribute(name)  # type: ignore[return-value]


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _: value


def _global_id(type_name: str, origin: type[Node]) -> Callable[[Any], Any]:
    attribute = origin.resolve_id_attr()
    return lambda obj: to_base64(type_name, str(getattr(obj, attribute)))


@dataclass
class ItemPlan:
    """How to complete a list's items, and what to load for them first."""

    complete: Complete
    # (field, its arguments, whether it loads per root): awaited before building.
    prefetches: list[tuple[Prefetched, Mapping[str, Any], bool]]


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, with list items built by compiled plans where they can be."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[Any, int], tuple[Any, ItemPlan | None]] = {}
        self._fast = not getattr(self.middleware_manager, "middlewares", None)

    def execute_operation(self, serially: bool | None = None) -> Any:
        """graphql-core's, which leaves the executor in a reference cycle (its ``async_helpers``
        hold methods bound to it), and with it the request's context, variables and errors: a
        cycle only the garbage collector frees, ~30 objects a request. Once the result is
        final and no incremental work is left, the cycle is broken and all of it is freed at
        once."""
        result = self._execute_operation(serially)
        if isinstance(result, ExecutionResult):
            self._release()
            return result
        if not self.is_awaitable(result):
            return result  # incremental results (@defer, @stream): the executor works on

        async def released() -> Any:
            final = await result
            if isinstance(final, ExecutionResult):
                self._release()
            return final

        return released()

    def _release(self) -> None:
        if not self.background_futures and not self.pending_incremental_futures:
            self.__dict__.pop("async_helpers", None)

    def _execute_operation(self, serially: bool | None) -> Any:
        """A subscription event whose value a shared read answered (the same object for every
        subscriber of the workspace) is executed once per document: the subscribers that sent
        the same document without variables get the same result (docs/decisions/0158)."""
        root = self.root_value
        if (
            root is None
            or SHARED_VALUES.get(id(root)) is not root
            or self.operation.variable_definitions
            or not self._fast
            or self.operation.operation is not OperationType.SUBSCRIPTION
        ):
            return super().execute_operation(serially)
        key = (id(self.schema), id(root), id(self.operation))
        found = _SHARED_EVENTS.get(key)
        if found is not None and found[0] is root and found[1] is self.operation:
            return found[2]
        result = super().execute_operation(serially)
        if isinstance(result, ExecutionResult) and not result.errors:
            if len(_SHARED_EVENTS) >= MAX_SHARED_EVENTS:
                _SHARED_EVENTS.clear()
            # Keeps the value and the document alive: their ids stay unique.
            _SHARED_EVENTS[key] = (root, self.operation, result)
        return result

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Any,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        plan = self._item_plan(item_type, field_details_list, path) if self._fast else None
        if plan is not None and isinstance(items, list | tuple):
            try:
                waiting = self._ready(plan, items)
                if waiting is None:
                    return [plan.complete(item) for item in items]
            except Exception:  # graphql-core answers it, with its own errors
                waiting = None
            else:
                fallback = (item_type, field_details_list, info, path, items, position_context)
                return self._complete_later(waiting, plan, items, fallback)
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _ready(self, plan: ItemPlan, items: list[Any] | tuple[Any, ...]) -> Any:
        if not plan.prefetches:
            return None
        loaders = self.context_value.loaders
        return combine(
            *(
                prefetch.ready(loaders, items if per_root else (), arguments)
                for prefetch, arguments, per_root in plan.prefetches
            )
        )

    async def _complete_later(
        self, waiting: Any, plan: ItemPlan, items: list[Any] | tuple[Any, ...], fallback: Any
    ) -> Any:
        try:
            await waiting
            return [plan.complete(item) for item in items]
        except Exception:  # graphql-core answers it, with its own errors
            result = super().complete_iterable_value(*fallback)
            return await result if self.is_awaitable(result) else result

    def _item_plan(self, item_type: Any, field_details_list: Any, path: Any) -> ItemPlan | None:
        key = (item_type, id(field_details_list))
        cached = self._plans.get(key)
        if cached is None:
            plan = self._shared_item_plan(item_type, field_details_list, path)
            # The list is kept alive with its plan: its id stays unique.
            cached = self._plans[key] = (field_details_list, plan)
        return cached[1]

    def _shared_item_plan(
        self, item_type: Any, field_details_list: Any, path: Any
    ) -> ItemPlan | None:
        """A plan that depends on nothing but the schema and the document (no directive in the
        selection, nothing prefetched) is kept for the next requests of the same document (the
        parser cache hands out the same one); any other is made for this request only."""
        nodes = tuple(detail.node for detail in field_details_list)
        key = (item_type, *map(id, nodes))
        shared = _SHARED_PLANS.get(key)
        if shared is not None:
            return shared[1]
        plan = self._new_item_plan(item_type, field_details_list, path)
        if (plan is None or not plan.prefetches) and _fixed(
            field_details_list, self.fragment_definitions
        ):
            if len(_SHARED_PLANS) >= MAX_SHARED_PLANS:
                _SHARED_PLANS.clear()
            _SHARED_PLANS[key] = (nodes, plan)  # keeps the nodes alive: their ids stay unique
        return plan

    def _new_item_plan(self, item_type: Any, field_details_list: Any, path: Any) -> ItemPlan | None:
        if self.get_stream_usage(field_details_list, path) is not None:
            return None
        prefetches: list[tuple[Prefetched, Mapping[str, Any], bool]] = []
        try:
            complete = self._completer(item_type, field_details_list, prefetches, True)
        except Unsupported:
            return None
        return ItemPlan(complete, prefetches)

    def _completer(
        self, type_: Any, field_details_list: Any, prefetches: list[Any], items: bool
    ) -> Complete:
        """``items``: whether objects of this type are the list's items themselves."""
        non_null = isinstance(type_, GraphQLNonNull)
        inner_type = type_.of_type if non_null else type_
        if isinstance(inner_type, GraphQLScalarType | GraphQLEnumType):
            return _leaf(inner_type, non_null)
        if isinstance(inner_type, GraphQLList):
            item = self._completer(inner_type.of_type, field_details_list, prefetches, False)
            inner: Complete = _list_of(item)
        elif isinstance(inner_type, GraphQLObjectType):
            inner = self._plan(inner_type, field_details_list, prefetches, items).compile()
        elif isinstance(inner_type, GraphQLUnionType):
            inner = self._union(inner_type, field_details_list, prefetches, items)
        else:
            raise Unsupported  # interfaces need their implementations' resolution
        return _nullable(inner, non_null)

    def _union(
        self, type_: GraphQLUnionType, field_details_list: Any, prefetches: list[Any], items: bool
    ) -> Complete:
        """A union of plain Strawberry types: an object is of the member whose definition it
        carries, which is how Strawberry resolves it when no generic is involved; a cast
        object, or one of no member's definition, is left to graphql-core."""
        plans: dict[int, Complete] = {}
        for member in type_.types:
            definition = member.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                not isinstance(definition, StrawberryObjectDefinition)
                or definition.is_graphql_generic
                or definition.concrete_of is not None
            ):
                raise Unsupported
            plans[id(definition)] = self._plan(
                member, field_details_list, prefetches, items
            ).compile()

        def complete(value: Any) -> Any:
            build = plans.get(id(getattr(value, "__strawberry_definition__", None)))
            if build is None or get_strawberry_type_cast(value) is not None:
                raise Unsupported
            return build(value)

        return complete

    def _plan(
        self, type_: GraphQLObjectType, field_details_list: Any, prefetches: list[Any], items: bool
    ) -> Plan:
        collected = self.collect_subfields(type_, field_details_list)
        if collected.new_defer_usages:
            raise Unsupported
        plan = Plan(type_)
        for response_key, details in collected.grouped_field_set.items():
            if any(detail.defer_usage is not None for detail in details):
                raise Unsupported
            getter, field_type = self._getter(type_, details, prefetches, items)
            complete = self._completer(field_type, details, prefetches, False)
            attribute = getter.attr if isinstance(getter, _Attribute) else None
            plan.fields.append(FieldPlan(response_key, getter, complete, attribute))
        return plan

    def _getter(
        self, type_: GraphQLObjectType, details: Any, prefetches: list[Any], items: bool
    ) -> tuple[Callable[[Any], Any], Any]:
        name = details[0].node.name.value
        if name == "__typename":
            return _constant(type_.name), GraphQLNonNull(GraphQLString)
        field_def = type_.fields.get(name)
        if field_def is None:
            raise Unsupported
        definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        prefetch = marker_of(getattr(definition, "base_resolver", None))
        if prefetch is not None and (items or not prefetch.per_root):
            return self._prefetched(field_def, definition, prefetch, details, prefetches, items)
        if field_def.args:
            raise Unsupported
        if is_default_resolver(field_def.resolve) and definition is not None:
            return _attribute(definition.python_name), field_def.type
        origin = _origin(type_)
        if name == "id" and origin is not None and _default_node_id(origin):
            return _global_id(type_.name, origin), GraphQLNonNull(GraphQLID)
        raise Unsupported

    def _prefetched(
        self,
        field_def: GraphQLField,
        definition: Any,
        prefetch: Prefetched,
        details: Any,
        prefetches: list[Any],
        items: bool,
    ) -> tuple[Callable[[Any], Any], Any]:
        if definition.extensions or definition.permission_classes:
            raise Unsupported  # Strawberry would run them around the resolver
        arguments = self._arguments(field_def, details)
        loaders = self.context_value.loaders
        prefetches.append((prefetch, arguments, items and prefetch.per_root))
        get = prefetch.get
        return (lambda obj: get(obj, loaders, arguments)), field_def.type

    def _arguments(self, field_def: GraphQLField, details: Any) -> dict[str, Any]:
        """The field's arguments as its resolver receives them (Python names); scalars only,
        which Strawberry passes on as graphql-core coerced them."""
        node = details[0].node
        if not field_def.args and not node.arguments:
            return {}
        if any(d.fragment_variable_values is not None for d in details):
            raise Unsupported
        values = get_argument_values(field_def, node, self.variable_values)
        arguments = {}
        for name, value in values.items():
            argument = field_def.args[name]
            python = argument.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if python is None or not isinstance(get_named_type(argument.type), GraphQLScalarType):
                raise Unsupported
            arguments[python.python_name] = value
        return arguments


# Plans shared between requests, by item type and the list field's nodes (see
# ``_shared_item_plan``); all forgotten at once when full, as ``app.cache.memo`` does.
MAX_SHARED_PLANS = 512
MAX_SHARED_EVENTS = 256
# (schema, shared value, operation) → (the value, the operation, its result).
_SHARED_EVENTS: dict[tuple[int, int, int], tuple[Any, Any, ExecutionResult]] = {}
_SHARED_PLANS: dict[tuple[Any, ...], tuple[tuple[Any, ...], ItemPlan | None]] = {}


def _fixed(field_details_list: Any, fragments: Mapping[str, FragmentDefinitionNode]) -> bool:
    """Whether a list field's selection is planned the same whatever the variables: no
    directive anywhere in it or on the field (``@skip``, ``@include``, ``@defer``, ``@stream``
    take variables), and no fragment arguments."""
    if any(detail.fragment_variable_values is not None for detail in field_details_list):
        return False
    pending: list[Any] = [detail.node for detail in field_details_list]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if node.directives:
            return False
        if isinstance(node, FragmentSpreadNode):
            if getattr(node, "arguments", None):
                return False
            name = node.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or fragment.directives:
                return False
            pending.extend(fragment.selection_set.selections)
        elif node.selection_set is not None:
            pending.extend(node.selection_set.selections)
    return True


def _origin(type_: GraphQLObjectType) -> Any:
    definition = type_.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition.origin if isinstance(definition, StrawberryObjectDefinition) else None


def _default_node_id(origin: Any) -> bool:
    """A relay Node whose global id is the default one: its type name and its NodeID field."""
    return (
        isinstance(origin, type)
        and issubclass(origin, Node)
        and origin.resolve_id.__func__ is Node.resolve_id.__func__  # type: ignore[attr-defined]
        and origin.resolve_typename.__func__ is Node.resolve_typename.__func__  # type: ignore[attr-defined]
    )
