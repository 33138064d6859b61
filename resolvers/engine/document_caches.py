"""The parse and validation caches, for documents of a bounded size.

Strawberry's ``ParserCache`` and ``ValidationCache`` keep the last 512 documents whatever their
size. A parsed document holds its whole text (and a comment token its own copy of the comment),
so 512 distinct documents of 1 MiB — one comment each, well within the token limit — would keep
a GiB in every worker. Here a document longer than ``max_chars`` is parsed and validated on each
request instead: it still runs, it is just not kept.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache


def _cacheable(query: str | None, max_chars: int) -> bool:
    return query is not None and len(query) <= max_chars


class SafeParserCache(ParserCache):
    """ParserCache whose syntax errors take Strawberry's normal path, for documents of at most
    ``max_chars``.

    The stock extension parses when the parsing hook starts, so a syntax error escapes before
    Strawberry's own ``try`` and the operation hooks (masking, codes) never see it. Here a failed
    parse leaves the document unset; Strawberry parses again inside its ``try`` and reports it.
    A longer document is left to Strawberry's own (uncached) parse too.
    """

    def __init__(self, *, maxsize: int, max_chars: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_chars = max_chars

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if _cacheable(context.query, self.max_chars):
            try:
                context.graphql_document = self.cached_parse_document(
                    context.query, **context.parse_options
                )
            except GraphQLError:
                context.graphql_document = None
        yield


class SizedValidationCache(ValidationCache):
    """ValidationCache for documents of at most ``max_chars``; Strawberry validates a longer one
    itself, uncached (its validation runs when no extension has set the errors)."""

    def __init__(self, *, maxsize: int, max_chars: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_chars = max_chars

    def on_validate(self) -> Iterator[None]:
        if _cacheable(self.execution_context.query, self.max_chars):
            yield from super().on_validate()
        else:
            yield
