"""Error masking: DomainErrors pass through with their code; anything else raised while
resolving becomes INTERNAL with a generic message. Errors found before execution (syntax,
validation, variable coercion) are the client's and keep their message, as BAD_USER_INPUT.

Identical errors found before execution (ten unknown ``@aa`` directives) are answered once, with
all their locations, and one answer carries at most ``MAX_ERRORS`` errors: a document cannot
make the gateway write a long list of errors (graphql-cop's directive overloading)."""

from __future__ import annotations

import re

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from app.errors import DomainError, is_unavailable
from app.web.request_log import request_id

INTERNAL_MESSAGE = "Internal server error"
UNAVAILABLE_MESSAGE = "Service unavailable"
MAX_ERRORS = 20


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
        return capped(merge_identical(processed))


def merge_identical(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Errors without a path (found before execution) that say the same thing become one, with
    every location in document order. A new error is made: validation errors are cached."""
    groups: dict[tuple[str, str], list[GraphQLError]] = {}
    merged: list[GraphQLError | tuple[str, str]] = []
    for error in errors:
        if error.path is not None:
            merged.append(error)
            continue
        key = (error.message, repr(error.extensions))
        if key not in groups:
            groups[key] = []
            merged.append(key)
        groups[key].append(error)
    return [item if isinstance(item, GraphQLError) else _one(groups[item]) for item in merged]


def _one(same: list[GraphQLError]) -> GraphQLError:
    if len(same) == 1:
        return same[0]
    first = same[0]
    error = GraphQLError(
        first.message, original_error=first.original_error, extensions=first.extensions
    )
    locations = [location for e in same for location in e.locations or ()]
    error.locations = list(dict.fromkeys(locations)) or None
    return error


def capped(errors: list[GraphQLError]) -> list[GraphQLError]:
    """At most MAX_ERRORS: the first ones, then one saying how many more there were (with the
    extensions of the first it stands for)."""
    if len(errors) <= MAX_ERRORS:
        return errors
    kept, dropped = errors[: MAX_ERRORS - 1], errors[MAX_ERRORS - 1 :]
    more = GraphQLError(
        f"Too many errors: {len(dropped)} more not shown", extensions=dropped[0].extensions
    )
    return [*kept, more]
