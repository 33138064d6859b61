"""Relay pagination helpers: opaque cursors over a sort key, and the page-size rule."""

from __future__ import annotations

from strawberry.relay import from_base64, to_base64

from app.errors import BadUserInput

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
