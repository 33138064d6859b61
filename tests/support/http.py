"""Exact-answer assertions: status, content type, body (key order and JSON types included),
compact encoding, and any header a test names."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

import httpx

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


def assert_json(
    response: httpx.Response,
    status: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    unordered: Collection[str] = (),
) -> None:
    """Exact status, ``application/json``, exact body with every object's keys in order and every
    value of its JSON type (``1`` is not ``1.0`` nor ``true``), compact encoding, and each header
    in ``headers`` exactly. ``unordered`` names keys whose values' own key order is not compared
    (values kept as a database stored them, which PostgreSQL's JSONB reorders)."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == JSON, response.headers
    assert response.json() == body, response.text[:2000]
    found = json.dumps(_key_order_only(response.json(), unordered))
    assert found == json.dumps(_key_order_only(body, unordered)), response.text[:2000]
    compact = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert response.content == compact.encode()
    assert_headers(response, headers)


def assert_text(
    response: httpx.Response, status: int, body: str, *, headers: Mapping[str, str] | None = None
) -> None:
    """Exact status, ``text/plain; charset=utf-8``, exact text, each header in ``headers``."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == TEXT, response.headers
    assert response.text == body
    assert_headers(response, headers)


def assert_headers(response: httpx.Response, headers: Mapping[str, str] | None) -> None:
    for name, value in (headers or {}).items():
        assert response.headers.get(name) == value, (name, response.headers)


def _key_order_only(value: Any, unordered: Collection[str]) -> Any:
    """``value`` with the objects under ``unordered`` keys sorted, the rest as it is."""
    if isinstance(value, dict):
        return {
            key: _sorted(item) if key in unordered else _key_order_only(item, unordered)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_key_order_only(item, unordered) for item in value]
    return value


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def assert_same_bytes(first: httpx.Response, second: httpx.Response) -> None:
    """Same status, same headers in the same order, same body."""
    assert first.status_code == second.status_code, (first.text, second.text)
    assert first.headers.multi_items() == second.headers.multi_items()
    assert first.content == second.content
