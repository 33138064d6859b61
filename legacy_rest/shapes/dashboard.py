"""Variables and shapes of the dashboard's account reads and key writes (docs/CONTRACT.md
§3.11): the session cookie, camelCase, the flat error envelope."""

from __future__ import annotations

import uuid
from typing import Any

from app.errors import ConnectionNotFound, KeyNotFound
from legacy_rest.legacy_route import RestInput

SIGNED_OUT = {"authenticated": False, "user": None, "workspace": None}


def auth_me(data: dict[str, Any]) -> Any:
    """The signed-in user and their workspace (null without one), or the signed-out answer."""
    viewer = data["viewer"]
    if viewer is None:
        return SIGNED_OUT
    workspace = viewer.pop("workspace")
    return {"authenticated": True, "user": viewer, "workspace": workspace}


def workspace_field(name: str) -> Any:
    def shape(data: dict[str, Any]) -> Any:
        return {name: data["workspace"][name]}

    shape.__name__ = f"workspace_{name}"
    return shape


def _uuid(value: str, missing: type[Exception]) -> str:
    """A path id that is no UUID names nothing: the route's 404, not a 400."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise missing() from None


def connection_id(request: RestInput) -> dict[str, Any]:
    return {"connectionId": _uuid(request.path["connectionId"], ConnectionNotFound)}


def key_id(request: RestInput) -> dict[str, Any]:
    return {"id": _uuid(request.path["keyId"], KeyNotFound)}


def minted_key(data: dict[str, Any]) -> Any:
    """The key's row, then the key itself (shown this once)."""
    created = data["createConnectionKey"]
    return {**created["apiKey"], "key": created["key"]}
