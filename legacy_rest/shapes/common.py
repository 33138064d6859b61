"""Variables that routes of several domains read."""

from __future__ import annotations

from typing import Any

from legacy_rest.legacy_route import RestInput


def slug(request: RestInput) -> dict[str, Any]:
    return {"slug": request.path["slug"]}
