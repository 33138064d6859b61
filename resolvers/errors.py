"""Error masking: DomainErrors pass through with their code; anything else raised while
resolving becomes INTERNAL with a generic message. Errors found before execution (syntax,
validation, variable coercion) are the client's and keep their message, as BAD_USER_INPUT."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from app.errors import DomainError

INTERNAL_MESSAGE = "Internal server error"


def is_internal(error: GraphQLError) -> bool:
    return error.path is not None and not isinstance(error.original_error, DomainError)


class MaskInternalErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_internal, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        return processed
