"""``/api/v1/*`` when the database fails, and without a secret key configured
(CONTRACT.md §4; docs/decisions/0030)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.runtime import Runtime
from tests.legacy_rest.v1_integrations.helpers import INTEGRATION_NOT_FOUND, UNAVAILABLE, Demo, boom
from tests.support.catalog import state_of
from tests.support.http import assert_text

# --------------------------------------------------------------------------------------------
# 500 Database error


@pytest.mark.parametrize(
    ("method", "path", "target"),
    [
        ("GET", "/api/v1/integrations", "account_integrations"),
        ("GET", "/api/v1/integrations/openai", "account_integration"),
        ("POST", "/api/v1/integrations/openai/install", "install"),
        ("POST", "/api/v1/integrations/openai/uninstall", "uninstall"),
    ],
)
async def test_v1_database_failure_is_500_database_error(
    client: httpx.AsyncClient,
    runtime: Runtime,
    ids: Demo,
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    target: str,
) -> None:
    from app.repositories import integrations

    monkeypatch.setattr(integrations, target, boom)
    response = await client.request(
        method,
        path,
        headers=headers,
        json={"secrets": {"api_key": "sk-during-failure"}} if method == "POST" else None,
    )
    assert_text(response, 500, "Database error")
    assert "secret database detail" not in response.text
    assert "sk-during-failure" not in caplog.text
    assert await state_of(runtime, ids.tenant_id, "openai") is None


# --------------------------------------------------------------------------------------------
# No secret key configured


class TestWithoutSecretKey:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}

    async def test_v1_install_with_secrets_is_unavailable_and_writes_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/api/v1/integrations/openai/install",
            headers=headers,
            json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-never-stored"}},
        )
        assert_text(response, 503, UNAVAILABLE)
        assert await state_of(runtime, ids.tenant_id, "openai") is None

    async def test_v1_install_with_secrets_leaves_an_existing_row_as_it_was(
        self, client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
    ) -> None:
        path = "/api/v1/integrations/openai"
        await client.post(f"{path}/install", headers=headers, json={"params": {"v": 1}})
        await client.post(f"{path}/uninstall", headers=headers)
        before = await state_of(runtime, ids.tenant_id, "openai")
        assert before is not None
        response = await client.post(
            f"{path}/install",
            headers=headers,
            json={"params": {"v": 2}, "secrets": {"api_key": "sk-never-stored"}},
        )
        assert_text(response, 503, UNAVAILABLE)
        after = await state_of(runtime, ids.tenant_id, "openai")
        assert after is not None
        assert after.model_dump() == before.model_dump()
        assert after.status == "available"

    async def test_v1_install_without_secrets_still_works(
        self, client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
    ) -> None:
        for body in ({"params": {"region": "eu"}}, {"params": {"region": "eu"}, "secrets": {}}):
            response = await client.post(
                "/api/v1/integrations/openai/install", headers=headers, json=body
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "installed"
            assert response.json()["params"] == {"region": "eu"}
        state = await state_of(runtime, ids.tenant_id, "openai")
        assert state is not None
        assert state.status == "installed"

    async def test_v1_bad_secret_is_bad_request_before_unavailable(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/api/v1/integrations/openai/install",
            headers=headers,
            json={"secrets": {"api_key": 5}},
        )
        assert_text(response, 400, "secrets.api_key must be a non-empty string")

    async def test_v1_unknown_integration_is_not_found_before_unavailable(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/api/v1/integrations/no_such_integration/install",
            headers=headers,
            json={"secrets": {"api_key": "x"}},
        )
        assert_text(response, 404, INTEGRATION_NOT_FOUND)

    async def test_v1_uninstall_still_works(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "available"
