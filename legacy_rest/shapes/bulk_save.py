"""Variables and shape of the bulk save, ``POST /api/integrations`` (docs/CONTRACT.md §5)."""

from __future__ import annotations

from typing import Any

from legacy_rest.legacy_route import RestInput


def integrations_batch(request: RestInput) -> dict[str, Any]:
    """The body as it is (null and empty included): the mutation reports what is wrong."""
    return {"integrations": request.body}


def saved(data: dict[str, Any]) -> Any:
    return data["saveIntegrations"]
