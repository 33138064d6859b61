"""Validation of a bulk save (docs/CONTRACT.md §5): every problem of every item, with its index
and field.

The rules, in the order they are checked for each item:
- the item is an object whose keys are among name, type, category, description, enabled,
  configuration, tags, apis;
- ``name``: 1–100 characters of ``A-Z a-z 0-9 _ - .``, starting with a letter or digit, unique in
  the batch; ``type``: one of the types below, never a change of an existing integration's type;
- ``category``: optional, and when given it must be the type's category;
- ``configuration``: an object of the type's required and optional keys only, values strings,
  numbers or booleans (no objects, arrays or nulls); password-type values (``SECRET_KEYS``) must
  be non-empty strings; for the AWS types, ``connectionType`` selects more keys (``AWS_MODES``);
- every required key must be present once the configuration is merged over what is stored;
- ``tags``: at most 50 objects ``{"key": str, "value": str}``;
- ``apis``: objects ``{"integrationName" = name, "api", "description", "enabled"?}`` with unique
  ``api``; AI model, vector DB and relational DB types need at least one (an update that leaves
  ``apis`` out keeps the stored ones, which count).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resolvers.inputs import has_nul

AI_MODEL, VECTOR_DB, RELATIONAL_DB = "AI_MODEL", "VECTOR_DB", "RELATIONAL_DB"
MESSAGE_BROKER, CLOUD, EMAIL, VERSION_CONTROL = (
    "MESSAGE_BROKER",
    "CLOUD",
    "EMAIL",
    "VERSION_CONTROL",
)
CATEGORIES = frozenset(
    {AI_MODEL, VECTOR_DB, RELATIONAL_DB, MESSAGE_BROKER, CLOUD, EMAIL, VERSION_CONTROL}
)
NEEDS_APIS = frozenset({AI_MODEL, VECTOR_DB, RELATIONAL_DB})
SECRET_KEYS = frozenset(
    {"api_key", "password", "secretAccessKey", "sessionToken", "file", "header"}
)
ITEM_KEYS = frozenset(
    {"name", "type", "category", "description", "enabled", "configuration", "tags", "apis"}
)
API_KEYS = frozenset({"integrationName", "api", "description", "enabled"})
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MAX_TEXT, MAX_VALUE, MAX_TAGS, MAX_APIS = 2000, 16_384, 50, 200

# connectionType of the AWS types → (required keys, optional keys) it adds.
AWS_MODES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ACCESS_KEY": (("accessKeyId", "secretAccessKey"), ("sessionToken",)),
    "ASSUME_ROLE": (("roleArn",), ("externalId",)),
    "DEFAULT_CREDENTIALS": ((), ()),
}


# What is stored of an existing integration: type, configuration keys, whether it has apis.
Stored = tuple[str | None, set[str], bool]
NOTHING_STORED: Stored = (None, set(), False)


@dataclass(frozen=True)
class TypeSpec:
    category: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    aws: bool = False


_IBM_MQ = "endpoint port queueManager channel protocol pubSubMethod authenticationType tls"


def _aws(category: str) -> TypeSpec:
    return TypeSpec(category, ("connectionType", "region"), ("awsAccountId",), aws=True)


TYPES: dict[str, TypeSpec] = {
    "ollama": TypeSpec(AI_MODEL, ("endpoint",), ("header", "api_key")),
    "azure_openai": TypeSpec(AI_MODEL, ("api_key", "endpoint")),
    "openai": TypeSpec(AI_MODEL, ("api_key",), ("endpoint", "organizationId")),
    "perplexity": TypeSpec(AI_MODEL, ("api_key",)),
    "grok": TypeSpec(AI_MODEL, ("api_key",)),
    "cohere": TypeSpec(AI_MODEL, ("api_key", "endpoint")),
    "mistral": TypeSpec(AI_MODEL, ("api_key", "endpoint")),
    "anthropic": TypeSpec(
        AI_MODEL, ("api_key", "endpoint"), ("completionsPath", "version", "betaVersion")
    ),
    "vertex_ai": TypeSpec(AI_MODEL, ("projectName", "environment", "publisher", "file")),
    "vertex_ai_gemini": TypeSpec(AI_MODEL, ("projectName", "environment", "file")),
    "huggingface": TypeSpec(AI_MODEL, ("api_key", "namespace")),
    "aws_bedrock_anthropic": _aws(AI_MODEL),
    "aws_bedrock_cohere": _aws(AI_MODEL),
    "aws_bedrock_titan": _aws(AI_MODEL),
    "pineconedb": TypeSpec(VECTOR_DB, ("api_key", "projectName", "environment")),
    "weaviatedb": TypeSpec(VECTOR_DB, ("api_key", "endpoint")),
    "pgvectordb": TypeSpec(
        VECTOR_DB,
        ("user", "password", "datasourceURL", "dimensions", "distance_metric", "indexing_method"),
        ("inverted_list_count",),
    ),
    "mongovectordb": TypeSpec(
        VECTOR_DB,
        ("endpoint", "namespace", "dimensions", "distance_metric"),
        ("inverted_list_count",),
    ),
    "amqp": TypeSpec(
        MESSAGE_BROKER, ("protocol", "user", "password", "endpoint", "port", "namespace")
    ),
    "kafka": TypeSpec(MESSAGE_BROKER, ("endpoint", "connectionType", "protocol"), ("groupId",)),
    "nats": TypeSpec(
        MESSAGE_BROKER, ("endpoint", "connectionType", "authenticationType", "protocol", "tls")
    ),
    "aws_sqs": _aws(MESSAGE_BROKER),
    "azure_service_bus": TypeSpec(MESSAGE_BROKER, ("connectionType",), ("endpoint", "namespace")),
    "gcp_pubsub": TypeSpec(MESSAGE_BROKER, ("projectName", "location", "file")),
    "ibm_mq": TypeSpec(MESSAGE_BROKER, tuple(_IBM_MQ.split())),
    "aws": _aws(CLOUD),
    "gcp": TypeSpec(CLOUD, ("projectName", "environment", "file")),
    "relational_db": TypeSpec(RELATIONAL_DB, ("jdbcDriver", "user", "password", "datasourceURL")),
    "sendgrid": TypeSpec(EMAIL, ("api_key",)),
    "git": TypeSpec(VERSION_CONTROL, ("user", "api_key")),
}


@dataclass(frozen=True)
class Problem:
    index: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass
class ValidItem:
    """One item that passed: its configuration split into plain values and secrets."""

    index: int
    name: str
    type: str
    category: str
    description: str | None
    enabled: bool | None
    plain: dict[str, Any]
    secrets: dict[str, str]
    tags: list[dict[str, str]] | None
    apis: list[dict[str, Any]] | None


@dataclass
class _Checker:
    index: int
    problems: list[Problem] = field(default_factory=list)

    def add(self, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.index, field_name, message))


def validate_batch(
    payload: Any, *, stored: Mapping[str, Stored], max_items: int
) -> tuple[list[ValidItem], list[Problem]]:
    """``stored``: name → (type, configuration keys, has apis) of the integrations that exist."""
    if not isinstance(payload, list):
        return [], [Problem(None, None, "Body must be a JSON array of integrations")]
    if not payload:
        return [], [Problem(None, None, "Body must contain at least one integration")]
    if len(payload) > max_items:
        return [], [Problem(None, None, f"At most {max_items} integrations per request")]
    items, problems, seen = [], [], set[str]()
    for index, raw in enumerate(payload):
        check = _Checker(index)
        item = _item(raw, check, stored, seen)
        problems.extend(check.problems)
        if item is not None and not check.problems:
            items.append(item)
    return items, problems


def _item(
    raw: Any, check: _Checker, stored: Mapping[str, Stored], seen: set[str]
) -> ValidItem | None:
    if not isinstance(raw, dict):
        check.add(None, "Each integration must be a JSON object")
        return None
    for key in sorted(set(raw) - ITEM_KEYS, key=str):
        check.add(str(key), "Unknown field")
    for key, value in raw.items():
        if key in ITEM_KEYS and has_nul(value):
            check.add(key, "Must not contain NUL characters")
    name = _name(raw.get("name"), check, seen)
    spec_type = _type(raw.get("type"), name, check, stored)
    spec = TYPES.get(spec_type or "")
    category = _category(raw.get("category"), spec, check)
    description = _optional_text(raw, "description", check)
    enabled = _optional_bool(raw, "enabled", check)
    plain, secrets = _configuration(raw.get("configuration"), spec, check)
    if spec is not None:
        stored_keys = stored.get(name, NOTHING_STORED)[1] if name else set()
        _required_keys(spec, {**plain, **secrets}, stored_keys, check)
    tags = _tags(raw.get("tags"), check)
    kept_apis = raw.get("apis") is None and stored.get(name or "", NOTHING_STORED)[2]
    apis = _apis(raw.get("apis"), name, None if kept_apis else category, check)
    if name is None or spec_type is None or category is None:
        return None
    return ValidItem(
        check.index, name, spec_type, category, description, enabled, plain, secrets, tags, apis
    )


def _name(value: Any, check: _Checker, seen: set[str]) -> str | None:
    if not isinstance(value, str):
        check.add("name", "Required, a string")
        return None
    if not NAME.fullmatch(value):
        check.add("name", "1 to 100 characters of letters, digits, '_', '-' or '.'")
        return None
    if value in seen:
        check.add("name", "Duplicate name in this batch")
        return None
    seen.add(value)
    return value


def _type(
    value: Any, name: str | None, check: _Checker, stored: Mapping[str, Stored]
) -> str | None:
    """The type, still returned when it would change an existing type (so that the rest of the
    item is checked against it too); the change itself is reported."""
    if not isinstance(value, str) or value not in TYPES:
        check.add("type", "Required, one of: " + ", ".join(sorted(TYPES)))
        return None
    existing = stored.get(name or "", NOTHING_STORED)[0] if name else None
    if existing is not None and existing != value:
        check.add("type", f"Cannot change the type of an existing integration (it is {existing})")
    return value


def _category(value: Any, spec: TypeSpec | None, check: _Checker) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in CATEGORIES):
        check.add("category", "One of: " + ", ".join(sorted(CATEGORIES)))
        return None
    if spec is None:
        return None
    if value is not None and value != spec.category:
        check.add("category", f"This type belongs to {spec.category}")
        return None
    return spec.category


def _optional_text(raw: dict[str, Any], key: str, check: _Checker) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        check.add(key, f"A string of at most {MAX_TEXT} characters")
        return None
    return value


def _optional_bool(raw: dict[str, Any], key: str, check: _Checker) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        check.add(key, "A boolean")
        return None
    return value


def _allowed_keys(spec: TypeSpec, config: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(required, allowed) configuration keys of a type, AWS connection modes included."""
    required, allowed = set(spec.required), set(spec.required) | set(spec.optional)
    if spec.aws and isinstance(config.get("connectionType"), str):
        more_required, more_optional = AWS_MODES.get(config["connectionType"], ((), ()))
        required |= set(more_required)
        allowed |= set(more_required) | set(more_optional)
    return required, allowed


def _configuration(
    value: Any, spec: TypeSpec | None, check: _Checker
) -> tuple[dict[str, Any], dict[str, str]]:
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        check.add("configuration", "An object")
        return {}, {}
    plain: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    allowed = _allowed_keys(spec, value)[1] if spec else set(value)
    for key, item in value.items():
        where = f"configuration.{key}"
        if key not in allowed:
            check.add(where, "Not a configuration key of this type")
        elif key in SECRET_KEYS:
            if isinstance(item, str) and item and len(item) <= MAX_VALUE:
                secrets[key] = item
            else:
                check.add(where, "A non-empty string (it is stored as a secret)")
        elif item == "":
            check.add(where, "Must not be empty")
        elif isinstance(item, bool | int | float) or (
            isinstance(item, str) and len(item) <= MAX_VALUE
        ):
            plain[key] = item
        else:
            check.add(where, "A string, number or boolean")
    aws_mode = plain.get("connectionType")
    if spec is not None and spec.aws and aws_mode is not None and aws_mode not in AWS_MODES:
        check.add("configuration.connectionType", "One of: " + ", ".join(sorted(AWS_MODES)))
    return plain, secrets


def _required_keys(
    spec: TypeSpec, given: dict[str, Any], stored_keys: set[str], check: _Checker
) -> None:
    required, _ = _allowed_keys(spec, given)
    for key in sorted(required - set(given) - stored_keys):
        check.add(f"configuration.{key}", "Required for this type")


def _tags(value: Any, check: _Checker) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        check.add("tags", f"A list of at most {MAX_TAGS} tags")
        return None
    tags = []
    for position, tag in enumerate(value):
        ok = isinstance(tag, dict) and set(tag) == {"key", "value"}
        if not ok or not all(isinstance(tag[k], str) and len(tag[k]) <= 200 for k in tag):
            check.add(f"tags[{position}]", 'An object {"key": string, "value": string}')
            continue
        tags.append({"key": tag["key"], "value": tag["value"]})
    return tags


def _apis(
    value: Any, name: str | None, category: str | None, check: _Checker
) -> list[dict[str, Any]] | None:
    """``category`` is None when no apis are needed (an update keeping its stored apis)."""
    if value is None or value == []:
        if category in NEEDS_APIS:
            check.add("apis", "At least one model, index or table is required for this type")
        return None if value is None else []
    if not isinstance(value, list) or len(value) > MAX_APIS:
        check.add("apis", f"A list of at most {MAX_APIS} entries")
        return None
    apis, seen = [], set()
    for position, entry in enumerate(value):
        api = _api(entry, f"apis[{position}]", name, check)
        if api is None:
            continue
        if api["api"] in seen:
            check.add(f"apis[{position}].api", "Duplicate api in this integration")
            continue
        seen.add(api["api"])
        apis.append(api)
    return apis


def _api(entry: Any, where: str, name: str | None, check: _Checker) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        check.add(where, "An object")
        return None
    before = len(check.problems)
    for key in sorted(set(entry) - API_KEYS, key=str):
        check.add(f"{where}.{key}", "Unknown field")
    if entry.get("integrationName") != name or name is None:
        check.add(f"{where}.integrationName", "Must equal the integration's name")
    for key in ("api", "description"):
        text = entry.get(key)
        if not isinstance(text, str) or not text or len(text) > (200 if key == "api" else MAX_TEXT):
            check.add(f"{where}.{key}", "Required, a non-empty string")
    if "enabled" in entry and not isinstance(entry["enabled"], bool):
        check.add(f"{where}.enabled", "A boolean")
    if len(check.problems) > before:
        return None
    return {
        "api": entry["api"],
        "description": entry["description"],
        "enabled": entry.get("enabled", True),
    }
