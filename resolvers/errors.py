"""Error masking: DomainErrors pass through with their code; anything else raised while
resolving becomes INTERNAL with a generic message. Errors found before execution (syntax,
validation, variable coercion) are the client's and keep their message, as BAD_USER_INPUT."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ParserCache

from app.errors import DomainError, is_unavailable
from app.observability import request_id

INTERNAL_MESSAGE = "Internal server error"
UNAVAILABLE_MESSAGE = "Service unavailable"


def is_internal(error: GraphQLError) -> bool:
    return error.path is not None and not isinstance(error.original_error, DomainError)


# graphql-core's "Did you mean 'first'?" tails (unknown arguments, types, enum values...);
# suggested names never contain a question mark.
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class MaskInternalErrors(MaskErrors):
    """With ``hide_suggestions`` (production), no message suggests a name: together with
    ``disable_field_suggestions`` and introspection off, the schema cannot be guessed from
    errors."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(should_mask_error=is_internal, error_message=INTERNAL_MESSAGE)
        self.hide_suggestions = hide_suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        if is_unavailable(error.original_error):
            masked.message = UNAVAILABLE_MESSAGE
            masked.extensions = {"code": "UNAVAILABLE"}
        else:
            masked.extensions = {"code": "INTERNAL", "requestId": request_id()}
        return masked

    def _process_result(self, result: object) -> None:
        # Strawberry checks ``isinstance(result, <runtime-checkable Protocol>)``, which walks the
        # protocol's members on every operation (~5 µs); the attribute says the same.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            if self.hide_suggestions and "Did you mean" in error.message:
                error.message = SUGGESTION.sub("", error.message)
        return processed


class SafeParserCache(ParserCache):
    """ParserCache whose syntax errors take Strawberry's normal path.

    The stock extension parses when the parsing hook starts, so a syntax error escapes before
    Strawberry's own ``try`` and the operation hooks (masking, codes) never see it. Here a failed
    parse leaves the document unset; Strawberry parses again inside its ``try`` and reports it.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield
