"""Relay pagination helpers: opaque cursors over a sort key, and the page-size rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay import from_base64, to_base64
from strawberry.types.nodes import SelectedField, Selection

from app.errors import BadUserInput

T = TypeVar("T")
NodeType = TypeVar("NodeType")
CURSOR_PREFIX = "cursor"
DEFAULT_PAGE_SIZE = 100


def encode_cursor(key: str) -> str:
    return to_base64(CURSOR_PREFIX, key)


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        prefix, key = from_base64(cursor)
    except (ValueError, TypeError) as error:
        raise BadUserInput("Invalid cursor", field="after") from error
    if prefix != CURSOR_PREFIX:
        raise BadUserInput("Invalid cursor", field="after")
    return key


def page_size(first: int | None, *, maximum: int | None) -> int | None:
    """``first`` checked against the cap; ``maximum=None`` (trusted operations) means no cap."""
    if first is None:
        return DEFAULT_PAGE_SIZE if maximum is not None else None
    if first < 0:
        raise BadUserInput("`first` must not be negative", field="first")
    if maximum is not None and first > maximum:
        raise BadUserInput(f"`first` must not exceed {maximum}", field="first")
    return first


@strawberry.type
class Page(Generic[NodeType]):
    """A Relay connection: ``nodes`` for the page's items, ``edges`` (built only when asked for:
    each cursor costs an encoding) for their cursors."""

    page_info: relay.PageInfo = strawberry.field(description="Pagination data for this connection")
    nodes: list[NodeType] = strawberry.field(description="The page's items.")
    cursor_keys: strawberry.Private[list[str]]

    # relay.Edge bounds its node type to relay.Node, but its fields work for any type (a page of
    # DeployableTool, which is no Node): mypy cannot see that, Strawberry builds it fine.
    @strawberry.field(description="Contains the nodes in this connection")
    def edges(self) -> list[relay.Edge[NodeType]]:  # type: ignore[type-var]
        return [
            relay.Edge(cursor=encode_cursor(key), node=node)  # type: ignore[type-var]  # as above
            for key, node in zip(self.cursor_keys, self.nodes, strict=True)
        ]


def page_parts(
    rows: list[T], *, size: int | None, after: str | None, key: Callable[[T], str]
) -> dict[str, Any]:
    """A fetched ``size + 1`` rows as the arguments of a :class:`Page`."""
    has_next = size is not None and len(rows) > size
    nodes = rows[:size] if size is not None else rows
    keys = [key(node) for node in nodes]
    info = relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=encode_cursor(keys[0]) if keys else None,
        end_cursor=encode_cursor(keys[-1]) if keys else None,
    )
    return {"nodes": nodes, "page_info": info, "cursor_keys": keys}


def fetch_limit(size: int | None) -> int | None:
    """Rows to fetch for a page: one more than asked tells whether a next page exists."""
    return None if size is None else size + 1


def node_fields(info: strawberry.Info[Any, Any]) -> frozenset[str]:
    """The names of the fields a query selects on the nodes of the connection being resolved —
    under ``nodes`` and under ``edges { node }``, through fragments — as written (a field under
    ``@skip`` or ``@include`` counts: a superset is always safe)."""
    names: set[str] = set()
    for connection in info.selected_fields:
        for field in _fields(connection.selections):
            if field.name == "nodes":
                names.update(node.name for node in _fields(field.selections))
            elif field.name == "edges":
                for edge in _fields(field.selections):
                    if edge.name == "node":
                        names.update(node.name for node in _fields(edge.selections))
    return frozenset(names)


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or an inline fragment: its own selections
            yield from _fields(selection.selections)
