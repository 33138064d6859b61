"""The OpenAPI document of the legacy routes: served from the route table, every status a route
answers, and parameters and bodies as the routes read them (CONTRACT.md §4: the header and filters,
§5: the bulk-save items type by type). tests/legacy_rest/test_schemathesis.py runs schemathesis
over it against a served gateway."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import jsonschema_rs
import pytest

from legacy_rest import json_schemas
from legacy_rest.openapi import build_openapi, operation_id
from legacy_rest.routes import ROUTES
from resolvers.integrations import bulk

# The account integrations of CONTRACT.md §4 (/api/v1/balance, of §3.10, names no account).
V1_PATHS = [
    route.path
    for route in ROUTES
    if route.path.startswith("/api/v1/") and route.path != "/api/v1/balance"
]


async def test_openapi_document_is_served_from_the_route_table(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"] == "3.1.0"
    served = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert served == {(route.method, route.path) for route in ROUTES}
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert sorted(ids) == sorted(operation_id(route) for route in ROUTES)


def _responses(path: str, method: str) -> list[str]:
    return sorted(_document()["paths"][path][method]["responses"])


def test_openapi_error_statuses_follow_the_table() -> None:
    # A cookie write: 403 (cross-site Origin) and 415 (form or text body) beside the body's
    # 400, 408 and 413, the session's 401, the limiter's 429.
    assert _responses("/api/integrations/{slug}", "post") == [
        "200", "400", "401", "403", "404", "408", "413", "415", "429", "500", "503",
    ]  # fmt: skip
    assert _responses("/api/integrations/{slug}/regenerate", "post") == [
        "200", "400", "401", "403", "404", "408", "413", "415", "429", "500", "503",
    ]  # fmt: skip
    # Bearer only: no cookie, so no 403/415; a POST without a body still reads one (413, 408).
    assert _responses("/api/v1/integrations/{id}/uninstall", "post") == [
        "200", "400", "401", "404", "408", "413", "500", "503",
    ]  # fmt: skip
    assert _responses("/api/tools/catalog", "get") == ["200"]  # failures degrade to 200
    assert _responses("/api/tools/{slug}", "get") == ["200", "404", "500", "503"]
    v1 = _document()["paths"]["/api/v1/integrations/{id}"]["get"]["responses"]
    assert v1["404"]["content"] == {"text/plain": {"schema": {"type": "string"}}}


def _parameters(path: str, method: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = _document()["paths"][path][method]["parameters"]
    return {(p["in"], p["name"]): p for p in found}


@pytest.mark.parametrize("path", V1_PATHS)
def test_openapi_v1_routes_require_the_account_header(path: str) -> None:
    method = next(route.method for route in ROUTES if route.path == path).lower()
    header = _parameters(path, method)[("header", "X-Account-ID")]
    assert header["required"] is True
    assert header["schema"] == {"type": "string", "minLength": 1, "pattern": "[!-~]"}
    assert header["example"] == "demo"


def test_openapi_v1_list_filters_status_by_its_two_values() -> None:
    parameters = _parameters("/api/v1/integrations", "get")
    status = parameters[("query", "status")]
    assert (status["required"], status["schema"]) == (False, {"enum": ["available", "installed"]})
    # An empty value is no filter, for both.
    assert status["allowEmptyValue"] is True
    category = parameters[("query", "category")]
    assert (category["schema"], category["allowEmptyValue"]) == ({"type": "string"}, True)


def test_openapi_install_body_is_optional_and_the_others_required() -> None:
    paths = _document()["paths"]
    bodies = {
        (method.upper(), path): operation["requestBody"]["required"]
        for path, item in paths.items()
        for method, operation in item.items()
        if "requestBody" in operation
    }
    assert bodies == {
        ("POST", "/api/v1/integrations/{id}/install"): False,
        ("POST", "/api/integrations/{slug}"): True,
        ("POST", "/api/integrations"): True,
    }


def _valid(schema: dict[str, Any], instance: Any) -> bool:
    root = {**schema, "components": {"schemas": json_schemas.COMPONENTS}}
    return bool(jsonschema_rs.Draft202012Validator(root).is_valid(instance))


@pytest.mark.parametrize(
    "body",
    [None, {}, {"params": {"region": "eu"}}, {"secrets": {"api_key": "sk"}, "id": "ignored"}],
    ids=["null", "empty", "params", "secrets-and-server-field"],
)
def test_openapi_install_body_admits_what_install_accepts(body: Any) -> None:
    assert _valid(json_schemas.INSTALL_BODY, body)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"params": "eu"},
        {"secrets": {"api_key": ""}},
        {"secrets": {"api_key": 1}},
        {"params": {"note": "a\u0000b"}},
        {"params": {"nested": [{"deep": "a\u0000b"}]}},
    ],
    ids=["array", "params-string", "empty-secret", "number-secret", "nul", "nested-nul"],
)
def test_openapi_install_body_refuses_what_install_refuses(body: Any) -> None:
    assert not _valid(json_schemas.INSTALL_BODY, body)


def _document() -> dict[str, Any]:
    return build_openapi(ROUTES)


# CONTRACT.md §5: the bulk save, type by type. The schema and the validator
# (resolvers/integrations/bulk.py) must agree on every body below.

OPENAI_EXAMPLE = {
    "name": "open-ai-test",
    "type": "openai",
    "category": "AI_MODEL",
    "description": "OpenAI integration for LLM tasks",
    "enabled": True,
    "configuration": {"api_key": "sk-..."},
    "apis": [
        {
            "integrationName": "open-ai-test",
            "api": "gpt-4o",
            "description": "GPT-4o model",
            "enabled": True,
        }
    ],
}
SENDGRID_EXAMPLE = {
    "name": "sendgrid-test",
    "type": "sendgrid",
    "category": "EMAIL",
    "description": "SendGrid integration for email tasks",
    "enabled": True,
    "configuration": {"api_key": "SG...."},
    "apis": [],
}
ANTHROPIC_EXAMPLE = {
    **OPENAI_EXAMPLE,
    "name": "claude",
    "type": "anthropic",
    "configuration": {"api_key": "sk-ant", "endpoint": "https://api.anthropic.com/v1"},
    "apis": [{"integrationName": "claude", "api": "claude-sonnet-4-6", "description": "model"}],
}


def _minimal(kind: str) -> dict[str, Any]:
    """The smallest item of a type: its required keys (the AWS types without credentials)."""
    spec = bulk.TYPES[kind]
    configuration: dict[str, Any] = {
        key: "s3cret" if key in bulk.SECRET_KEYS else "v" for key in spec.required
    }
    if spec.aws:
        configuration["connectionType"] = "DEFAULT_CREDENTIALS"
    item: dict[str, Any] = {"name": f"x-{kind}", "type": kind, "configuration": configuration}
    if spec.category in bulk.NEEDS_APIS:
        item["apis"] = [{"integrationName": item["name"], "api": "m", "description": "d"}]
    return item


def _agree(body: Any) -> bool:
    """Whether the schema and the validator both accept ``body`` (asserting they agree)."""
    in_schema = _valid(json_schemas.BULK_SAVE_BODY, body)
    _, problems = bulk.validate_batch(body, stored={}, max_items=500)
    assert in_schema == (not problems), (body, problems)
    return in_schema


def test_openapi_bulk_save_admits_reference_05_examples() -> None:
    assert _agree([OPENAI_EXAMPLE, SENDGRID_EXAMPLE])
    assert _agree([ANTHROPIC_EXAMPLE])


@pytest.mark.parametrize("kind", sorted(bulk.TYPES))
def test_openapi_bulk_save_item_follows_its_type(kind: str) -> None:
    spec = bulk.TYPES[kind]
    item = _minimal(kind)
    assert _agree([item])
    assert _agree([{**item, "category": spec.category}])
    assert _agree([{**item, "description": None, "enabled": None, "tags": None}])
    for key in spec.required:
        if key != "connectionType":
            configuration = {k: v for k, v in item["configuration"].items() if k != key}
            assert not _agree([{**item, "configuration": configuration}])
    for optional in spec.optional:
        value = "s3cret" if optional in bulk.SECRET_KEYS else 7
        assert _agree([{**item, "configuration": {**item["configuration"], optional: value}}])
    other = next(c for c in sorted(bulk.CATEGORIES) if c != spec.category)
    assert not _agree([{**item, "category": other}])
    assert not _agree([{**item, "configuration": {**item["configuration"], "extra": "v"}}])
    assert not _agree([{**item, "color": "blue"}])
    if spec.category in bulk.NEEDS_APIS:
        assert not _agree([{**item, "apis": []}])
        assert not _agree([{key: value for key, value in item.items() if key != "apis"}])


@pytest.mark.parametrize("kind", sorted(k for k, spec in bulk.TYPES.items() if spec.aws))
def test_openapi_bulk_save_aws_connection_type_picks_its_keys(kind: str) -> None:
    item = _minimal(kind)
    access = {**item["configuration"], "connectionType": "ACCESS_KEY"}
    assert not _agree([{**item, "configuration": access}])
    keys = {"accessKeyId": "AKIA", "secretAccessKey": "s3cret", "sessionToken": "t"}
    assert _agree([{**item, "configuration": {**access, **keys}}])
    role = {**item["configuration"], "connectionType": "ASSUME_ROLE", "roleArn": "arn:aws:iam"}
    assert _agree([{**item, "configuration": role}])
    assert not _agree([{**item, "configuration": {**role, "accessKeyId": "AKIA"}}])
    assert not _agree([{**item, "configuration": {**role, "connectionType": "PASSWORD"}}])


@pytest.mark.parametrize(
    "change",
    [
        {"name": "-starts-with-a-dash"},
        {"name": "x" * 101},
        {"description": "x" * (bulk.MAX_TEXT + 1)},
        {"description": "a\u0000b"},
        {"enabled": "yes"},
        {"tags": [{"key": "team"}]},
        {"tags": [{"key": "team", "value": "a"}] * (bulk.MAX_TAGS + 1)},
        {"configuration": {"api_key": ""}},
        {"configuration": {"api_key": 42}},
        {"configuration": {"api_key": "sk", "endpoint": ""}},
        {"configuration": {"api_key": "sk", "endpoint": None}},
        {"configuration": {"api_key": "sk", "endpoint": ["https://a"]}},
        {"apis": [{"integrationName": "open-ai-test", "api": "", "description": "d"}]},
        {"apis": [{"integrationName": "open-ai-test", "api": "m", "description": "d", "x": 1}]},
        {"apis": [{"integrationName": "open-ai-test", "api": "m", "enabled": None}]},
    ],
    ids=lambda change: next(iter(change)),
)
def test_openapi_bulk_save_refuses_what_the_validator_refuses(change: dict[str, Any]) -> None:
    assert not _agree([{**copy.deepcopy(OPENAI_EXAMPLE), **change}])


def test_openapi_bulk_save_states_what_the_schema_cannot() -> None:
    """Cross-field and stored-state rules are answered 400 and described in words (the
    schemathesis hooks keep generated bodies clear of them)."""
    mismatch = {**OPENAI_EXAMPLE, "apis": [{**OPENAI_EXAMPLE["apis"][0], "integrationName": "x"}]}
    assert _valid(json_schemas.BULK_SAVE_BODY, [mismatch])
    assert bulk.validate_batch([mismatch], stored={}, max_items=500)[1]
    assert _valid(json_schemas.BULK_SAVE_BODY, [SENDGRID_EXAMPLE, SENDGRID_EXAMPLE])
    assert bulk.validate_batch([SENDGRID_EXAMPLE] * 2, stored={}, max_items=500)[1]
    description = json_schemas.BULK_SAVE_BODY["description"]
    for words in ("names repeated", "`integrationName`", "existing integration's `type`"):
        assert words in description
    assert not _valid(json_schemas.BULK_SAVE_BODY, [])
