"""Variables and shapes of the account integrations routes, /api/v1 (docs/CONTRACT.md §4)."""

from __future__ import annotations

from typing import Any

from app.errors import BadUserInput
from legacy_rest.legacy_route import RestInput

MISSING_ACCOUNT = "Missing X-Account-ID header"


def _account(request: RestInput) -> str:
    account = request.headers.get("x-account-id", "").strip()
    if not account:
        raise BadUserInput(MISSING_ACCOUNT)
    return account


def account(request: RestInput) -> dict[str, Any]:
    return {"account": _account(request)}


def account_list(request: RestInput) -> dict[str, Any]:
    query = request.query
    return {
        "account": _account(request),
        "category": query.get("category") or None,
        "status": query.get("status") or None,
    }


def account_item(request: RestInput) -> dict[str, Any]:
    return {"account": _account(request), "id": request.path["id"]}


def install(request: RestInput) -> dict[str, Any]:
    """``params`` and ``secrets`` from the body; server-set ones are ignored (CONTRACT.md §4.3)."""
    variables = account_item(request)
    body = request.body if request.body is not None else {}
    if not isinstance(body, dict):
        raise BadUserInput("Request body must be a JSON object")
    return {**variables, "params": body.get("params"), "secrets": body.get("secrets")}


def flatten(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry["integration"], **entry["installation"]}


def account_list_body(data: dict[str, Any]) -> Any:
    found = data["account"]["integrations"]
    return {
        "integrations": [flatten(entry) for entry in found["nodes"]],
        "counts": {row["category"]: row["count"] for row in found["counts"]},
        "total": found["total"],
    }


def account_item_body(data: dict[str, Any]) -> Any:
    return flatten(data["account"]["integration"])


def changed_item_body(data: dict[str, Any]) -> Any:
    """An install or uninstall: the mutation's one field is the row."""
    return flatten(next(iter(data.values())))


def stub(key: str) -> Any:
    def shape(_: dict[str, Any]) -> Any:
        return {key: []}

    return shape
