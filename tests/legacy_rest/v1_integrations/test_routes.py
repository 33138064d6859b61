"""The ``/api/v1`` routes: the list with its filters and counts, the detail by UUID or name,
install and uninstall, and the two stubs (CONTRACT.md §4.1–§4.5; docs/decisions/0026, 0027,
0028, 0030)."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from app.models import (
    Tenant,
    User,
    utcnow,
)
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.v1_integrations.helpers import (
    ALL_COUNTS,
    BAD_STATUS,
    ENABLED,
    INTEGRATION_NOT_FOUND,
    INVALID_JSON,
    ISO_MILLIS,
    NOT_AN_OBJECT,
    ROW_KEYS,
    Demo,
    box,
    expected_row,
)
from tests.support.catalog import integration_row, state_of
from tests.support.credentials import bearer, identity_jwt, mint_key
from tests.support.http import assert_json, assert_text

# --------------------------------------------------------------------------------------------
# GET /api/v1/integrations


async def test_v1_list_returns_every_enabled_integration_with_counts_and_total(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == ["integrations", "counts", "total"]
    assert [row["name"] for row in body["integrations"]] == sorted(ENABLED)
    for row in body["integrations"]:
        assert list(row) == ROW_KEYS
        assert row["status"] == "available"
        assert row["category"] == ENABLED[row["name"]]
    assert body["counts"] == ALL_COUNTS
    assert body["total"] == len(ENABLED)
    openai = await integration_row(runtime, "openai")
    assert body["integrations"][sorted(ENABLED).index("openai")] == {
        "id": str(openai.id),
        "name": "openai",
        "display_name": "OpenAI",
        "description": "GPT and embedding models.",
        "category": "llm",
        "logo_url": "https://vendo.run/logos/openai.svg",
        "docs_url": "https://platform.openai.com/docs",
        "status": "available",
        "installed_at": None,
        "params": {},
        "secrets": [],
    }


async def test_v1_list_omits_disabled_integrations(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = (await client.get("/api/v1/integrations", headers=headers)).json()
    assert "replicate" not in {row["name"] for row in body["integrations"]}


async def test_v1_list_category_filter_keeps_counts_of_every_category(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations?category=llm", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert [row["name"] for row in body["integrations"]] == ["anthropic", "openai", "openrouter"]
    assert body["counts"] == ALL_COUNTS
    assert body["total"] == 3


async def test_v1_list_unknown_category_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations?category=nope", headers=headers)
    assert_json(response, 200, {"integrations": [], "counts": ALL_COUNTS, "total": 0})


async def test_v1_list_status_filter_narrows_rows_and_counts(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for provider in ("openai", "sendgrid"):
        install = await client.post(
            f"/api/v1/integrations/{provider}/install", headers=headers, json={}
        )
        assert install.status_code == 200

    installed = (await client.get("/api/v1/integrations?status=installed", headers=headers)).json()
    assert [row["name"] for row in installed["integrations"]] == ["openai", "sendgrid"]
    assert {row["status"] for row in installed["integrations"]} == {"installed"}
    assert installed["counts"] == {"email": 1, "llm": 1}
    assert installed["total"] == 2

    available = (await client.get("/api/v1/integrations?status=available", headers=headers)).json()
    names = sorted(set(ENABLED) - {"openai", "sendgrid"})
    assert [row["name"] for row in available["integrations"]] == names
    assert available["counts"] == {**ALL_COUNTS, "email": 1, "llm": 2}
    assert available["total"] == len(names)


async def test_v1_list_status_and_category_filters_combine(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    await client.post("/api/v1/integrations/sendgrid/install", headers=headers, json={})
    response = await client.get(
        "/api/v1/integrations?status=installed&category=llm", headers=headers
    )
    body = response.json()
    assert [row["name"] for row in body["integrations"]] == ["openai"]
    assert body["counts"] == {"email": 1, "llm": 1}
    assert body["total"] == 1


async def test_v1_list_empty_filters_are_no_filters(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    plain = await client.get("/api/v1/integrations", headers=headers)
    empty = await client.get("/api/v1/integrations?category=&status=", headers=headers)
    assert empty.status_code == 200
    assert empty.content == plain.content


async def test_v1_list_unknown_status_is_bad_request(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations?status=pending", headers=headers)
    assert_text(response, 400, BAD_STATUS)


async def test_v1_list_install_state_is_per_account(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, headers: dict[str, str]
) -> None:
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    await sessions.create("other@example.com")
    async with runtime.db.read() as session:
        other = await session.scalar(select(User.id).where(User.email == "other@example.com"))
    assert other is not None
    token = identity_jwt(other)
    async with runtime.db.read() as session:
        slug = await session.scalar(select(Tenant.slug).where(Tenant.owner_id == other))
    assert slug is not None
    body = (await client.get("/api/v1/integrations", headers=bearer(token, slug))).json()
    assert {row["status"] for row in body["integrations"]} == {"available"}


# --------------------------------------------------------------------------------------------
# GET /api/v1/integrations/{id}


async def test_v1_detail_by_name(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations/openai", headers=headers)
    assert_json(response, 200, expected_row(await integration_row(runtime, "openai")))
    assert list(response.json()) == ROW_KEYS


async def test_v1_detail_by_uuid(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "openrouter")
    response = await client.get(f"/api/v1/integrations/{row.id}", headers=headers)
    assert_json(response, 200, expected_row(row))


@pytest.mark.parametrize(
    "ref", ["no_such_integration", "replicate", "00000000-0000-0000-0000-000000000000", "OpenAI"]
)
async def test_v1_detail_unknown_or_disabled_is_not_found(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str
) -> None:
    response = await client.get(f"/api/v1/integrations/{ref}", headers=headers)
    assert_text(response, 404, INTEGRATION_NOT_FOUND)


async def test_v1_detail_of_disabled_integration_by_uuid_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "replicate")
    response = await client.get(f"/api/v1/integrations/{row.id}", headers=headers)
    assert_text(response, 404, INTEGRATION_NOT_FOUND)


# --------------------------------------------------------------------------------------------
# POST /api/v1/integrations/{id}/install


async def test_v1_install_stores_params_and_encrypted_secrets(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    params = {"api_version": "2024-09", "region": "us-east-1"}
    secrets = {"webhook_secret": "whsec_abc123", "api_key": "sk_live_plaintext_42"}
    before = utcnow().replace(microsecond=0)
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": params, "secrets": secrets},
    )
    after = utcnow()
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == ROW_KEYS
    assert ISO_MILLIS.match(body["installed_at"]), body["installed_at"]
    installed_at = datetime.fromisoformat(body["installed_at"].replace("Z", "+00:00"))
    assert before <= installed_at <= after
    openai = await integration_row(runtime, "openai")
    assert body == expected_row(
        openai,
        status="installed",
        installed_at=body["installed_at"],
        params=params,
        secrets=["api_key", "webhook_secret"],
    )
    for plain in secrets.values():
        assert plain not in response.text

    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert state.status == "installed"
    assert state.params == params
    assert set(state.secrets) == set(secrets)
    for name, plain in secrets.items():
        assert state.secrets[name] != plain
        assert box().decrypt(state.secrets[name]) == plain


async def test_v1_install_by_uuid(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "sendgrid")
    response = await client.post(
        f"/api/v1/integrations/{row.id}/install", headers=headers, json={"params": {"a": 1}}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "sendgrid"
    assert response.json()["params"] == {"a": 1}


async def test_v1_install_with_empty_body_installs_without_params(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    response = await client.post("/api/v1/integrations/openai/install", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert body["status"] == "installed"
    assert body["params"] == {}
    assert body["secrets"] == []
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert (state.status, state.params, state.secrets) == ("installed", {}, {})


async def test_v1_install_ignores_server_set_fields(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    openai = await integration_row(runtime, "openai")
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={
            "id": str(uuid.uuid4()),
            "name": "hijacked",
            "status": "available",
            "installed_at": None,
            "created_at": "2000-01-01T00:00:00.000Z",
            "updated_at": "2000-01-01T00:00:00.000Z",
            "params": {"region": "eu"},
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["id"] == str(openai.id)
    assert body["name"] == "openai"
    assert body["status"] == "installed"
    assert body["installed_at"] is not None
    assert body["params"] == {"region": "eu"}


async def test_v1_install_unknown_integration_is_not_found_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    for ref in ("no_such_integration", "replicate", str(uuid.uuid4())):
        response = await client.post(
            f"/api/v1/integrations/{ref}/install",
            headers=headers,
            json={"params": {"a": 1}, "secrets": {"k": "v"}},
        )
        assert_text(response, 404, INTEGRATION_NOT_FOUND)
    assert await state_of(runtime, ids.tenant_id, "replicate") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]", NOT_AN_OBJECT),
        (b'"params"', NOT_AN_OBJECT),
        (b"42", NOT_AN_OBJECT),
        (b"{not json", INVALID_JSON),
        (b"\xff\xfe\x00", INVALID_JSON),
        (b'{"params": [1]}', "params must be an object"),
        (b'{"params": "x"}', "params must be an object"),
        (b'{"secrets": ["api_key"]}', "secrets must be an object"),
        (b'{"secrets": {"api_key": 123}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": ""}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": null}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": {"v": "x"}}}', "secrets.api_key must be a non-empty string"),
        (b'{"secrets": {"api_key": true}}', "secrets.api_key must be a non-empty string"),
    ],
    ids=[
        "array",
        "string",
        "number",
        "malformed",
        "not-utf8",
        "params-array",
        "params-string",
        "secrets-array",
        "secret-number",
        "secret-empty",
        "secret-null",
        "secret-object",
        "secret-bool",
    ],
)
async def test_v1_install_bad_body_is_bad_request_and_writes_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    ids: Demo,
    headers: dict[str, str],
    content: bytes,
    message: str,
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**headers, "Content-Type": "application/json"},
        content=content,
    )
    assert_text(response, 400, message)
    assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_install_bad_secret_among_good_ones_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"a": 1}, "secrets": {"good": "plain-good-value", "bad": 7}},
    )
    assert_text(response, 400, "secrets.bad must be a non-empty string")
    assert "plain-good-value" not in response.text
    assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_install_bad_body_comes_before_integration_not_found(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """docs/decisions/0024: 400 (body) → 404 Integration not found: the body is checked first."""
    response = await client.post(
        "/api/v1/integrations/no_such_integration/install",
        headers={**headers, "Content-Type": "application/json"},
        content=b"[1, 2]",
    )
    assert_text(response, 400, "Request body must be a JSON object")


async def test_v1_install_bad_body_comes_before_account_not_found(
    client: httpx.AsyncClient, app_key: str
) -> None:
    """docs/decisions/0024: 400 (body) → 404 Account not found, the same for any account, so the
    order reveals nothing about which accounts exist."""
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**bearer(app_key, "admin"), "Content-Type": "application/json"},
        content=b'{"secrets": {"api_key": 5}}',
    )
    assert_text(response, 400, "secrets.api_key must be a non-empty string")


async def test_v1_install_params_are_replaced_when_given_and_kept_when_absent(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    first = await client.post(path, headers=headers, json={"params": {"a": 1, "b": 2}})
    assert first.json()["params"] == {"a": 1, "b": 2}
    second = await client.post(path, headers=headers, json={"params": {"c": 3}})
    assert second.json()["params"] == {"c": 3}
    kept = await client.post(path, headers=headers, json={"secrets": {"k": "v"}})
    assert kept.json()["params"] == {"c": 3}
    null = await client.post(path, headers=headers, json={"params": None})
    assert null.json()["params"] == {"c": 3}
    emptied = await client.post(path, headers=headers, json={"params": {}})
    assert emptied.json()["params"] == {}
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert state.params == {}


async def test_v1_install_params_keep_nested_values_as_given(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    params = {"nested": {"list": [1, "two", None, True]}, "unicode": "Zürich 東京", "empty": ""}
    response = await client.post(
        "/api/v1/integrations/openai/install", headers=headers, json={"params": params}
    )
    assert response.json()["params"] == params
    detail = await client.get("/api/v1/integrations/openai", headers=headers)
    assert detail.json()["params"] == params


async def test_v1_install_params_with_a_nul_character_is_a_clear_400_on_every_database(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    """U+0000 cannot be stored by PostgreSQL: bad input (400, text), never a 500, nothing
    written — the same on SQLite and PostgreSQL."""
    for params in ({"note": "a\u0000b"}, {"a\u0000b": "note"}):
        response = await client.post(
            "/api/v1/integrations/openai/install", headers=headers, json={"params": params}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert await state_of(runtime, ids.tenant_id, "openai") is None


async def test_v1_install_merges_secrets_by_name(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    await client.post(path, headers=headers, json={"secrets": {"api_key": "one", "b": "bee"}})
    response = await client.post(path, headers=headers, json={"secrets": {"api_key": "two"}})
    assert response.json()["secrets"] == ["api_key", "b"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert {name: box().decrypt(token) for name, token in state.secrets.items()} == {
        "api_key": "two",
        "b": "bee",
    }


async def test_v1_install_without_secrets_keeps_earlier_ones(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    await client.post(path, headers=headers, json={"secrets": {"api_key": "keep-me"}})
    stored = await state_of(runtime, ids.tenant_id, "openai")
    assert stored is not None
    for body in ({}, {"params": {"x": 1}}, {"secrets": {}}, {"secrets": None}):
        response = await client.post(path, headers=headers, json=body)
        assert response.status_code == 200
        assert response.json()["secrets"] == ["api_key"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert state.secrets == stored.secrets
    assert box().decrypt(state.secrets["api_key"]) == "keep-me"


async def test_v1_install_twice_keeps_installed_and_moves_installed_at(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    path = "/api/v1/integrations/openai/install"
    first = (await client.post(path, headers=headers, json={})).json()
    second = (await client.post(path, headers=headers, json={})).json()
    assert first["status"] == second["status"] == "installed"
    assert second["installed_at"] >= first["installed_at"]


async def test_v1_install_is_visible_in_list_and_detail(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    installed = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"p": 1}, "secrets": {"token": "t0ps3cret"}},
    )
    row = installed.json()
    detail = await client.get("/api/v1/integrations/openai", headers=headers)
    assert detail.json() == row
    listed = (await client.get("/api/v1/integrations", headers=headers)).json()
    assert [r for r in listed["integrations"] if r["name"] == "openai"] == [row]
    assert "t0ps3cret" not in detail.text
    assert "t0ps3cret" not in (await client.get("/api/v1/integrations", headers=headers)).text


# --------------------------------------------------------------------------------------------
# POST /api/v1/integrations/{id}/uninstall


async def install_openai_in_eu(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """openai installed with a param and a secret, both of which an uninstall keeps."""
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-kept"}},
    )
    assert response.status_code == 200, response.text


async def test_v1_uninstall_flips_back_and_keeps_params_and_secrets(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    await install_openai_in_eu(client, headers)
    stored = await state_of(runtime, ids.tenant_id, "openai")
    assert stored is not None
    response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    openai = await integration_row(runtime, "openai")
    assert_json(
        response,
        200,
        expected_row(openai, status="available", params={"region": "eu"}, secrets=["api_key"]),
    )
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert (state.status, state.installed_at) == ("available", None)
    assert state.params == {"region": "eu"}
    assert state.secrets == stored.secrets


async def test_v1_reinstall_after_uninstall_without_secrets_keeps_them(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    await install_openai_in_eu(client, headers)
    await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    response = await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    body = response.json()
    assert body["status"] == "installed"
    assert body["params"] == {"region": "eu"}
    assert body["secrets"] == ["api_key"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert box().decrypt(state.secrets["api_key"]) == "sk-kept"


async def test_v1_uninstall_of_never_installed_integration_answers_available(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.post("/api/v1/integrations/sendgrid/uninstall", headers=headers)
    assert_json(response, 200, expected_row(await integration_row(runtime, "sendgrid")))


async def test_v1_uninstall_by_uuid_and_unknown_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "openai")
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    response = await client.post(f"/api/v1/integrations/{row.id}/uninstall", headers=headers)
    assert response.json()["status"] == "available"
    for ref in ("no_such_integration", "replicate", str(uuid.uuid4())):
        missing = await client.post(f"/api/v1/integrations/{ref}/uninstall", headers=headers)
        assert_text(missing, 404, INTEGRATION_NOT_FOUND)


# --------------------------------------------------------------------------------------------
# Stubs


async def test_v1_mcp_connections_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/mcp-connections", headers=headers)
    assert_json(response, 200, {"mcp_connections": []})


async def test_v1_native_tools_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/native-tools", headers=headers)
    assert_json(response, 200, {"native_tools": []})


async def test_v1_stubs_accept_each_credential(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str
) -> None:
    connection_key = await mint_key(runtime, connection_id=ids.connection_id)
    for token in (app_key, connection_key, identity_jwt(ids.user_id)):
        mcp = await client.get("/api/v1/mcp-connections", headers=bearer(token, "demo"))
        native = await client.get("/api/v1/native-tools", headers=bearer(token, str(ids.tenant_id)))
        assert_json(mcp, 200, {"mcp_connections": []})
        assert_json(native, 200, {"native_tools": []})
