"""Schemathesis hooks for the legacy routes' OpenAPI document, loaded by ``schemathesis.toml``
(``st run`` from the repository root) and by tests/legacy_rest/test_schemathesis.py.

A bulk save (CONTRACT.md §5) has rules JSON Schema cannot state, so generated bodies break them by
chance and get a 400 the document cannot predict: an ``apis`` entry's ``integrationName`` equals
the enclosing ``name``, names are unique in a batch and ``api`` names in an integration, and an
existing integration keeps its ``type`` (while an update may leave out what is stored). Before a
bulk save is sent, every well-formed name becomes one no request has used yet, each well-formed
``integrationName`` follows its item's name and repeated ``api`` names get a suffix. Malformed
values are left as generated, so a case that breaks the schema still breaks it: schemathesis
checks the sent body against the schema again after this hook.
"""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import schemathesis

BULK_SAVE = "POST /api/integrations"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MAX_NAME, MAX_API = 100, 200
_RUN = uuid.uuid4().hex[:8]  # one run's names never meet another's on the same database
_SERIAL = itertools.count()


def _fresh(value: str, limit: int) -> str:
    suffix = f"-{_RUN}{next(_SERIAL):x}"
    return value[: limit - len(suffix)] + suffix


def _fix_apis(apis: Any, name: str) -> None:
    if not isinstance(apis, list):
        return
    seen: set[str] = set()
    for entry in apis:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("integrationName"), str):
            entry["integrationName"] = name
        api = entry.get("api")
        if isinstance(api, str) and 0 < len(api) <= MAX_API and "\x00" not in api:
            if api in seen:
                entry["api"] = api = _fresh(api, MAX_API)
            seen.add(api)


def unique_bulk_items(body: Any) -> None:
    """The bulk-save body, in place: fresh names, ``integrationName`` and unique ``api``s."""
    if not isinstance(body, list):
        return
    for item in body:
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        if isinstance(name, str) and NAME.fullmatch(name):
            item["name"] = name = _fresh(name, MAX_NAME)
            _fix_apis(item.get("apis"), name)


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
    if case.operation.label == BULK_SAVE:
        unique_bulk_items(case.body)
