"""``POST /api/integrations`` without a secret key configured: what is refused and
what is still saved (docs/decisions/0030, 0032)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from app.models import Integration
from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import EMAIL, UNAVAILABLE, integration, item, post
from tests.support.http import assert_json
from tests.support.sql import snapshot


class TestWithoutSecretKey:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}

    async def test_bulk_save_with_secrets_is_unavailable_and_writes_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
    ) -> None:
        before = await snapshot(runtime)
        batch = [
            item("plain-only", "mongovectordb"),
            item("with-secret", configuration={"api_key": "SG.never-stored"}),
        ]
        response = await post(client, batch, staff)
        assert_json(response, 503, UNAVAILABLE)
        assert await snapshot(runtime) == before

    async def test_bulk_save_without_secrets_still_works(
        self, client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
    ) -> None:
        batch = [
            item("vectors", "mongovectordb"),
            item("cloud", "aws"),
            item("role", "aws_sqs", configuration={
                "connectionType": "ASSUME_ROLE", "region": "eu", "roleArn": "arn"}),
        ]  # fmt: skip
        response = await post(client, batch, staff)
        assert response.status_code == 200, response.text
        for name in ("vectors", "cloud", "role"):
            row = await integration(runtime, name)
            assert row is not None
            assert row.secret_configuration == {}

    async def test_bulk_save_update_keeping_stored_secrets_needs_no_key(
        self, client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
    ) -> None:
        token = Fernet(Fernet.generate_key()).encrypt(b"stored-elsewhere").decode()
        async with runtime.db.write() as session, session.begin():
            session.add(
                Integration(
                    provider="legacy-mail",
                    name="legacy-mail",
                    category=EMAIL,
                    type="sendgrid",
                    secret_configuration={"api_key": token},
                )
            )
        response = await post(
            client, [{"name": "legacy-mail", "type": "sendgrid", "description": "d"}], staff
        )
        assert response.status_code == 200, response.text
        row = await integration(runtime, "legacy-mail")
        assert row is not None
        assert row.secret_configuration == {"api_key": token}
        assert row.description == "d"

    async def test_bulk_save_validation_comes_before_unavailable(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await post(client, [item("x", configuration={"api_key": 5})], staff)
        assert response.status_code == 400
