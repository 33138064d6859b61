"""Variables and shapes of the integrations routes (docs/CONTRACT.md §1)."""

from __future__ import annotations

from typing import Any

from app.errors import BadUserInput, NotFound
from legacy_rest.envelopes import js_number
from legacy_rest.legacy_route import RestInput


def signed_in(request: RestInput) -> dict[str, Any]:
    return {"signedIn": request.viewer.has_session}


def slug_signed_in(request: RestInput) -> dict[str, Any]:
    return {"slug": request.path["slug"], "signedIn": request.viewer.has_session}


def toggle(request: RestInput) -> dict[str, Any]:
    body = request.body
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        raise BadUserInput('Body must be a JSON object with a boolean "enabled"')
    return {"slug": request.path["slug"], "enabled": body["enabled"]}


def integration_list(data: dict[str, Any]) -> Any:
    if "rows" in data:
        return data["rows"]["nodes"]
    return {"integrations": data["integrations"]["nodes"]}


def integration_detail(data: dict[str, Any]) -> Any:
    if data.get("row") is not None:
        row = data["row"]
        row["tenantEnabled"] = bool(row["tenantEnabled"])
        return row
    if data.get("public") is not None:
        return data["public"]
    raise NotFound()


def toggle_result(data: dict[str, Any]) -> Any:
    result = data["toggle"]
    if result["error"] is None:
        del result["error"]
    return result


def usage(data: dict[str, Any]) -> Any:
    trend = data["usageTrend"]
    for key in ("spend_daily_usd", "spend_weekly_usd", "spend_monthly_usd"):
        trend[key] = js_number(trend[key])
    return trend
