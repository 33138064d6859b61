"""``POST /api/integrations/{slug}/regenerate``: its order of checks and answers
(CONTRACT.md §1.4; docs/decisions/0006)."""

from __future__ import annotations

import httpx
import pytest

from app.models import (
    MANAGED_POOL,
    Connection,
)
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    INTERNAL,
    JSON_TYPE,
    NO_REGENERATION,
    NOT_PROVISIONED,
    OPENROUTER_NO_REGENERATION,
    UNAUTHORIZED,
    add_rows,
    boom,
)
from tests.support.credentials import (
    sign_up,
    sign_up_without_workspace,
)
from tests.support.http import assert_json


async def test_regenerate_without_session_is_401(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await client.post("/api/integrations/openrouter/regenerate"), 401, UNAUTHORIZED)
    # 401 comes before 404.
    response = await client.post("/api/integrations/no-such-thing/regenerate")
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_invalid_cookie_is_401(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post(
        "/api/integrations/openrouter/regenerate",
        headers={"Cookie": "vendo_session=garbage", **JSON_TYPE},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_without_workspace_is_404_before_slug_check(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    for slug in ("openrouter", "no-such-thing"):
        response = await client.post(
            f"/api/integrations/{slug}/regenerate", headers={**headers, **JSON_TYPE}
        )
        assert_json(response, 404, {"message": "No workspace"})


async def test_regenerate_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 404, {"message": "Integration not found"})


@pytest.mark.parametrize("provider", ["openrouter", "sendgrid", "elevenlabs"])
async def test_regenerate_never_enabled_is_not_provisioned(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, _ = await sign_up(sessions, runtime, "fresh@example.com")
    response = await client.post(
        f"/api/integrations/{provider}/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NOT_PROVISIONED)


async def test_regenerate_switched_off_without_connection_is_not_provisioned(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    # The demo workspace's telegram flag is false and it holds no telegram connection.
    response = await client.post(
        "/api/integrations/telegram/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, NOT_PROVISIONED)


async def test_regenerate_openrouter_has_specific_message(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, OPENROUTER_NO_REGENERATION)


async def test_regenerate_enabled_integration_is_unsupported(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, _ = await sign_up(sessions, runtime, "fresh@example.com")
    await client.post("/api/integrations/sendgrid", json={"enabled": True}, headers=headers)
    response = await client.post(
        "/api/integrations/sendgrid/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)
    await client.post("/api/integrations/openrouter", json={"enabled": True}, headers=headers)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, OPENROUTER_NO_REGENERATION)


async def test_regenerate_connection_alone_counts_as_provisioned(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "fresh@example.com")
    await add_rows(
        runtime, Connection(tenant_id=tenant_id, provider="deepgram", profile=MANAGED_POOL)
    )
    response = await client.post(
        "/api/integrations/deepgram/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)


async def test_regenerate_demo_elevenlabs_is_unsupported(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/elevenlabs/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)


async def test_regenerate_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.get_integration", boom)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 500, INTERNAL)
