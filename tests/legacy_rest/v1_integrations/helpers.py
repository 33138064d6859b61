"""What the /api/v1 tests share: rows and counts of the demo catalog, expected answers, and
the demo workspace's ids."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.fernet import Fernet

from app.models import Integration
from app.services.secrets import SecretBox
from tests.support.catalog import CATEGORY_COUNTS, ENABLED_CATEGORIES

SECRET_KEY = Fernet.generate_key().decode()


UNAUTHORIZED = "Unauthorized"


MISSING_ACCOUNT = "Missing X-Account-ID header"


ACCOUNT_NOT_FOUND = "Account not found"


INTEGRATION_NOT_FOUND = "Integration not found"


UNAVAILABLE = "Secret encryption service unavailable"


BAD_STATUS = "status must be available or installed"


NOT_AN_OBJECT = "Request body must be a JSON object"


INVALID_JSON = "Invalid JSON body"


ROW_KEYS = [
    "id",
    "name",
    "display_name",
    "description",
    "category",
    "logo_url",
    "docs_url",
    "status",
    "installed_at",
    "params",
    "secrets",
]


ENABLED = ENABLED_CATEGORIES


ALL_COUNTS = CATEGORY_COUNTS


ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


PREFLIGHT_METHODS = "GET, POST, OPTIONS"


PREFLIGHT_HEADERS = "Authorization, Content-Type, X-Account-ID"


VENDO_ORIGIN = "https://app.vendo.run"


ACCOUNT_PATHS = [
    "/api/v1/integrations",
    "/api/v1/integrations/openai",
    "/api/v1/mcp-connections",
    "/api/v1/native-tools",
]


POST_PATHS = ["/api/v1/integrations/openai/install", "/api/v1/integrations/openai/uninstall"]


@dataclass
class Demo:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    app_id: uuid.UUID
    connection_id: uuid.UUID
    admin_tenant_id: uuid.UUID
    admin_user_id: uuid.UUID


def expected_row(integration: Integration, **overlay: Any) -> dict[str, Any]:
    row = {
        "id": str(integration.id),
        "name": integration.provider,
        "display_name": integration.name,
        "description": integration.description,
        "category": integration.category,
        "logo_url": integration.logo_url,
        "docs_url": integration.docs_url,
        "status": "available",
        "installed_at": None,
        "params": {},
        "secrets": [],
    }
    row.update(overlay)
    return row


def box() -> SecretBox:
    return SecretBox([Fernet(SECRET_KEY)])


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("access-control-") or name == "vary"
    }


async def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret database detail")
