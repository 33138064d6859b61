"""Error masking: DomainErrors pass through with their code; anything else raised while
resolving becomes INTERNAL with a generic message. Errors found before execution (syntax,
validation, variable coercion) are the client's and keep their message, as BAD_USER_INPUT.

Identical errors found before execution (ten unknown ``@aa`` directives) are answered once, with
all their locations, and one answer carries at most ``MAX_ERRORS`` errors: a document cannot
make the gateway write a long list of errors (graphql-cop's directive overloading)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types.execution import StreamExecutionResult

from app.errors import BadUserInput, DomainError, Internal, classify
from app.web.request_log import request_id

MAX_ERRORS = 20


def is_internal(error: GraphQLError) -> bool:
    return error.path is not None and not isinstance(error.original_error, DomainError)


def graphql_error(error: DomainError) -> GraphQLError:
    """A catalogue error raised where Strawberry expects a GraphQLError (an extension's hook)."""
    return GraphQLError(error.message, extensions=error.extensions)


# graphql-core's "Did you mean 'first'?" tails (unknown arguments, types, enum values...);
# suggested names never contain a question mark.
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class MaskInternalErrors(MaskErrors):
    """Strawberry's MaskErrors through its public hooks: what it masks is answered as
    :func:`app.errors.classify` says (INTERNAL with the request id, or UNAVAILABLE); then every
    error gets a code, and the list is merged and capped (:meth:`shaped`).

    With ``hide_suggestions`` (production), no message suggests a name: together with
    ``disable_field_suggestions`` and introspection off, the schema cannot be guessed from
    errors."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(should_mask_error=is_internal, error_message=Internal.default_message)
        self.hide_suggestions = hide_suggestions
        self.streamed = False

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        answer = classify(error.original_error)
        if isinstance(answer, Internal):
            answer.extensions["requestId"] = request_id()
        masked.message, masked.extensions = answer.message, answer.extensions
        return masked

    def on_operation(self) -> Iterator[None]:
        self.streamed = False
        yield from super().on_operation()  # masks the result, unless it was streamed
        if not self.streamed:
            result = self.execution_context.result
            self._shape(result)
            self._shape(getattr(result, "initial_result", None))

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Each result of a stream (a subscription's events) before it is sent: masked by
        Strawberry, then shaped."""
        self.streamed = True
        for pause in super().on_stream_result(result):
            for part in (
                result,
                *(getattr(result, "incremental", None) or ()),
                *(getattr(result, "completed", None) or ()),
            ):
                self._shape(part)
            yield pause

    def _shape(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self.shaped(errors)  # type: ignore[attr-defined]

    def shaped(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """Errors found before execution (syntax, validation, variables) are the client's:
        BAD_USER_INPUT with their message (minus suggestions in production); identical ones
        merged, at most ``MAX_ERRORS``."""
        for error in errors:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": BadUserInput.code}
            if self.hide_suggestions and "Did you mean" in error.message:
                error.message = SUGGESTION.sub("", error.message)
        return capped(merge_identical(errors))


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
