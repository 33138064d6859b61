"""``/api/v1/*`` when the database fails or no secret key is configured, and CORS on ``/api/v1/*``
only (CONTRACT.md §3.6, §4; docs/decisions/0029, 0030)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from app.runtime import Runtime
from tests.conftest import Sessions, session_headers
from tests.legacy_rest.v1_integrations.helpers import (
    INTEGRATION_NOT_FOUND,
    PREFLIGHT_HEADERS,
    PREFLIGHT_METHODS,
    UNAUTHORIZED,
    UNAVAILABLE,
    VENDO_ORIGIN,
    Demo,
    boom,
    cors_headers,
)
from tests.support.catalog import state_of
from tests.support.credentials import bearer
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

    async def test_v1_install_with_secrets_refused_is_logged_naming_the_setting(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """The client sees 503; the operator's log says why, and which setting to set."""
        caplog.set_level(logging.INFO)
        response = await client.post(
            "/api/v1/integrations/openai/install",
            headers=headers,
            json={"secrets": {"api_key": "sk-never-logged"}},
        )
        assert_text(response, 503, UNAVAILABLE)
        refusals = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
        assert (
            "vendo.secrets",
            "WARNING",
            "refused to read or write a secret: VENDO_SECRET_KEYS is not set "
            "(comma-separated Fernet keys; see the README)",
        ) in refusals
        assert not [m for _, _, m in refusals if "sk-never-logged" in m]

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

    @pytest.mark.parametrize(
        ("slug", "secrets", "status", "text"),
        [
            ("openai", {"api_key": 5}, 400, "secrets.api_key must be a non-empty string"),
            ("no_such_integration", {"api_key": "x"}, 404, INTEGRATION_NOT_FOUND),
        ],
        ids=["bad-secret-is-bad-request", "unknown-integration-is-not-found"],
    )
    async def test_v1_request_errors_come_before_unavailable(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        slug: str,
        secrets: dict[str, Any],
        status: int,
        text: str,
    ) -> None:
        response = await client.post(
            f"/api/v1/integrations/{slug}/install", headers=headers, json={"secrets": secrets}
        )
        assert_text(response, status, text)

    async def test_v1_uninstall_still_works(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "available"


# --------------------------------------------------------------------------------------------
# CORS (/api/v1/* only)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/integrations", "GET"),
        ("/api/v1/integrations/openai", "GET"),
        ("/api/v1/integrations/openai/install", "POST"),
        ("/api/v1/integrations/openai/uninstall", "POST"),
        ("/api/v1/mcp-connections", "GET"),
        ("/api/v1/native-tools", "GET"),
    ],
)
async def test_v1_preflight_answers_204_with_the_allow_headers(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.options(
        path,
        headers={
            "Origin": VENDO_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, x-account-id",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == VENDO_ORIGIN
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == PREFLIGHT_METHODS
    assert response.headers["access-control-allow-headers"] == PREFLIGHT_HEADERS
    assert "access-control-allow-credentials" not in response.headers


async def test_v1_preflight_from_another_origin_allows_any(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/v1/integrations",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == PREFLIGHT_METHODS
    assert response.headers["access-control-allow-headers"] == PREFLIGHT_HEADERS
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origin", ["https://app.vendo.run", "https://vendo.run", "https://a.b-c.vendo.run"]
)
async def test_v1_matching_origin_is_reflected_with_vary(
    client: httpx.AsyncClient, headers: dict[str, str], origin: str
) -> None:
    response = await client.get("/api/v1/integrations", headers={**headers, "Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": origin, "vary": "Origin"}


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.com",
        "http://app.vendo.run",
        "https://app.vendo.run.evil.com",
        "https://evilvendo.run",
        "https://app.vendo.run:8443",
        "null",
    ],
)
async def test_v1_other_origin_gets_star(
    client: httpx.AsyncClient, headers: dict[str, str], origin: str
) -> None:
    response = await client.get("/api/v1/integrations", headers={**headers, "Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": "*", "vary": "Origin"}


async def test_v1_cors_headers_are_on_error_answers_too(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    unauthorized = await client.get("/api/v1/integrations", headers={"Origin": VENDO_ORIGIN})
    assert_text(unauthorized, 401, UNAUTHORIZED)
    assert cors_headers(unauthorized) == {
        "access-control-allow-origin": VENDO_ORIGIN,
        "vary": "Origin",
    }
    missing = await client.get(
        "/api/v1/integrations/nope", headers={**headers, "Origin": VENDO_ORIGIN}
    )
    assert_text(missing, 404, INTEGRATION_NOT_FOUND)
    assert cors_headers(missing) == {"access-control-allow-origin": VENDO_ORIGIN, "vary": "Origin"}


async def test_v1_cors_on_install_answer(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**headers, "Origin": VENDO_ORIGIN},
        json={},
    )
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": VENDO_ORIGIN, "vary": "Origin"}


async def test_v1_no_cors_headers_without_origin(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations", headers=headers)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    unauthorized = await client.get("/api/v1/integrations")
    assert unauthorized.status_code == 401
    assert cors_headers(unauthorized) == {}


async def test_no_cors_on_api_integrations(client: httpx.AsyncClient, demo: None) -> None:
    listed = await client.get("/api/integrations", headers={"Origin": VENDO_ORIGIN})
    assert listed.status_code == 200
    assert cors_headers(listed) == {}
    preflight = await client.options(
        "/api/integrations",
        headers={"Origin": VENDO_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code != 204
    assert cors_headers(preflight) == {}
    saved = await client.post("/api/integrations", headers={"Origin": VENDO_ORIGIN}, json=[])
    assert saved.status_code == 401
    assert cors_headers(saved) == {}


async def test_no_cors_on_session_cookie_routes(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get(
        "/api/integrations/openai", headers={**demo_headers, "Origin": VENDO_ORIGIN}
    )
    assert response.status_code == 200
    assert cors_headers(response) == {}


async def test_v1_session_cookie_with_key_does_not_change_identity(
    client: httpx.AsyncClient, sessions: Sessions, app_key: str
) -> None:
    """A cookie of another user alongside the key: the key decides, and the cookie is ignored."""
    cookie = session_headers(await sessions.create("someone@example.com"))
    response = await client.get(
        "/api/v1/integrations", headers={**bearer(app_key, "demo"), **cookie}
    )
    assert response.status_code == 200
