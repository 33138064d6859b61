"""``POST /api/integrations``: every validation rule of resolvers/integrations/bulk.py,
one at a time, with its exact 400 body (CONTRACT.md §5.1–§5.4; docs/decisions/0032)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import (
    AI_MODEL,
    AWS_MODES_MESSAGE,
    AWS_TYPES,
    BAD_NAME,
    CATEGORIES_MESSAGE,
    CLOUD,
    EMAIL,
    MESSAGE_BROKER,
    NEEDS_AN_API,
    NOT_A_KEY,
    PLAIN_VALUE,
    RELATIONAL_DB,
    REQUIRED,
    SECRET_VALUE,
    TAG_SHAPE,
    TYPES_MESSAGE,
    VECTOR_DB,
    VERSION_CONTROL,
    apis_of,
    assert_invalid,
    decrypted,
    integration,
    item,
    post,
)
from tests.support.sql import snapshot


@pytest.mark.parametrize("raw", [1, "x", None, [], True])
async def test_bulk_save_item_not_an_object(
    client: httpx.AsyncClient, staff: dict[str, str], raw: Any
) -> None:
    response = await post(client, [raw], staff)
    assert_invalid(response, (0, None, "Each integration must be a JSON object"))


async def test_bulk_save_unknown_item_key(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await post(client, [item("x", id="abc", models=[])], staff)
    assert_invalid(response, (0, "id", "Unknown field"), (0, "models", "Unknown field"))


async def test_bulk_save_missing_name(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    body = item("x")
    del body["name"]
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "name", "Required, a string"))


@pytest.mark.parametrize("name", [5, None, ["x"]])
async def test_bulk_save_name_not_a_string(
    client: httpx.AsyncClient, staff: dict[str, str], name: Any
) -> None:
    response = await post(client, [{**item("x"), "name": name}], staff)
    assert_invalid(response, (0, "name", "Required, a string"))


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-starts-with-dash",
        ".hidden",
        "has space",
        "slash/name",
        "a" * 101,
        "café",
        "名前",
        "x\n",
    ],
)
async def test_bulk_save_bad_name(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], name: str
) -> None:
    response = await post(client, [{**item("x"), "name": name}], staff)
    assert_invalid(response, (0, "name", BAD_NAME))
    assert await integration(runtime, name) is None


@pytest.mark.parametrize("name", ["a", "A_b-c.d", "0day", "a" * 100])
async def test_bulk_save_good_names(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], name: str
) -> None:
    response = await post(client, [item(name)], staff)
    assert response.status_code == 200, response.text
    assert await integration(runtime, name) is not None


async def test_bulk_save_duplicate_names_in_one_batch(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    response = await post(client, [item("dup"), item("other"), item("dup"), item("dup")], staff)
    assert_invalid(
        response,
        (2, "name", "Duplicate name in this batch"),
        (3, "name", "Duplicate name in this batch"),
    )
    assert await integration(runtime, "dup") is None
    assert await integration(runtime, "other") is None


@pytest.mark.parametrize("kind", ["nope", "", "OPENAI", 7, None])
async def test_bulk_save_unknown_type(
    client: httpx.AsyncClient, staff: dict[str, str], kind: Any
) -> None:
    response = await post(client, [{"name": "x", "type": kind}], staff)
    assert_invalid(response, (0, "type", TYPES_MESSAGE))


async def test_bulk_save_missing_type(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await post(client, [{"name": "x", "configuration": {"api_key": "k"}}], staff)
    assert_invalid(response, (0, "type", TYPES_MESSAGE))


async def test_bulk_save_type_of_existing_integration_cannot_change(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    assert (await post(client, [item("mail")], staff)).status_code == 200
    before = await snapshot(runtime)
    response = await post(
        client, [{"name": "mail", "type": "git", "configuration": {"user": "u"}}], staff
    )
    assert_invalid(
        response, (0, "type", "Cannot change the type of an existing integration (it is sendgrid)")
    )
    assert await snapshot(runtime) == before


async def test_bulk_save_same_type_of_existing_integration_is_an_update(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    await post(client, [item("mail")], staff)
    response = await post(client, [{"name": "mail", "type": "sendgrid"}], staff)
    assert response.status_code == 200, response.text
    assert response.json()["integrations"][0]["created"] is False


@pytest.mark.parametrize("category", ["NOPE", "", "email", 3, ["EMAIL"]])
async def test_bulk_save_unknown_category(
    client: httpx.AsyncClient, staff: dict[str, str], category: Any
) -> None:
    response = await post(client, [item("x", category=category)], staff)
    assert_invalid(response, (0, "category", CATEGORIES_MESSAGE))


@pytest.mark.parametrize(
    ("kind", "category", "belongs"),
    [
        ("sendgrid", CLOUD, EMAIL),
        ("openai", VECTOR_DB, AI_MODEL),
        ("pineconedb", AI_MODEL, VECTOR_DB),
        ("aws", MESSAGE_BROKER, CLOUD),
        ("aws_sqs", CLOUD, MESSAGE_BROKER),
        ("git", EMAIL, VERSION_CONTROL),
        ("relational_db", VECTOR_DB, RELATIONAL_DB),
    ],
)
async def test_bulk_save_category_mismatching_type(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str, category: str, belongs: str
) -> None:
    response = await post(client, [item("x", kind, category=category)], staff)
    assert_invalid(response, (0, "category", f"This type belongs to {belongs}"))


@pytest.mark.parametrize("configuration", ["api_key=k", ["api_key"], 5, True])
async def test_bulk_save_configuration_not_an_object(
    client: httpx.AsyncClient, staff: dict[str, str], configuration: Any
) -> None:
    response = await post(client, [item("x", configuration=configuration)], staff)
    assert_invalid(
        response, (0, "configuration", "An object"), (0, "configuration.api_key", REQUIRED)
    )


async def test_bulk_save_configuration_null_is_absent(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    response = await post(client, [item("x", configuration=None)], staff)
    assert_invalid(response, (0, "configuration.api_key", REQUIRED))


async def test_bulk_save_unknown_configuration_key(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", configuration={"api_key": "k", "endpoint": "e", "region": "r"})
    response = await post(client, [body], staff)
    assert_invalid(
        response, (0, "configuration.endpoint", NOT_A_KEY), (0, "configuration.region", NOT_A_KEY)
    )


async def test_bulk_save_unknown_configuration_key_carrying_a_secret_is_not_echoed(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", configuration={"api_key": "k", "password": "hunter2-plain"})
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "configuration.password", NOT_A_KEY))
    assert "hunter2-plain" not in response.text


@pytest.mark.parametrize(
    "junk",
    [{"a": 1}, [1, 2], None, {"deep": {"deeper": ["x"]}}, []],
    ids=["object", "array", "null", "nested", "empty-array"],
)
async def test_bulk_save_nested_junk_in_plain_configuration_value(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], junk: Any
) -> None:
    body = item("x", "openai", configuration={"api_key": "k", "endpoint": junk})
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "configuration.endpoint", PLAIN_VALUE))
    assert await integration(runtime, "x") is None


@pytest.mark.parametrize(
    "junk",
    [{"a": 1}, [1, 2], None, 123, 1.5, True, ""],
    ids=["object", "array", "null", "int", "float", "bool", "empty"],
)
async def test_bulk_save_non_string_or_empty_secret_value(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], junk: Any
) -> None:
    response = await post(client, [item("x", configuration={"api_key": junk})], staff)
    assert_invalid(
        response, (0, "configuration.api_key", SECRET_VALUE), (0, "configuration.api_key", REQUIRED)
    )
    assert await integration(runtime, "x") is None


async def test_bulk_save_optional_secret_value_must_be_a_string(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", "ollama", configuration={"endpoint": "e", "header": 5, "api_key": ""})
    response = await post(client, [body], staff)
    assert_invalid(
        response,
        (0, "configuration.header", SECRET_VALUE),
        (0, "configuration.api_key", SECRET_VALUE),
    )


async def test_bulk_save_empty_plain_value(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", "anthropic", configuration={"api_key": "k", "endpoint": ""})
    response = await post(client, [body], staff)
    assert_invalid(
        response,
        (0, "configuration.endpoint", "Must not be empty"),
        (0, "configuration.endpoint", REQUIRED),
    )


async def test_bulk_save_numbers_and_booleans_are_plain_values(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    configuration = {
        "protocol": "amqps",
        "user": "u",
        "password": "p4ss",
        "endpoint": "mq.example.com",
        "port": 5671,
        "namespace": "/",
    }
    response = await post(client, [item("mq", "amqp", configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "mq")
    assert row is not None
    assert row.configuration == {
        "protocol": "amqps",
        "user": "u",
        "endpoint": "mq.example.com",
        "port": 5671,
        "namespace": "/",
    }
    assert decrypted(row) == {"password": "p4ss"}

    nats = {
        "endpoint": "nats://x",
        "connectionType": "plain",
        "authenticationType": "none",
        "protocol": "nats",
        "tls": False,
    }
    response = await post(client, [item("n", "nats", configuration=nats)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "n")
    assert row is not None
    assert row.configuration == nats


async def test_bulk_save_configuration_value_over_16_kib(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    big = "x" * 16_385
    ok = "x" * 16_384
    response = await post(
        client, [item("x", "openai", configuration={"api_key": ok, "endpoint": big})], staff
    )
    assert_invalid(response, (0, "configuration.endpoint", PLAIN_VALUE))
    response = await post(client, [item("y", configuration={"api_key": big})], staff)
    assert_invalid(
        response, (0, "configuration.api_key", SECRET_VALUE), (0, "configuration.api_key", REQUIRED)
    )


async def test_bulk_save_missing_required_keys(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", "anthropic", configuration={"api_key": "k", "version": "2023-06-01"})
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "configuration.endpoint", REQUIRED))


# AWS: connectionType selects more keys.


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_access_key_needs_its_keys(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "ACCESS_KEY", "region": "us-east-1"})
    response = await post(client, [body], staff)
    assert_invalid(
        response,
        (0, "configuration.accessKeyId", REQUIRED),
        (0, "configuration.secretAccessKey", REQUIRED),
    )


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_access_key_stores_secret_keys_encrypted(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    configuration = {
        "connectionType": "ACCESS_KEY",
        "region": "eu-west-1",
        "awsAccountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE",
        "secretAccessKey": "wJalrXUtnFEMI-plain",
        "sessionToken": "FwoGZXIvYXdz-plain",
    }
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert row.configuration == {
        "connectionType": "ACCESS_KEY",
        "region": "eu-west-1",
        "awsAccountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE",
    }
    assert decrypted(row) == {
        "secretAccessKey": "wJalrXUtnFEMI-plain",
        "sessionToken": "FwoGZXIvYXdz-plain",
    }


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_assume_role_needs_role_arn(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "ASSUME_ROLE", "region": "us-east-1"})
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "configuration.roleArn", REQUIRED))
    configuration = {
        "connectionType": "ASSUME_ROLE",
        "region": "us-east-1",
        "roleArn": "arn:aws:iam::123456789012:role/x",
        "externalId": "ext",
    }
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert row.configuration == configuration
    assert row.secret_configuration == {}


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_default_credentials_adds_nothing(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    configuration = {"connectionType": "DEFAULT_CREDENTIALS", "region": "us-east-1"}
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    extra = {**configuration, "accessKeyId": "AKIA", "roleArn": "arn"}
    response = await post(client, [item("y", kind, configuration=extra)], staff)
    assert_invalid(
        response,
        (0, "configuration.accessKeyId", NOT_A_KEY),
        (0, "configuration.roleArn", NOT_A_KEY),
    )


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_keys_of_another_mode_are_rejected(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    configuration = {
        "connectionType": "ASSUME_ROLE",
        "region": "us-east-1",
        "roleArn": "arn",
        "secretAccessKey": "s",
    }
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert_invalid(response, (0, "configuration.secretAccessKey", NOT_A_KEY))


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_unknown_connection_type(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "MAGIC", "region": "us-east-1"})
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "configuration.connectionType", AWS_MODES_MESSAGE))


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_region_is_always_required(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "DEFAULT_CREDENTIALS"})
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "configuration.region", REQUIRED))


# Tags.


@pytest.mark.parametrize("tags", ["env=prod", {"key": "a", "value": "b"}, 5])
async def test_bulk_save_tags_not_a_list(
    client: httpx.AsyncClient, staff: dict[str, str], tags: Any
) -> None:
    response = await post(client, [item("x", tags=tags)], staff)
    assert_invalid(response, (0, "tags", "A list of at most 50 tags"))


async def test_bulk_save_more_than_50_tags(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    tags = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    response = await post(client, [item("x", tags=tags)], staff)
    assert_invalid(response, (0, "tags", "A list of at most 50 tags"))
    response = await post(client, [item("x", tags=tags[:50])], staff)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "tag",
    [{"key": "a"}, {"value": "b"}, {"key": "a", "value": 1}, {"key": "a", "value": "b", "c": "d"},
     "a=b", None, {"key": None, "value": "b"}],
)  # fmt: skip
async def test_bulk_save_bad_tag_shape(
    client: httpx.AsyncClient, staff: dict[str, str], tag: Any
) -> None:
    tags = [{"key": "ok", "value": "fine"}, tag]
    response = await post(client, [item("x", tags=tags)], staff)
    assert_invalid(response, (0, "tags[1]", TAG_SHAPE))


async def test_bulk_save_tags_are_stored(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    tags = [
        {"key": "env", "value": "prod"},
        {"key": "", "value": ""},
        {"key": "ü", "value": "日本"},
    ]
    response = await post(client, [item("x", tags=tags)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert row.tags == tags


# Apis.


async def test_bulk_save_api_integration_name_mismatch(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    apis = [{"integrationName": "other", "api": "gpt-4o", "description": "d"}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(response, (0, "apis[0].integrationName", "Must equal the integration's name"))


async def test_bulk_save_api_integration_name_missing(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    apis = [{"api": "gpt-4o", "description": "d"}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(response, (0, "apis[0].integrationName", "Must equal the integration's name"))


@pytest.mark.parametrize("missing", ["api", "description"])
async def test_bulk_save_api_missing_api_or_description(
    client: httpx.AsyncClient, staff: dict[str, str], missing: str
) -> None:
    entry = {"integrationName": "x", "api": "gpt-4o", "description": "d"}
    del entry[missing]
    response = await post(client, [item("x", "openai", apis=[entry])], staff)
    assert_invalid(response, (0, f"apis[0].{missing}", "Required, a non-empty string"))


@pytest.mark.parametrize("value", ["", 5, None, ["gpt"]])
async def test_bulk_save_api_empty_or_non_string(
    client: httpx.AsyncClient, staff: dict[str, str], value: Any
) -> None:
    entry = {"integrationName": "x", "api": value, "description": value}
    response = await post(client, [item("x", "openai", apis=[entry])], staff)
    assert_invalid(
        response,
        (0, "apis[0].api", "Required, a non-empty string"),
        (0, "apis[0].description", "Required, a non-empty string"),
    )


async def test_bulk_save_duplicate_api(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    apis = [
        {"integrationName": "x", "api": "gpt-4o", "description": "one"},
        {"integrationName": "x", "api": "o3", "description": "two"},
        {"integrationName": "x", "api": "gpt-4o", "description": "three"},
    ]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(response, (0, "apis[2].api", "Duplicate api in this integration"))


async def test_bulk_save_unknown_api_keys(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    apis = [{"integrationName": "x", "api": "a", "description": "d", "model": "m", "cost": 1}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(
        response, (0, "apis[0].cost", "Unknown field"), (0, "apis[0].model", "Unknown field")
    )


async def test_bulk_save_api_enabled_not_a_boolean(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    apis = [{"integrationName": "x", "api": "a", "description": "d", "enabled": "yes"}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(response, (0, "apis[0].enabled", "A boolean"))


@pytest.mark.parametrize("entry", ["gpt-4o", 1, None, ["gpt-4o"]])
async def test_bulk_save_api_entry_not_an_object(
    client: httpx.AsyncClient, staff: dict[str, str], entry: Any
) -> None:
    response = await post(client, [item("x", "openai", apis=[entry])], staff)
    assert_invalid(response, (0, "apis[0]", "An object"))


@pytest.mark.parametrize("apis", ["gpt-4o", {"api": "x"}, 3])
async def test_bulk_save_apis_not_a_list(
    client: httpx.AsyncClient, staff: dict[str, str], apis: Any
) -> None:
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(response, (0, "apis", "A list of at most 200 entries"))


async def test_bulk_save_more_than_200_apis(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    apis = [{"integrationName": "x", "api": f"m{i}", "description": "d"} for i in range(201)]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_invalid(response, (0, "apis", "A list of at most 200 entries"))
    response = await post(client, [item("x", "openai", apis=apis[:200])], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert len(await apis_of(runtime, row.id)) == 200


@pytest.mark.parametrize("kind", ["openai", "aws_bedrock_titan", "pineconedb", "relational_db"])
@pytest.mark.parametrize("apis", [None, []], ids=["absent", "empty"])
async def test_bulk_save_ai_vector_relational_types_need_apis(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str, apis: Any
) -> None:
    body = item("x", kind)
    if apis is None:
        del body["apis"]
    else:
        body["apis"] = apis
    response = await post(client, [body], staff)
    assert_invalid(response, (0, "apis", NEEDS_AN_API))
    assert await integration(runtime, "x") is None


@pytest.mark.parametrize("kind", ["sendgrid", "git", "kafka", "aws", "gcp"])
async def test_bulk_save_other_types_need_no_apis(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind)
    body.pop("apis", None)
    response = await post(client, [body], staff)
    assert response.status_code == 200, response.text


async def test_bulk_save_description_and_enabled_types(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    response = await post(client, [item("x", description=5, enabled="yes")], staff)
    assert_invalid(
        response,
        (0, "description", "A string of at most 2000 characters"),
        (0, "enabled", "A boolean"),
    )
    response = await post(client, [item("x", description="d" * 2001)], staff)
    assert_invalid(response, (0, "description", "A string of at most 2000 characters"))
    response = await post(client, [item("x", description="d" * 2000, enabled=False)], staff)
    assert response.status_code == 200, response.text
