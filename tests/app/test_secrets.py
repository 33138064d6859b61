"""Secrets at rest: SecretBox (Fernet / MultiFernet, newest key first, rotation), and the issue's
"Done when": no secret's plain text in any response, log line or byte of the database, and
secrets that survive ``vendo-gateway secrets rotate``."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text
from starlette.applications import Starlette

from app.cli import main
from app.errors import Unavailable
from app.factory import create_app
from app.models import Integration, Tenant, TenantIntegration
from app.runtime import Runtime
from app.services.secrets import UNAVAILABLE, SecretBox, parse_keys
from app.settings import Settings
from tests.conftest import Sessions, session_headers
from tests.support.builders import add_rows, integration
from tests.support.credentials import demo_key, identity_jwt
from tests.support.documents import INSTALL_MUTATION, SAVE_MUTATION

# --------------------------------------------------------------------------------------------
# Documents and constants

K1 = Fernet.generate_key().decode()
K2 = Fernet.generate_key().decode()
K3 = Fernet.generate_key().decode()


READ_BACK_QUERY = """
query ReadBack($account: String!) {
  account(id: $account) {
    id
    slug
    integrations {
      nodes {
        integration {
          id databaseId provider name description category type enabled defaultProfile
          supportedProfiles logoUrl iconName docsUrl envBootstrap createdAt updatedAt
        }
        installation { status installedAt params secretNames }
      }
      counts { category count }
      total
    }
  }
  integrations(first: 100) {
    nodes {
      provider name description category type enabled envBootstrap
      installation { status installedAt params secretNames }
      tenantEnabled provisioned
    }
  }
}
"""


# --------------------------------------------------------------------------------------------
# Helpers and fixtures


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": K1}


def box(*secret_keys: str) -> SecretBox:
    return SecretBox([Fernet(key) for key in secret_keys])


def plain(label: str) -> str:
    """A secret value that cannot appear anywhere by accident."""
    return f"PLAIN-{label}-{uuid.uuid4().hex}"


async def demo_user_id(runtime: Runtime) -> uuid.UUID:
    async with runtime.db.read() as session:
        owner = await session.scalar(select(Tenant.owner_id).where(Tenant.slug == "demo"))
    assert owner is not None
    return owner


async def stored_tokens(runtime: Runtime) -> dict[str, str]:
    """Every stored Fernet token: integration configuration and account installs."""
    tokens: dict[str, str] = {}
    async with runtime.db.read() as session:
        for row in (await session.scalars(select(Integration))).all():
            for name, token in row.secret_configuration.items():
                tokens[f"integration:{row.provider}:{name}"] = token
        for state in (await session.scalars(select(TenantIntegration))).all():
            for name, token in state.secrets.items():
                tokens[f"install:{state.tenant_id}:{state.integration_id}:{name}"] = token
    return tokens


async def database_text(runtime: Runtime, settings: Settings) -> bytes:
    """Everything the database holds, as bytes: on SQLite the raw .db and -wal files; on
    PostgreSQL every text and JSON column of every table."""
    if settings.is_sqlite:
        path = Path(settings.database_url.split("///", 1)[1])
        wal = path.with_name(path.name + "-wal")
        files = [path, wal] if await asyncio.to_thread(wal.exists) else [path]
        return b"\n".join([await asyncio.to_thread(f.read_bytes) for f in files])
    chunks = []
    async with runtime.db.read() as session:
        columns = (
            await session.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type IN "
                    "('text', 'character varying', 'character', 'json', 'jsonb')"
                )
            )
        ).all()
        assert columns
        for table, column in columns:
            values = await session.scalars(text(f'SELECT "{column}"::text FROM "{table}"'))
            chunks.extend(value.encode() for value in values if value is not None)
    return b"\n".join(chunks)


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Root and every known logger at DEBUG, and caplog's handler on those that do not
    propagate, so that no log line escapes the check."""
    caplog.set_level(logging.DEBUG)
    attached = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        lines.append(repr(record.__dict__))
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


@pytest.fixture
async def second_app(settings: Settings) -> AsyncIterator[Any]:
    """Another gateway on the same database, with other settings."""
    started: list[tuple[Starlette, Any]] = []

    async def start(**overrides: Any) -> tuple[Starlette, httpx.AsyncClient]:
        application = create_app(settings.model_copy(update=overrides))
        lifespan = application.router.lifespan_context(application)
        await lifespan.__aenter__()
        transport = httpx.ASGITransport(app=application, client=("203.0.113.8", 50001))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        started.append((application, (lifespan, http)))
        return application, http

    yield start
    for _, (lifespan, http) in reversed(started):
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command line, in a worker thread (it runs its own event loop)."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------------------------
# SecretBox


def test_secret_box_round_trip() -> None:
    secrets = box(K1)
    assert secrets.available is True
    token = secrets.encrypt("sk_live_42")
    assert token != "sk_live_42"
    assert "sk_live_42" not in token
    assert secrets.decrypt(token) == "sk_live_42"


def test_secret_box_tokens_are_fernet_and_differ_each_time() -> None:
    secrets = box(K1)
    first, second = secrets.encrypt("same"), secrets.encrypt("same")
    assert first != second
    assert first.startswith("gAAAA")
    assert Fernet(K1).decrypt(first.encode()) == b"same"


def test_secret_box_round_trips_unicode() -> None:
    secrets = box(K1)
    assert secrets.decrypt(secrets.encrypt("clé 🔑 секрет")) == "clé 🔑 секрет"


def test_secret_box_encrypt_all_and_rotate_all_keep_names() -> None:
    secrets = box(K1)
    sealed = secrets.encrypt_all({"api_key": "a", "password": "p"})
    assert list(sealed) == ["api_key", "password"]
    assert {k: secrets.decrypt(v) for k, v in sealed.items()} == {"api_key": "a", "password": "p"}
    rotated = box(K2, K1).rotate_all(sealed)
    assert {k: box(K2).decrypt(v) for k, v in rotated.items()} == {"api_key": "a", "password": "p"}


def test_secret_box_without_keys_is_unavailable() -> None:
    secrets = SecretBox([])
    assert secrets.available is False
    for call in (
        lambda: secrets.encrypt("x"),
        lambda: secrets.decrypt("gAAAA"),
        lambda: secrets.rotate("gAAAA"),
        lambda: secrets.encrypt_all({"api_key": "x"}),
    ):
        with pytest.raises(Unavailable) as raised:
            call()
        assert raised.value.message == UNAVAILABLE == "Secret encryption service unavailable"
        assert raised.value.code == "UNAVAILABLE"


def test_secret_box_without_keys_accepts_nothing_to_encrypt() -> None:
    assert SecretBox([]).encrypt_all({}) == {}


def test_secret_box_wrong_key_cannot_read() -> None:
    token = box(K1).encrypt("x")
    with pytest.raises(InvalidToken):
        box(K2).decrypt(token)


def test_secret_box_multifernet_reads_old_tokens_behind_a_new_key() -> None:
    old_token = box(K1).encrypt("old secret")
    both = box(K2, K1)
    assert both.decrypt(old_token) == "old secret"
    new_token = both.encrypt("new secret")
    assert box(K2).decrypt(new_token) == "new secret"
    with pytest.raises(InvalidToken):
        box(K1).decrypt(new_token)


def test_secret_box_rotate_moves_a_token_to_the_newest_key() -> None:
    old_token = box(K1).encrypt("rotate me")
    rotated = box(K2, K1).rotate(old_token)
    assert rotated != old_token
    assert box(K2).decrypt(rotated) == "rotate me"
    with pytest.raises(InvalidToken):
        box(K1).decrypt(rotated)


def test_secret_box_rotate_of_an_unreadable_token_raises() -> None:
    with pytest.raises(InvalidToken):
        box(K2).rotate(box(K3).encrypt("x"))


def test_parse_keys_splits_and_trims() -> None:
    assert parse_keys(None) == []
    assert parse_keys("") == []
    assert parse_keys(" , ,") == []
    parsed = parse_keys(f" {K2} ,{K1},, ")
    assert len(parsed) == 2
    token = parsed[0].encrypt(b"x")
    assert Fernet(K2).decrypt(token) == b"x"


@pytest.mark.parametrize(
    "value",
    ["not-a-fernet-key", f"{K1},short", "x" * 44],
    ids=["not-base64", "one-good-one-short", "44-bytes-not-base64"],
)
def test_parse_keys_rejects_a_malformed_key(value: str) -> None:
    with pytest.raises(ValueError, match="Fernet key must be 32 url-safe base64-encoded bytes"):
        parse_keys(value)


def test_settings_reject_a_malformed_key_without_echoing_it() -> None:
    leaked = "MALFORMED-" + uuid.uuid4().hex
    with pytest.raises(ValidationError) as raised:
        Settings(secret_keys=f"{K1},{leaked}")
    assert leaked not in str(raised.value)
    assert K1 not in str(raised.value)


def test_settings_never_print_the_keys() -> None:
    configured = Settings(secret_keys=f"{K2},{K1}")
    assert K1 not in repr(configured)
    assert K2 not in repr(configured)
    assert K1 not in str(configured.model_dump())


# --------------------------------------------------------------------------------------------
# Done when: the plain text is nowhere


async def test_secrets_plain_text_is_in_no_response_no_log_and_not_in_the_database(
    client: httpx.AsyncClient,
    gql: Any,
    runtime: Runtime,
    settings: Settings,
    demo: None,
    sessions: Sessions,
    every_logger_at_debug: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog = every_logger_at_debug
    secrets = {
        label: plain(label)
        for label in (
            "v1-api-key",
            "v1-webhook",
            "v1-replaced",
            "gql-token",
            "bulk-openai",
            "bulk-pg-password",
            "bulk-aws-secret",
            "bulk-aws-session",
            "bulk-git",
            "failed-bulk",
            "failed-v1",
            "forbidden-bulk",
        )
    }
    marker = plain("params-marker")  # not a secret: proves the database scan sees stored text
    responses: list[httpx.Response] = []
    key = await demo_key(runtime)
    v1 = {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"}
    staff = {"X-Authorization": await sessions.create("root@example.com", staff=True)}
    member = session_headers(await sessions.create("member@example.com"))
    user_jwt = {"Authorization": f"Bearer {identity_jwt(await demo_user_id(runtime))}"}

    # Writes through /api/v1 (CONTRACT.md §4).
    responses.append(
        await client.post(
            "/api/v1/integrations/openai/install",
            headers=v1,
            json={
                "params": {"marker": marker},
                "secrets": {"api_key": secrets["v1-replaced"], "webhook": secrets["v1-webhook"]},
            },
        )
    )
    responses.append(
        await client.post(
            "/api/v1/integrations/openai/install",
            headers=v1,
            json={"secrets": {"api_key": secrets["v1-api-key"]}},
        )
    )
    responses.append(
        await client.post(
            "/api/v1/integrations/sendgrid/install",
            headers=v1,
            json={"secrets": {"good": secrets["failed-v1"], "bad": 5}},
        )
    )
    # Writes through GraphQL.
    installed = await gql(
        INSTALL_MUTATION,
        {"account": "demo", "id": "anthropic", "secrets": {"token": secrets["gql-token"]}},
        headers=user_jwt,
    )
    assert installed["data"]["installIntegration"]["installation"]["secretNames"] == ["token"]
    # Bulk save (CONTRACT.md §5): password-type values.
    batch = [
        {
            "name": "secret-openai",
            "type": "openai",
            "configuration": {"api_key": secrets["bulk-openai"]},
            "apis": [{"integrationName": "secret-openai", "api": "gpt-4o", "description": "m"}],
        },
        {
            "name": "secret-pg",
            "type": "pgvectordb",
            "configuration": {
                "user": "u",
                "password": secrets["bulk-pg-password"],
                "datasourceURL": "jdbc:postgresql://db/x",
                "dimensions": 1536,
                "distance_metric": "cosine",
                "indexing_method": "hnsw",
            },
            "apis": [{"integrationName": "secret-pg", "api": "docs", "description": "index"}],
        },
        {
            "name": "secret-aws",
            "type": "aws",
            "configuration": {
                "connectionType": "ACCESS_KEY",
                "region": "eu-west-1",
                "accessKeyId": "AKIAEXAMPLE",
                "secretAccessKey": secrets["bulk-aws-secret"],
                "sessionToken": secrets["bulk-aws-session"],
            },
        },
        {"name": "secret-git", "type": "git", "configuration": {"user": "u", "api_key": "x"}},
    ]
    responses.append(await client.post("/api/integrations", headers=staff, json=batch))
    assert responses[-1].status_code == 200, responses[-1].text
    responses.append(
        await client.post(
            "/api/integrations/",
            headers=staff,
            json=[
                {
                    "name": "secret-git",
                    "type": "git",
                    "configuration": {"api_key": secrets["bulk-git"]},
                }
            ],
        )
    )
    assert responses[-1].status_code == 200, responses[-1].text
    # Failed writes carrying secrets.
    responses.append(
        await client.post(
            "/api/integrations",
            headers=staff,
            json=[
                {
                    "name": "failed",
                    "type": "sendgrid",
                    "configuration": {"api_key": secrets["failed-bulk"]},
                },
                {"name": "bad name", "type": "sendgrid"},
            ],
        )
    )  # fmt: skip
    assert responses[-1].status_code == 400
    responses.append(
        await client.post(
            "/api/integrations",
            headers=member,
            json=[
                {
                    "name": "f",
                    "type": "sendgrid",
                    "configuration": {"api_key": secrets["forbidden-bulk"]},
                }
            ],
        )
    )  # fmt: skip
    assert responses[-1].status_code == 403
    failed_gql = await gql(
        SAVE_MUTATION,
        {"integrations": [{"name": "g", "type": "sendgrid",
                           "configuration": {"api_key": secrets["failed-bulk"]}, "x": 1}]},
        headers=session_headers(staff["X-Authorization"]),
    )  # fmt: skip
    assert failed_gql["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    # Reads of everything that was written.
    for path in (
        "/api/v1/integrations",
        "/api/v1/integrations/openai",
        "/api/v1/integrations/anthropic",
        "/api/v1/integrations/sendgrid",
        "/api/v1/integrations?status=installed",
    ):
        responses.append(await client.get(path, headers=v1))
    for path in (
        "/api/integrations",
        "/api/integrations/openai",
        "/api/integrations/secret-openai",
        "/api/integrations/secret-pg",
        "/api/integrations/secret-aws",
        "/api/integrations/secret-git",
    ):
        responses.append(await client.get(path))
        responses.append(await client.get(path, headers=session_headers(staff["X-Authorization"])))
    read_back = await gql(READ_BACK_QUERY, {"account": "demo"}, headers=user_jwt)
    assert "errors" not in read_back, read_back
    rows = {
        node["integration"]["provider"]: node["installation"]
        for node in read_back["data"]["account"]["integrations"]["nodes"]
    }
    assert rows["openai"]["secretNames"] == ["api_key", "webhook"]
    assert rows["openai"]["params"] == {"marker": marker}

    # 1. No response.
    for response in responses:
        seen = response.content + repr(response.headers.raw).encode()
        for value in secrets.values():
            assert value.encode() not in seen, (response.request.url, value)
    graphql_text = repr([installed, failed_gql, read_back])
    for value in secrets.values():
        assert value not in graphql_text

    # 2. No log line, no output.
    logs = logged_text(caplog)
    assert caplog.records, "the check must see the gateway's log records"
    captured = capsys.readouterr()
    for value in secrets.values():
        assert value not in logs
        assert value not in captured.out
        assert value not in captured.err

    # 3. Not in the database, where the stored text is visible to the scan.
    stored = await database_text(runtime, settings)
    assert marker.encode() in stored
    for value in secrets.values():
        assert value.encode() not in stored, value

    # And yet every stored secret is there, encrypted, and reads back with the key.
    tokens = await stored_tokens(runtime)
    readable = {box(K1).decrypt(token) for token in tokens.values()}
    for label in (
        "v1-api-key",
        "v1-webhook",
        "gql-token",
        "bulk-openai",
        "bulk-pg-password",
        "bulk-aws-secret",
        "bulk-aws-session",
        "bulk-git",
    ):
        assert secrets[label] in readable, label
    for label in ("v1-replaced", "failed-bulk", "failed-v1", "forbidden-bulk"):
        assert secrets[label] not in readable, label


# --------------------------------------------------------------------------------------------
# Done when: secrets survive a key rotation


async def test_secrets_survive_a_key_rotation(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    demo: None,
    sessions: Sessions,
    second_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = await demo_key(runtime)
    v1 = {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"}
    staff_token = await sessions.create("root@example.com", staff=True)
    staff = {"X-Authorization": staff_token}
    originals: dict[str, str] = {}

    # Under [k1].
    originals["install:openai:api_key"] = plain("k1-install")
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers=v1,
        json={"secrets": {"api_key": originals["install:openai:api_key"]}},
    )
    assert response.status_code == 200, response.text
    originals["integration:rot-mail:api_key"] = plain("k1-bulk")
    response = await client.post(
        "/api/integrations",
        headers=staff,
        json=[{"name": "rot-mail", "type": "sendgrid",
               "configuration": {"api_key": originals["integration:rot-mail:api_key"]}}],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    for token in (await stored_tokens(runtime)).values():
        box(K1).decrypt(token)

    # Under [k2, k1]: the old secrets still count, new ones are written under k2.
    _, both = await second_app(secret_keys=SecretStr(f"{K2},{K1}"))
    originals["install:sendgrid:token"] = plain("k2-install")
    response = await both.post(
        "/api/v1/integrations/sendgrid/install",
        headers=v1,
        json={"secrets": {"token": originals["install:sendgrid:token"]}},
    )
    assert response.status_code == 200, response.text
    originals["integration:rot-aws:secretAccessKey"] = plain("k2-bulk")
    response = await both.post(
        "/api/integrations",
        headers=staff,
        json=[
            {"name": "rot-mail", "type": "sendgrid", "description": "still valid"},
            {"name": "rot-aws", "type": "aws", "configuration": {
                "connectionType": "ACCESS_KEY", "region": "eu", "accessKeyId": "AKIA",
                "secretAccessKey": originals["integration:rot-aws:secretAccessKey"]}},
        ],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    listed = await both.get("/api/v1/integrations?status=installed", headers=v1)
    assert {row["name"]: row["secrets"] for row in listed.json()["integrations"]} == {
        "openai": ["api_key"],
        "sendgrid": ["token"],
    }

    async def by_label() -> dict[str, str]:
        tokens = await stored_tokens(runtime)
        ids = {}
        async with runtime.db.read() as session:
            for row in (await session.scalars(select(Integration))).all():
                ids[str(row.id)] = row.provider
        labelled = {}
        for name, token in tokens.items():
            kind, *rest = name.split(":")
            if kind == "install":
                labelled[f"install:{ids[rest[1]]}:{rest[2]}"] = token
            else:
                labelled[name] = token
        return labelled

    before = await by_label()
    assert set(before) == set(originals)
    assert box(K1).decrypt(before["install:openai:api_key"]) == originals["install:openai:api_key"]
    with pytest.raises(InvalidToken):
        box(K1).decrypt(before["install:sendgrid:token"])

    # vendo-gateway secrets rotate, with VENDO_SECRET_KEYS=k2,k1.
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VENDO_SECRET_KEYS", f"{K2},{K1}")
    code, out, err = await run_cli(capsys, "secrets", "rotate")
    assert code == 0, err
    assert out.splitlines()[-1] == f"re-encrypted {len(originals)} secret(s) under the newest key"
    for value in originals.values():
        assert value not in out
        assert value not in err

    # With [k2] only, every stored token reads back to its original; k1 alone reads none.
    after = await by_label()
    assert set(after) == set(originals)
    for label, value in originals.items():
        assert box(K2).decrypt(after[label]) == value, label
        with pytest.raises(InvalidToken):
            box(K1).decrypt(after[label])

    # A gateway with [k2] only still works on them.
    _, newest = await second_app(secret_keys=SecretStr(K2))
    response = await newest.post(
        "/api/v1/integrations/openai/install", headers=v1, json={"secrets": {"extra": "e"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["secrets"] == ["api_key", "extra"]


async def test_secrets_rotate_with_a_token_no_key_reads_changes_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = await demo_key(runtime)
    v1 = {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"}
    for provider in ("openai", "sendgrid"):
        response = await client.post(
            f"/api/v1/integrations/{provider}/install",
            headers=v1,
            json={"secrets": {"api_key": plain(provider)}},
        )
        assert response.status_code == 200
    # One token readable by k3 (the new key), the others only by k1: rotation must refuse.
    secret = {"api_key": box(K3).encrypt("k3 secret")}
    await add_rows(
        runtime,
        integration("k3-only", category="EMAIL", type="sendgrid", secret_configuration=secret),
    )
    before = await stored_tokens(runtime)
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VENDO_SECRET_KEYS", K3)
    code, _, err = await run_cli(capsys, "secrets", "rotate")
    assert code == 1
    assert err.strip() == (
        "a stored secret is not readable with any configured key; nothing was changed"
    )
    assert await stored_tokens(runtime) == before


async def test_secrets_rotate_without_a_key_refuses(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("VENDO_SECRET_KEYS", raising=False)
    code, _, err = await run_cli(capsys, "secrets", "rotate")
    assert code == 2
    assert err.strip() == "VENDO_SECRET_KEYS is not set: nothing to rotate with"


async def test_secrets_rotate_with_nothing_stored(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VENDO_SECRET_KEYS", f"{K2},{K1}")
    code, out, _ = await run_cli(capsys, "secrets", "rotate")
    assert code == 0
    assert out.splitlines()[-1] == "re-encrypted 0 secret(s) under the newest key"


async def test_secrets_rotate_twice_is_harmless(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = await demo_key(runtime)
    value = plain("twice")
    await client.post(
        "/api/v1/integrations/openai/install",
        headers={"Authorization": f"Bearer {key}", "X-Account-ID": "demo"},
        json={"secrets": {"api_key": value}},
    )
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VENDO_SECRET_KEYS", f"{K2},{K1}")
    for _ in range(2):
        code, out, _ = await run_cli(capsys, "secrets", "rotate")
        assert code == 0
        assert out.splitlines()[-1] == "re-encrypted 1 secret(s) under the newest key"
    (token,) = (await stored_tokens(runtime)).values()
    assert box(K2).decrypt(token) == value


async def test_gateway_with_a_malformed_key_does_not_start(settings: Settings) -> None:
    leaked = "BROKEN-" + uuid.uuid4().hex
    with pytest.raises(ValidationError) as raised:
        Settings(database_url=settings.database_url, secret_keys=leaked)
    assert leaked not in str(raised.value)
