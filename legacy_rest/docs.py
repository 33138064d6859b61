"""docs/REST_TO_GRAPHQL.md, generated from the route table (a test fails when it drifts):
`python -m legacy_rest.docs > docs/REST_TO_GRAPHQL.md`."""

from __future__ import annotations

import re

from graphql import OperationDefinitionNode, parse

from legacy_rest.documents import load_operation
from legacy_rest.legacy_route import LegacyRoute
from legacy_rest.routes import ROUTES


def _auth(route: LegacyRoute) -> str:
    kinds = sorted(credential.value for credential in route.auth.accept)
    if not kinds:
        return "none"
    text = " or ".join(kinds).replace("_", " ")
    return text if route.auth.required else f"optional ({text})"


def _root_fields(document: str) -> str:
    fields = []
    for definition in parse(document).definitions:
        if isinstance(definition, OperationDefinitionNode):
            kind = definition.operation.value
            for selection in definition.selection_set.selections:
                name = selection.name.value  # type: ignore[attr-defined]
                fields.append(f"{kind} `{name}`")
    return ", ".join(dict.fromkeys(fields))


def _cache(route: LegacyRoute) -> str:
    parts = []
    if route.cache is not None:
        parts.append(f"{route.cache.ttl} s ({route.cache.applies_to.__name__.replace('_', ' ')})")
    parts += [f"`{name}: {value}`" for name, value in route.headers.items()]
    return "; ".join(parts) or "–"


def _limit(route: LegacyRoute) -> str:
    return route.limit or (f"{route.ip_limit} (per IP, REST only)" if route.ip_limit else "–")


def markdown() -> str:
    lines = [
        "# Legacy REST routes and the GraphQL they run",
        "",
        "Generated from `legacy_rest/routes.py` by `python -m legacy_rest.docs`; do not edit.",
        "Each route runs one GraphQL operation in-process (`legacy_rest/operations/`); the same",
        "operation can be posted to `/graphql` directly. The OpenAPI document of these routes is",
        "served at `/api/openapi.json`.",
        "",
        "| method | path | auth | GraphQL | operation | errors | cache / headers | limit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for route in ROUTES:
        document = load_operation(route.operation)
        name = re.search(r"(?:query|mutation)\s+(\w+)", document)
        lines.append(
            f"| {route.method} | `{route.path}` | {_auth(route)} | {_root_fields(document)} "
            f"| [`{name.group(1) if name else route.operation}`]"
            f"(../legacy_rest/operations/{route.operation}.graphql) | {route.envelope.value} "
            f"| {_cache(route)} | {_limit(route)} |"
        )
    lines += ["", "## The operations", ""]
    for operation in dict.fromkeys(route.operation for route in ROUTES):
        lines += [
            f"### {operation}",
            "",
            "```graphql",
            load_operation(operation).rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
