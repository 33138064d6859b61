"""Kept for test modules that still import from here: the helpers live in ``tests.support``."""

from __future__ import annotations

from tests.support.credentials import mint_key, sign_up, tenant_of
from tests.support.documents import (
    CSRF_BODY,
    CSRF_MESSAGE,
    GRAPHQL_TOO_LARGE,
    GRAPHQL_UNAVAILABLE,
    gql_error,
)
from tests.support.http import JSON, TEXT, assert_json, assert_text
from tests.support.sql import WriteLock, run_sql

__all__ = [
    "CSRF_BODY",
    "CSRF_MESSAGE",
    "GRAPHQL_TOO_LARGE",
    "GRAPHQL_UNAVAILABLE",
    "JSON",
    "TEXT",
    "WriteLock",
    "assert_json",
    "assert_text",
    "gql_error",
    "mint_key",
    "run_sql",
    "sign_up",
    "tenant_of",
]
