"""A release's ``requires``: the providers it needs and those it can use."""

from __future__ import annotations

from typing import Any, Self

import strawberry


def _providers(value: Any) -> list[str]:
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


@strawberry.type(description="Providers a release needs, and those it can use.")
class RequiresManifest:
    required: list[str]
    optional: list[str]

    @classmethod
    def from_stored(cls, requires: Any) -> Self:
        requires = requires if isinstance(requires, dict) else {}
        return cls(
            required=_providers(requires.get("required")),
            optional=_providers(requires.get("optional")),
        )
