"""Variables and shapes of the balance routes (docs/CONTRACT.md §3.10).

The same wallet in two units: integer micros (``/api/billing/balance``) and USD numbers with two
decimals (``/api/v1/balance``, ``/api/cli/balance``). A USD figure is its micros rounded to the
cent half away from zero, in exact decimal arithmetic (``round_usd``): 5,000 micros is 0.01,
4,999 is 0, -5,000 is -0.01 (docs/decisions/0090).
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

from app.errors import Unauthenticated
from legacy_rest.envelopes import js_number
from legacy_rest.legacy_route import RestInput

MICROS_PER_USD = Decimal(1_000_000)
CENT = Decimal("0.01")
# Body field → the wallet's field, in the order of the body.
FIGURES = {
    "balance": "balanceMicros",
    "credits": "creditsMicros",
    "spent": "spentMicros",
    "spent_this_month": "spentThisMonthMicros",
}


def round_usd(micros: int) -> Decimal:
    """Micros as USD rounded to the cent, half away from zero."""
    return (Decimal(micros) / MICROS_PER_USD).quantize(CENT, rounding=ROUND_HALF_UP)


def usd_number(micros: int) -> orjson.Fragment:
    """The USD figure as a JSON number, printed as JavaScript prints it (``12.5``, ``0``)."""
    return js_number(round_usd(micros))


def caller_workspace(request: RestInput) -> dict[str, Any]:
    """No variables: the workspace is the credential's. ``tenant_id``, when given, must name that
    workspace (its id or slug): a credential of another workspace answers 401."""
    wanted = request.query.get("tenant_id")
    if wanted is not None and not _names(wanted, request):
        raise Unauthenticated()
    return {}


def _names(wanted: str, request: RestInput) -> bool:
    viewer = request.viewer
    if wanted == viewer.tenant_slug:
        return True
    try:
        return uuid.UUID(wanted) == viewer.tenant_id
    except ValueError:
        return False


def balance_usd(data: dict[str, Any]) -> Any:
    workspace = data["workspace"]
    wallet = workspace["wallet"]
    body: dict[str, Any] = {"tenant_id": workspace["id"]}
    for name, field in FIGURES.items():
        body[f"{name}_usd"] = usd_number(wallet[field])
    body["as_of"] = wallet["asOf"]
    return body


def balance_micros(data: dict[str, Any]) -> Any:
    workspace = data["workspace"]
    wallet = workspace["wallet"]
    body: dict[str, Any] = {"tenant_id": workspace["id"]}
    for name, field in FIGURES.items():
        body[f"{name}_micros"] = wallet[field]
    body["as_of"] = wallet["asOf"]
    return body
