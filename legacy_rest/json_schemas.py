"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the documented bodies. The route table
names one per route; the OpenAPI document is generated from the table, and the test suite checks
real responses against it, so a body and its schema cannot drift apart."""

from __future__ import annotations

from typing import Any

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
TOGGLE_BODY = obj(enabled=BOOLEAN)
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
INSTALL_BODY: Schema = {
    "type": "object",
    "properties": {
        "params": nullable(OBJECT),
        "secrets": nullable({"type": "object", "additionalProperties": STRING}),
    },
}
BULK_SAVE_BODY = array(OBJECT, description="Integrations, as reference 05 describes them.")
BULK_SAVED = obj(
    integrations=array(obj(id=UUID, name=STRING, type=STRING, category=STRING, created=BOOLEAN))
)


def empty_list(key: str) -> Schema:
    return obj(**{key: array({}, maxItems=0)})


# Error envelopes (reference 03)

PROBLEMS = array(obj(index={"type": ["integer", "null"]}, field=TEXT_OR_NULL, message=STRING))
FLAT_ERROR = {**obj(message=STRING, errors=PROBLEMS), "required": ["message"]}
STRING_ERROR = obj(error=STRING)
