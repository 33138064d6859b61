"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the documented bodies. The route table
names one per route; the OpenAPI document is generated from the table, and the test suite checks
real responses against it, so a body and its schema cannot drift apart."""

from __future__ import annotations

from typing import Any

from resolvers.inputs import MAX_JSON_DEPTH
from resolvers.integrations import bulk

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
TEXT_OR_NULL: Schema = {"type": ["string", "null"]}
BOOLEAN: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
UUID: Schema = {"type": "string", "format": "uuid"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
STRINGS: Schema = {"type": "array", "items": STRING}
OBJECT: Schema = {"type": "object"}
# What the routes that store client-given JSON refuse in every string: a NUL character
# (PostgreSQL cannot store one).
NO_NUL = "^[^\\u0000]*$"


def text(max_length: int | None = None, *, min_length: int = 0) -> Schema:
    """A string without NUL characters."""
    found: Schema = {"type": "string", "pattern": NO_NUL}
    if min_length:
        found["minLength"] = min_length
    if max_length is not None:
        found["maxLength"] = max_length
    return found


def obj(**properties: Schema) -> Schema:
    """A closed object whose properties are all required."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def array(items: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": items, **more}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


# Integrations (docs/CONTRACT.md §1)

CANONICAL_INTEGRATION = obj(
    provider=STRING,
    name=STRING,
    description=STRING,
    category=STRING,
    default_profile=STRING,
    supported_profiles=STRINGS,
    logo_url=TEXT_OR_NULL,
    icon_name=TEXT_OR_NULL,
    docs_url=TEXT_OR_NULL,
    env_bootstrap=nullable(OBJECT),
)
_ROW = {
    "id": UUID,
    "provider": STRING,
    "name": STRING,
    "description": STRING,
    "category": STRING,
    "type": TEXT_OR_NULL,
    "enabled": BOOLEAN,
    "default_profile": STRING,
    "supported_profiles": STRINGS,
    "logo_url": TEXT_OR_NULL,
    "icon_name": TEXT_OR_NULL,
    "docs_url": TEXT_OR_NULL,
    "env_bootstrap": nullable(OBJECT),
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}
INTEGRATION_LIST = {
    "oneOf": [
        obj(integrations=array(CANONICAL_INTEGRATION)),
        array(
            obj(
                **_ROW,
                tenantEnabled=BOOLEAN,
                provisioned=BOOLEAN,
                usageThisMonth=INTEGER,
                costThisMonth=INTEGER,
            )
        ),
    ]
}
INTEGRATION_DETAIL = {"oneOf": [CANONICAL_INTEGRATION, obj(**_ROW, tenantEnabled=BOOLEAN)]}
# Keys beside ``enabled`` are ignored.
TOGGLE_BODY: Schema = {
    "type": "object",
    "properties": {"enabled": BOOLEAN},
    "required": ["enabled"],
}
TOGGLE = {**obj(enabled=BOOLEAN, error=STRING), "required": ["enabled"]}
REGENERATED = obj(key=STRING)
USAGE = obj(
    provider=nullable(obj(source=STRING)),
    dailyTrend=array(
        obj(date={"type": "string", "format": "date"}, events=INTEGER, cost=INTEGER),
        minItems=30,
        maxItems=30,
    ),
    spend_daily_usd=NUMBER,
    spend_weekly_usd=NUMBER,
    spend_monthly_usd=NUMBER,
)

# Tools and pricing (docs/CONTRACT.md §2)

TOOL_ROW = {
    "id": UUID,
    "slug": STRING,
    "name": STRING,
    "description": STRING,
    "category": STRING,
    "enabled": BOOLEAN,
    "marketing": OBJECT,
    "surface_all_connections": BOOLEAN,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}
_SECTION = {
    "oneOf": [
        obj(type={"const": "integration"}, providers=STRINGS),
        obj(type={"const": "inputs"}, keys=STRINGS),
        obj(type={"const": "notice"}, body=STRING),
    ]
}
WIZARD_LAYOUT = nullable(
    obj(
        version=INTEGER,
        subSteps=array(obj(id=STRING, title=STRING, sections=array(_SECTION))),
    )
)
RELEASE = obj(
    version=STRING,
    deploy_ready=BOOLEAN,
    requires=obj(required=STRINGS, optional=STRINGS),
    wizard_inputs=array(OBJECT),
    wizard_layout=WIZARD_LAYOUT,
    auth_mode=TEXT_OR_NULL,
    source_repo=TEXT_OR_NULL,
    icon_url=TEXT_OR_NULL,
)
TOOLS = obj(tools=array(obj(**TOOL_ROW)))
TOOL_DETAIL = obj(tool=obj(**TOOL_ROW, release=nullable(RELEASE)))
DEPLOYABLE = obj(
    tools=array(
        obj(
            toolSlug=STRING,
            toolName=STRING,
            description=STRING,
            iconUrl=TEXT_OR_NULL,
            authMode=TEXT_OR_NULL,
            sourceRepo=TEXT_OR_NULL,
            version=STRING,
            wizardInputs=array(OBJECT),
            wizardLayout=WIZARD_LAYOUT,
        )
    )
)
_TOOL_INTEGRATION = obj(
    integrationId=UUID,
    provider=STRING,
    name=STRING,
    description=STRING,
    iconName=TEXT_OR_NULL,
    logoUrl=TEXT_OR_NULL,
    category=STRING,
    defaultProfile=STRING,
    supportedProfiles=STRINGS,
    alreadyEnabled=BOOLEAN,
)
TOOL_INTEGRATIONS = obj(required=array(_TOOL_INTEGRATION), optional=array(_TOOL_INTEGRATION))
USAGE_FRAMING = obj(amounts=array(obj(usd=INTEGER, label=STRING, cold_start=BOOLEAN)))
PRICING_MODELS = obj(
    models=array(
        obj(
            id=STRING,
            name=STRING,
            context_length={"type": ["integer", "null"]},
            pricing=obj(
                prompt_per_token=NUMBER,
                completion_per_token=NUMBER,
                prompt_per_million=NUMBER,
                completion_per_million=NUMBER,
            ),
        )
    ),
    cached=BOOLEAN,
)
PRICING_INTEGRATIONS = obj(integrations=array(obj(slug=STRING, name=STRING, category=STRING)))
PUBLIC_PRICING = obj(
    slug=STRING,
    name=STRING,
    category=STRING,
    description=STRING,
    rates=array(obj(key=STRING, label=STRING, unit=STRING, price_micros=INTEGER, price_usd=NUMBER)),
)

# Account integrations (docs/CONTRACT.md §4) and the bulk save (§5)

ACCOUNT_INTEGRATION = obj(
    id=UUID,
    name=STRING,
    display_name=STRING,
    description=STRING,
    category=STRING,
    logo_url=TEXT_OR_NULL,
    docs_url=TEXT_OR_NULL,
    status={"enum": ["available", "installed"]},
    installed_at={"anyOf": [TIMESTAMP, {"type": "null"}]},
    params=OBJECT,
    secrets=STRINGS,
)
ACCOUNT_INTEGRATIONS = obj(
    integrations=array(ACCOUNT_INTEGRATION),
    counts={"type": "object", "additionalProperties": INTEGER},
    total=INTEGER,
)


# Keys and apps (docs/CONTRACT.md §3.11): the runtime in snake_case, the dashboard in camelCase

NULLABLE_UUID: Schema = {"type": ["string", "null"], "format": "uuid"}
NULLABLE_TIMESTAMP: Schema = {"type": ["string", "null"], "format": "date-time"}
_BOUND = {
    "id": UUID,
    "provider": STRING,
    "profile": STRING,
    "active": BOOLEAN,
    "label": TEXT_OR_NULL,
}
DEPLOYMENT_CONNECTIONS = obj(app_id=UUID, connections=array(obj(**_BOUND, bound_at=TIMESTAMP)))
AUTH_USER = obj(id=UUID, email=STRING, isStaff=BOOLEAN)
AUTH_WORKSPACE = obj(id=UUID, slug=STRING, name=STRING)
AUTH_ME = {
    "oneOf": [
        obj(authenticated={"const": True}, user=AUTH_USER, workspace=nullable(AUTH_WORKSPACE)),
        obj(authenticated={"const": False}, user={"type": "null"}, workspace={"type": "null"}),
    ]
}
TENANT_ME = obj(id=UUID, slug=STRING, name=STRING, isProduction=BOOLEAN, createdAt=TIMESTAMP)
APPS = obj(
    apps=array(
        obj(
            id=UUID,
            name=STRING,
            createdAt=TIMESTAMP,
            tool=obj(slug=STRING, name=STRING),
            connections=array(obj(**_BOUND, boundAt=TIMESTAMP)),
        )
    )
)
_KEY = {
    "id": UUID,
    "kind": {"enum": ["app", "connection"]},
    "prefix": STRING,
    "appId": NULLABLE_UUID,
    "connectionId": NULLABLE_UUID,
    "createdAt": TIMESTAMP,
    "expiresAt": NULLABLE_TIMESTAMP,
    "revokedAt": NULLABLE_TIMESTAMP,
}
API_KEY = obj(**_KEY)
API_KEYS = obj(keys=array(API_KEY))
MINTED_KEY = obj(**_KEY, key={"type": "string", "pattern": "^vendo_sk_"})


# Any JSON value without a NUL character in a string or a key: a named component, as it refers
# to itself.
JSON_VALUE: Schema = {"$ref": "#/components/schemas/JsonValue"}
COMPONENTS: dict[str, Schema] = {
    "JsonValue": {
        "anyOf": [
            text(),
            {"type": ["number", "boolean", "null"]},
            {"type": "array", "items": JSON_VALUE},
            {"type": "object", "propertyNames": text(), "additionalProperties": JSON_VALUE},
        ]
    }
}
# CONTRACT.md §4: an empty body (or null) installs without params; server-set fields are ignored.
INSTALL_BODY: Schema = {
    "type": ["object", "null"],
    "properties": {
        "params": {
            "anyOf": [
                {"type": "object", "propertyNames": text(), "additionalProperties": JSON_VALUE},
                {"type": "null"},
            ],
            "description": f"Stored as given (at most {MAX_JSON_DEPTH} levels deep); absent or "
            "null: kept.",
        },
        "secrets": {
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": text(),
                    "additionalProperties": text(min_length=1),
                },
                {"type": "null"},
            ],
            "description": "Encrypted and merged by name over the stored ones.",
        },
    },
}
# CONTRACT.md §5: an item's schema per type, built from the validator's own table
# (resolvers/integrations/bulk.py), so that the two cannot drift apart.

NAME: Schema = {"type": "string", "pattern": f"^{bulk.NAME.pattern}$"}
_PLAIN_VALUE: Schema = {
    "anyOf": [text(bulk.MAX_VALUE, min_length=1), {"type": ["number", "boolean"]}]
}
_SECRET_VALUE = text(bulk.MAX_VALUE, min_length=1)
TAGS: Schema = {
    "type": ["array", "null"],
    "maxItems": bulk.MAX_TAGS,
    "items": obj(key=text(200), value=text(200)),
}
API_ENTRY: Schema = {
    **obj(
        integrationName={**text(), "description": "The enclosing integration's `name`."},
        api=text(200, min_length=1),
        description=text(bulk.MAX_TEXT, min_length=1),
        enabled=BOOLEAN,
    ),
    "required": ["integrationName", "api", "description"],
}


def _configuration(required: tuple[str, ...], optional: tuple[str, ...]) -> Schema:
    keys = dict.fromkeys((*required, *optional))
    properties = {key: _SECRET_VALUE if key in bulk.SECRET_KEYS else _PLAIN_VALUE for key in keys}
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _aws_configuration(spec: bulk.TypeSpec) -> Schema:
    """``connectionType`` picks the keys that come with it."""
    modes = []
    for mode, (more_required, more_optional) in bulk.AWS_MODES.items():
        schema = _configuration((*spec.required, *more_required), (*spec.optional, *more_optional))
        schema["properties"]["connectionType"] = {"const": mode}
        modes.append(schema)
    return {"oneOf": modes}


def _by_type(kind: str, spec: bulk.TypeSpec) -> Schema:
    """What one type adds to an item: its category, its configuration keys, whether it needs
    apis (AI model, vector DB and relational DB types: at least one)."""
    needs_apis = spec.category in bulk.NEEDS_APIS
    configuration = (
        _aws_configuration(spec) if spec.aws else _configuration(spec.required, spec.optional)
    )
    properties: Schema = {
        "type": {"const": kind},
        "category": {"enum": [spec.category, None]},
        "configuration": configuration,
    }
    if needs_apis:
        properties["apis"] = {"type": "array", "minItems": 1}
    return {
        "title": kind,
        "properties": properties,
        "required": ["type", "configuration", *(["apis"] if needs_apis else [])],
    }


BULK_ITEM: Schema = {
    "type": "object",
    "properties": {
        "name": NAME,
        "type": {"enum": list(bulk.TYPES)},
        "category": {"enum": [*sorted(bulk.CATEGORIES), None]},
        "description": {"type": ["string", "null"], "pattern": NO_NUL, "maxLength": bulk.MAX_TEXT},
        "enabled": {"type": ["boolean", "null"]},
        "configuration": OBJECT,
        "tags": TAGS,
        "apis": {"type": ["array", "null"], "maxItems": bulk.MAX_APIS, "items": API_ENTRY},
    },
    "required": ["name", "type", "configuration"],
    "additionalProperties": False,
    "oneOf": [_by_type(kind, spec) for kind, spec in bulk.TYPES.items()],
}
BULK_SAVE_BODY: Schema = {
    "type": "array",
    "minItems": 1,
    "items": BULK_ITEM,
    "description": "Integrations, as the contract describes them: all saved, or none. Not "
    "expressible here, and answered 400 too: names repeated in the batch, an `api` repeated in "
    "an integration, an `integrationName` other than the enclosing `name`, a change of an "
    "existing integration's `type`. An update may leave out configuration keys already stored, "
    "and `apis` when some are stored.",
}
BULK_SAVED = obj(
    integrations=array(obj(id=UUID, name=STRING, type=STRING, category=STRING, created=BOOLEAN))
)


def empty_list(key: str) -> Schema:
    return obj(**{key: array({}, maxItems=0)})


# The balance routes (CONTRACT.md §3.10): the same figures in USD (two decimals) or micros

USD: Schema = {"type": "number", "description": "USD rounded to the cent, half away from zero"}


def _balance(unit: str, number: Schema) -> Schema:
    figures = ("balance", "credits", "spent", "spent_this_month")
    return obj(tenant_id=UUID, **{f"{name}_{unit}": number for name in figures}, as_of=TIMESTAMP)


BALANCE_USD = _balance("usd", USD)
BALANCE_MICROS = _balance("micros", INTEGER)


# Parameters beside the path's: (where, name) → the rest of the OpenAPI parameter object

ACCOUNT_ID: Schema = {"type": "string", "minLength": 1, "pattern": "[!-~]"}
PARAMETERS: dict[tuple[str, str], dict[str, Any]] = {
    ("header", "X-Account-ID"): {
        "required": True,
        "schema": ACCOUNT_ID,
        "description": "The account (workspace) acted for: its id or its slug.",
    },
    # An empty value is no filter.
    ("query", "status"): {
        "schema": {"enum": ["available", "installed"]},
        "allowEmptyValue": True,
        "description": "Install status to filter by.",
    },
    ("query", "category"): {"allowEmptyValue": True, "description": "Category to filter by."},
    ("query", "appId"): {"description": "An app of the workspace: alreadyEnabled by its bindings."},
    ("path", "id"): {"description": "The integration's UUID or its snake_case name."},
    ("query", "tenant_id"): {
        "description": "The workspace the caller expects (its id or slug); any other answers 401."
    },
    ("path", "connectionId"): {
        "schema": UUID,
        "description": "One of the workspace's connections (its UUID; any other: 404).",
    },
    ("path", "keyId"): {
        "schema": UUID,
        "description": "One of the workspace's keys (its UUID; any other: 404).",
    },
}


# Error envelopes (CONTRACT.md §3)

PROBLEMS = array(obj(index={"type": ["integer", "null"]}, field=TEXT_OR_NULL, message=STRING))
FLAT_ERROR = {**obj(message=STRING, errors=PROBLEMS), "required": ["message"]}
STRING_ERROR = obj(error=STRING)
NESTED_ERROR = obj(error=obj(message=STRING))
