"""CONTRACT.md §4 and §5 through /graphql: ``account(id:)`` with its integrations and install state,
``installIntegration``, ``uninstallIntegration``, ``saveIntegrations`` with ``extensions.errors``,
and ``Integration.installation`` for the viewer's workspace."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

import app.models  # noqa: F401  (registers every table)
from app.models import (
    APP_KEY,
    CONNECTION_KEY,
    IntegrationApi,
    Tenant,
    TenantIntegration,
    User,
)
from app.runtime import Runtime
from app.services.secrets import SecretBox
from tests.conftest import GraphQLClient, Sessions, session_headers
from tests.support.catalog import CATEGORY_COUNTS, ENABLED_PROVIDERS, integration_id, state_of
from tests.support.credentials import bearer, demo_key, identity_jwt
from tests.support.documents import INSTALL_MUTATION, SAVE_MUTATION
from tests.support.sql import snapshot

# --------------------------------------------------------------------------------------------
# Documents

SECRET_KEY = Fernet.generate_key().decode()

ACCOUNT_QUERY = """
query Account($id: String!) {
  account(id: $id) { id slug }
}
"""

ACCOUNT_INTEGRATIONS_QUERY = """
query AccountIntegrations($id: String!, $category: String, $status: String) {
  account(id: $id) {
    integrations(category: $category, status: $status) {
      nodes {
        integration { databaseId provider name category }
        installation { status installedAt params secretNames }
      }
      counts { category count }
      total
    }
  }
}
"""

ACCOUNT_INTEGRATION_QUERY = """
query AccountIntegration($id: String!, $ref: String!) {
  account(id: $id) {
    integration(id: $ref) {
      integration { databaseId provider name }
      installation { status installedAt params secretNames }
    }
  }
}
"""


UNINSTALL_MUTATION = """
mutation Uninstall($account: String!, $id: String!) {
  uninstallIntegration(account: $account, id: $id) {
    integration { provider }
    installation { status installedAt params secretNames }
  }
}
"""


VIEWER_INSTALLATION_QUERY = """
query ViewerInstallation {
  integration(slug: "openai") {
    provider
    installation { status installedAt params secretNames }
  }
  integrations(first: 100) {
    nodes { provider installation { status } }
  }
}
"""

ALL_COUNTS = [{"category": c, "count": n} for c, n in CATEGORY_COUNTS.items()]
ENABLED = ENABLED_PROVIDERS
BAD_SECRET = "secrets.api_key must be a non-empty string"
AVAILABLE = {"status": "available", "installedAt": None, "params": {}, "secretNames": []}
OPENAI_ITEM = {
    "name": "gql-openai",
    "type": "openai",
    "configuration": {"api_key": "sk-gql"},
    "apis": [{"integrationName": "gql-openai", "api": "gpt-4o", "description": "GPT-4o"}],
}


# --------------------------------------------------------------------------------------------
# Helpers and fixtures


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY}


def error_of(result: dict[str, Any]) -> dict[str, Any]:
    assert result["data"] is None, result
    assert len(result["errors"]) == 1, result
    return result["errors"][0]  # type: ignore[no-any-return]


def assert_error(result: dict[str, Any], code: str, message: str, **extensions: Any) -> None:
    error = error_of(result)
    assert error["message"] == message
    assert error["extensions"] == {"code": code, **extensions}


async def tenant(runtime: Runtime, slug: str) -> Tenant:
    async with runtime.db.read() as session:
        row = (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()
    return row


@pytest.fixture
async def staff(sessions: Sessions) -> dict[str, str]:
    return session_headers(await sessions.create("root@example.com", staff=True))


# --------------------------------------------------------------------------------------------
# account(id:)


async def test_account_by_slug_and_by_id(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    demo = await tenant(runtime, "demo")
    expected = {"data": {"account": {"id": str(demo.id), "slug": "demo"}}}
    assert await gql(ACCOUNT_QUERY, {"id": "demo"}, headers=demo_headers) == expected
    assert await gql(ACCOUNT_QUERY, {"id": str(demo.id)}, headers=demo_headers) == expected


@pytest.mark.parametrize("kind", ["app_key", "connection_key", "jwt"])
async def test_account_with_each_bearer_credential(
    gql: GraphQLClient, runtime: Runtime, demo: None, kind: str
) -> None:
    demo_tenant = await tenant(runtime, "demo")
    if kind == "jwt":
        token = identity_jwt(demo_tenant.owner_id)
    else:
        token = await demo_key(runtime, APP_KEY if kind == "app_key" else CONNECTION_KEY)
    result = await gql(ACCOUNT_QUERY, {"id": "demo"}, headers=bearer(token))
    assert result == {"data": {"account": {"id": str(demo_tenant.id), "slug": "demo"}}}


async def test_account_foreign_and_unknown_are_the_same_not_found(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    admin = await tenant(runtime, "admin")
    results = [
        await gql(ACCOUNT_QUERY, {"id": ref}, headers=demo_headers)
        for ref in ("admin", str(admin.id), "no-such-workspace", str(uuid.uuid4()), "x" * 300)
    ]
    for result in results:
        assert_error(result, "NOT_FOUND", "Account not found")
        assert result == results[0]


async def test_account_staff_is_not_an_owner(
    gql: GraphQLClient, demo: None, sessions: Sessions
) -> None:
    admin = session_headers(await sessions.create("admin@vendo.local"))
    assert_error(
        await gql(ACCOUNT_QUERY, {"id": "demo"}, headers=admin), "NOT_FOUND", "Account not found"
    )


async def test_account_anonymous_is_unauthenticated(gql: GraphQLClient, demo: None) -> None:
    assert_error(await gql(ACCOUNT_QUERY, {"id": "demo"}), "UNAUTHENTICATED", "Unauthorized")


async def test_account_key_of_another_workspace_is_not_found(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    assert_error(
        await gql(ACCOUNT_QUERY, {"id": "admin"}, headers=bearer(key)),
        "NOT_FOUND",
        "Account not found",
    )


# --------------------------------------------------------------------------------------------
# account.integrations(category:, status:) and account.integration(id:)


async def test_account_integrations_lists_enabled_ones_with_counts(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    result = await gql(ACCOUNT_INTEGRATIONS_QUERY, {"id": "demo"}, headers=demo_headers)
    listed = result["data"]["account"]["integrations"]
    assert [n["integration"]["provider"] for n in listed["nodes"]] == ENABLED
    assert all(n["installation"] == AVAILABLE for n in listed["nodes"])
    assert listed["counts"] == ALL_COUNTS
    assert listed["total"] == len(ENABLED)
    openai = next(n for n in listed["nodes"] if n["integration"]["provider"] == "openai")
    assert openai["integration"] == {
        "databaseId": str(await integration_id(runtime, "openai")),
        "provider": "openai",
        "name": "OpenAI",
        "category": "llm",
    }


async def test_account_integrations_category_filter_keeps_all_counts(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    result = await gql(
        ACCOUNT_INTEGRATIONS_QUERY, {"id": "demo", "category": "vector_db"}, headers=demo_headers
    )
    listed = result["data"]["account"]["integrations"]
    assert [n["integration"]["provider"] for n in listed["nodes"]] == ["pinecone", "qdrant"]
    assert listed["counts"] == ALL_COUNTS
    assert listed["total"] == 2


async def test_account_integrations_status_filter(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    for provider in ("openai", "slack"):
        installed = await gql(
            INSTALL_MUTATION, {"account": "demo", "id": provider}, headers=demo_headers
        )
        assert "errors" not in installed, installed
    result = await gql(
        ACCOUNT_INTEGRATIONS_QUERY, {"id": "demo", "status": "installed"}, headers=demo_headers
    )
    listed = result["data"]["account"]["integrations"]
    assert [n["integration"]["provider"] for n in listed["nodes"]] == ["openai", "slack"]
    assert listed["counts"] == [
        {"category": "llm", "count": 1},
        {"category": "messaging", "count": 1},
    ]
    assert listed["total"] == 2
    result = await gql(
        ACCOUNT_INTEGRATIONS_QUERY,
        {"id": "demo", "status": "available", "category": "llm"},
        headers=demo_headers,
    )
    listed = result["data"]["account"]["integrations"]
    assert [n["integration"]["provider"] for n in listed["nodes"]] == ["anthropic", "openrouter"]
    assert {"category": "llm", "count": 2} in listed["counts"]
    assert {"category": "messaging", "count": 2} in listed["counts"]
    assert listed["total"] == 2


async def test_account_integrations_unknown_status_is_bad_user_input(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    result = await gql(
        ACCOUNT_INTEGRATIONS_QUERY, {"id": "demo", "status": "pending"}, headers=demo_headers
    )
    assert_error(result, "BAD_USER_INPUT", "status must be available or installed", field="status")


async def test_account_integration_by_uuid_and_by_name(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    openai_id = str(await integration_id(runtime, "openai"))
    expected = {
        "data": {
            "account": {
                "integration": {
                    "integration": {
                        "databaseId": openai_id,
                        "provider": "openai",
                        "name": "OpenAI",
                    },
                    "installation": AVAILABLE,
                }
            }
        }
    }
    for ref in ("openai", openai_id):
        result = await gql(
            ACCOUNT_INTEGRATION_QUERY, {"id": "demo", "ref": ref}, headers=demo_headers
        )
        assert result == expected


async def test_account_integration_unknown_or_disabled_is_not_found(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    replicate = str(await integration_id(runtime, "replicate"))
    for ref in ("nope", "replicate", replicate, str(uuid.uuid4())):
        result = await gql(
            ACCOUNT_INTEGRATION_QUERY, {"id": "demo", "ref": ref}, headers=demo_headers
        )
        assert_error(result, "NOT_FOUND", "Integration not found")


# --------------------------------------------------------------------------------------------
# installIntegration / uninstallIntegration


async def test_install_integration_stores_params_and_encrypted_secrets(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    result = await gql(
        INSTALL_MUTATION,
        {
            "account": "demo",
            "id": "openai",
            "params": {"region": "eu", "n": 2},
            "secrets": {"webhook_secret": "whsec_gql", "api_key": "sk_gql"},
        },
        headers=demo_headers,
    )
    assert "errors" not in result, result
    installed = result["data"]["installIntegration"]
    assert installed["integration"] == {"provider": "openai"}
    assert installed["installation"]["status"] == "installed"
    assert installed["installation"]["installedAt"].endswith("Z")
    assert installed["installation"]["params"] == {"region": "eu", "n": 2}
    assert installed["installation"]["secretNames"] == ["api_key", "webhook_secret"]
    assert "sk_gql" not in repr(result)
    assert "whsec_gql" not in repr(result)
    demo_tenant = await tenant(runtime, "demo")
    state = await state_of(runtime, demo_tenant.id, "openai")
    assert state is not None
    secrets = SecretBox([Fernet(SECRET_KEY)])
    assert {k: secrets.decrypt(v) for k, v in state.secrets.items()} == {
        "webhook_secret": "whsec_gql",
        "api_key": "sk_gql",
    }


async def test_install_integration_merges_and_keeps(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    variables = {"account": "demo", "id": "openai"}
    await gql(
        INSTALL_MUTATION,
        {**variables, "params": {"a": 1}, "secrets": {"one": "1", "two": "2"}},
        headers=demo_headers,
    )
    result = await gql(
        INSTALL_MUTATION, {**variables, "secrets": {"two": "II"}}, headers=demo_headers
    )
    installation = result["data"]["installIntegration"]["installation"]
    assert installation["params"] == {"a": 1}
    assert installation["secretNames"] == ["one", "two"]
    result = await gql(INSTALL_MUTATION, {**variables, "params": {"b": 2}}, headers=demo_headers)
    installation = result["data"]["installIntegration"]["installation"]
    assert installation["params"] == {"b": 2}
    assert installation["secretNames"] == ["one", "two"]
    state = await state_of(runtime, (await tenant(runtime, "demo")).id, "openai")
    assert state is not None
    secrets = SecretBox([Fernet(SECRET_KEY)])
    assert {k: secrets.decrypt(v) for k, v in state.secrets.items()} == {"one": "1", "two": "II"}


# 32 levels of arrays: inside the params object, one level too many.
DEEP_32: list[Any] = []
for _ in range(31):
    DEEP_32 = [DEEP_32]


@pytest.mark.parametrize(
    ("variables", "message", "field"),
    [
        ({"params": [1]}, "params must be an object", "params"),
        ({"params": "x"}, "params must be an object", "params"),
        ({"params": {"a": DEEP_32}}, "params must not nest more than 32 levels", "params"),
        ({"secrets": ["api_key"]}, "secrets must be an object", "secrets"),
        ({"secrets": {"api_key": 1}}, BAD_SECRET, "secrets.api_key"),
        ({"secrets": {"api_key": ""}}, BAD_SECRET, "secrets.api_key"),
        ({"secrets": {"api_key": {"a": "b"}}}, BAD_SECRET, "secrets.api_key"),
    ],
)  # fmt: skip
async def test_install_integration_bad_input(
    gql: GraphQLClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    variables: dict[str, Any],
    message: str,
    field: str,
) -> None:
    result = await gql(
        INSTALL_MUTATION, {"account": "demo", "id": "openai", **variables}, headers=demo_headers
    )
    assert_error(result, "BAD_USER_INPUT", message, field=field)
    assert await state_of(runtime, (await tenant(runtime, "demo")).id, "openai") is None


async def test_install_integration_not_found(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    for account, ref, message in (
        ("admin", "openai", "Account not found"),
        ("nope", "openai", "Account not found"),
        ("demo", "nope", "Integration not found"),
        ("demo", "replicate", "Integration not found"),
    ):
        result = await gql(
            INSTALL_MUTATION,
            {"account": account, "id": ref, "secrets": {"k": "v"}},
            headers=demo_headers,
        )
        assert_error(result, "NOT_FOUND", message)
    async with runtime.db.read() as session:
        assert (await session.scalars(select(TenantIntegration.status))).all() == [
            "available",
            "available",
        ]  # only the demo seed's two toggle rows


async def test_install_integration_anonymous_is_unauthenticated(
    gql: GraphQLClient, demo: None
) -> None:
    result = await gql(INSTALL_MUTATION, {"account": "demo", "id": "openai"})
    assert_error(result, "UNAUTHENTICATED", "Unauthorized")


async def test_install_integration_with_an_app_key(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    result = await gql(INSTALL_MUTATION, {"account": "demo", "id": "sendgrid"}, headers=bearer(key))
    assert result["data"]["installIntegration"]["installation"]["status"] == "installed"


async def test_uninstall_integration_keeps_params_and_secrets(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await gql(
        INSTALL_MUTATION,
        {"account": "demo", "id": "openai", "params": {"a": 1}, "secrets": {"k": "v"}},
        headers=demo_headers,
    )
    result = await gql(
        UNINSTALL_MUTATION, {"account": "demo", "id": "openai"}, headers=demo_headers
    )
    assert result == {
        "data": {
            "uninstallIntegration": {
                "integration": {"provider": "openai"},
                "installation": {
                    "status": "available",
                    "installedAt": None,
                    "params": {"a": 1},
                    "secretNames": ["k"],
                },
            }
        }
    }


async def test_uninstall_integration_not_found(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    assert_error(
        await gql(UNINSTALL_MUTATION, {"account": "admin", "id": "openai"}, headers=demo_headers),
        "NOT_FOUND",
        "Account not found",
    )
    assert_error(
        await gql(UNINSTALL_MUTATION, {"account": "demo", "id": "nope"}, headers=demo_headers),
        "NOT_FOUND",
        "Integration not found",
    )


class TestWithoutSecretKey:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}

    async def test_install_integration_with_secrets_is_unavailable(
        self, gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        result = await gql(
            INSTALL_MUTATION,
            {"account": "demo", "id": "openai", "params": {"a": 1}, "secrets": {"k": "v"}},
            headers=demo_headers,
        )
        assert_error(result, "UNAVAILABLE", "Secret encryption service unavailable")
        assert await state_of(runtime, (await tenant(runtime, "demo")).id, "openai") is None

    async def test_install_integration_without_secrets_works(
        self, gql: GraphQLClient, demo_headers: dict[str, str]
    ) -> None:
        result = await gql(
            INSTALL_MUTATION,
            {"account": "demo", "id": "openai", "params": {"a": 1}},
            headers=demo_headers,
        )
        assert result["data"]["installIntegration"]["installation"]["status"] == "installed"

    async def test_save_integrations_with_secrets_is_unavailable(
        self, gql: GraphQLClient, runtime: Runtime, staff: dict[str, str]
    ) -> None:
        before = await snapshot(runtime)
        result = await gql(SAVE_MUTATION, {"integrations": [OPENAI_ITEM]}, headers=staff)
        assert_error(result, "UNAVAILABLE", "Secret encryption service unavailable")
        assert await snapshot(runtime) == before


# --------------------------------------------------------------------------------------------
# saveIntegrations


async def test_save_integrations_creates_and_updates(
    gql: GraphQLClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    result = await gql(SAVE_MUTATION, {"integrations": [OPENAI_ITEM]}, headers=staff)
    assert "errors" not in result, result
    row_id = str(await integration_id(runtime, "gql-openai"))
    assert result == {
        "data": {
            "saveIntegrations": {
                "integrations": [
                    {
                        "id": row_id,
                        "name": "gql-openai",
                        "type": "openai",
                        "category": "AI_MODEL",
                        "created": True,
                    }
                ]
            }
        }
    }
    again = await gql(SAVE_MUTATION, {"integrations": [OPENAI_ITEM]}, headers=staff)
    assert again["data"]["saveIntegrations"]["integrations"][0]["created"] is False
    async with runtime.db.read() as session:
        apis = (await session.scalars(select(IntegrationApi.api))).all()
    assert apis == ["gpt-4o"]


async def test_save_integrations_invalid_lists_every_problem(
    gql: GraphQLClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    before = await snapshot(runtime)
    batch = [
        OPENAI_ITEM,
        {"name": "gql-openai", "type": "sendgrid", "configuration": {"api_key": 5}},
        {"name": "ok-name", "type": "openai", "configuration": {"api_key": "k"}},
    ]
    result = await gql(SAVE_MUTATION, {"integrations": batch}, headers=staff)
    assert_error(
        result,
        "BAD_USER_INPUT",
        "Invalid integrations",
        errors=[
            {"index": 1, "field": "name", "message": "Duplicate name in this batch"},
            {
                "index": 1,
                "field": "configuration.api_key",
                "message": "A non-empty string (it is stored as a secret)",
            },
            {"index": 1, "field": "configuration.api_key", "message": "Required for this type"},
            {
                "index": 2,
                "field": "apis",
                "message": "At least one model, index or table is required for this type",
            },
        ],
    )
    assert await snapshot(runtime) == before


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": "x"}, "Body must be a JSON array of integrations"),
        ("x", "Body must be a JSON array of integrations"),
        ([], "Body must contain at least one integration"),
    ],
)
async def test_save_integrations_whole_argument_problems(
    gql: GraphQLClient, staff: dict[str, str], payload: Any, message: str
) -> None:
    result = await gql(SAVE_MUTATION, {"integrations": payload}, headers=staff)
    assert_error(
        result,
        "BAD_USER_INPUT",
        "Invalid integrations",
        errors=[{"index": None, "field": None, "message": message}],
    )


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("mutation { saveIntegrations { integrations { id } } }", {}),
        ("mutation S($i: JSON) { saveIntegrations(integrations: $i) { integrations { id } } }", {}),
        ("mutation { saveIntegrations(integrations: null) { integrations { id } } }", {}),
    ],
    ids=["argument-left-out", "variable-left-out", "null"],
)
async def test_save_integrations_without_argument_is_bad_user_input(
    gql: GraphQLClient, staff: dict[str, str], document: str, variables: dict[str, Any]
) -> None:
    """The SDL makes the argument optional: leaving it out is the client's error, not ours."""
    result = await gql(document, variables, headers=staff)
    assert_error(
        result,
        "BAD_USER_INPUT",
        "Invalid integrations",
        errors=[
            {"index": None, "field": None, "message": "Body must be a JSON array of integrations"}
        ],
    )


async def test_save_integrations_type_change_is_reported(
    gql: GraphQLClient, staff: dict[str, str]
) -> None:
    await gql(SAVE_MUTATION, {"integrations": [OPENAI_ITEM]}, headers=staff)
    changed = {**OPENAI_ITEM, "type": "grok"}
    result = await gql(SAVE_MUTATION, {"integrations": [changed]}, headers=staff)
    assert error_of(result)["extensions"]["errors"] == [
        {
            "index": 0,
            "field": "type",
            "message": "Cannot change the type of an existing integration (it is openai)",
        }
    ]


async def test_save_integrations_non_staff_is_forbidden(
    gql: GraphQLClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    member = session_headers(await sessions.create("member@example.com"))
    async with runtime.db.read() as session:
        user_id = await session.scalar(select(User.id).where(User.email == "member@example.com"))
    assert user_id is not None
    key = await demo_key(runtime, APP_KEY)
    before = await snapshot(runtime)
    for headers in (member, bearer(identity_jwt(user_id)), bearer(key)):
        result = await gql(SAVE_MUTATION, {"integrations": [OPENAI_ITEM]}, headers=headers)
        assert_error(result, "FORBIDDEN", "Forbidden")
        invalid = await gql(SAVE_MUTATION, {"integrations": [{"name": "-"}]}, headers=headers)
        assert_error(invalid, "FORBIDDEN", "Forbidden")
    assert await snapshot(runtime) == before


async def test_save_integrations_anonymous_is_unauthenticated(gql: GraphQLClient) -> None:
    result = await gql(SAVE_MUTATION, {"integrations": [OPENAI_ITEM]})
    assert_error(result, "UNAUTHENTICATED", "Unauthorized")


async def test_save_integrations_staff_jwt(
    gql: GraphQLClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    async with runtime.db.read() as session:
        user_id = await session.scalar(select(User.id).where(User.email == "root@example.com"))
    assert user_id is not None
    result = await gql(
        SAVE_MUTATION, {"integrations": [OPENAI_ITEM]}, headers=bearer(identity_jwt(user_id))
    )
    assert result["data"]["saveIntegrations"]["integrations"][0]["created"] is True


# --------------------------------------------------------------------------------------------
# Integration.installation: the viewer's workspace


async def test_integration_installation_is_the_viewers_workspace(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str], sessions: Sessions
) -> None:
    await gql(
        INSTALL_MUTATION,
        {"account": "demo", "id": "openai", "params": {"p": 1}, "secrets": {"k": "v"}},
        headers=demo_headers,
    )
    mine = await gql(VIEWER_INSTALLATION_QUERY, headers=demo_headers)
    openai = mine["data"]["integration"]
    assert openai["provider"] == "openai"
    assert openai["installation"]["status"] == "installed"
    assert openai["installation"]["installedAt"].endswith("Z")
    assert openai["installation"]["params"] == {"p": 1}
    assert openai["installation"]["secretNames"] == ["k"]
    statuses = {
        n["provider"]: n["installation"]["status"] for n in mine["data"]["integrations"]["nodes"]
    }
    assert statuses["openai"] == "installed"
    assert {s for p, s in statuses.items() if p != "openai"} == {"available"}

    other = session_headers(await sessions.create("other@example.com"))
    theirs = await gql(VIEWER_INSTALLATION_QUERY, headers=other)
    assert theirs["data"]["integration"]["installation"] == AVAILABLE

    key = await demo_key(runtime, APP_KEY)
    by_key = await gql(VIEWER_INSTALLATION_QUERY, headers=bearer(key))
    assert by_key["data"]["integration"]["installation"]["status"] == "installed"


async def test_integration_installation_is_null_anonymously(gql: GraphQLClient, demo: None) -> None:
    result = await gql(VIEWER_INSTALLATION_QUERY)
    assert result["data"]["integration"] == {"provider": "openai", "installation": None}
    assert {n["installation"] for n in result["data"]["integrations"]["nodes"]} == {None}


async def test_integration_installation_is_null_without_a_workspace(
    gql: GraphQLClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    token = await sessions.create("homeless@example.com")
    async with runtime.db.write() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == "homeless@example.com"))
        for row in (await session.scalars(select(Tenant).where(Tenant.owner_id == user_id))).all():
            await session.delete(row)
    result = await gql(VIEWER_INSTALLATION_QUERY, headers=session_headers(token))
    assert result["data"]["integration"]["installation"] is None
