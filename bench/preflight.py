"""Preflight: every scenario once before any load — the first request warms the caches, the
next ones are timed (the runner sizes connections and durations from that time) — and the
baselines checked to answer what their GraphQL scenarios answer."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx
import orjson

from bench.scenarios import (
    S_ANON_LIST,
    S_CACHED_DETAIL,
    S_GQL_DETAIL,
    S_GQL_LIST,
    S_GQL_TOOLS,
    S_GQL_TYPENAME,
    S_GQL_VIEWER,
    S_RAW_DETAIL,
    S_RAW_LIST,
    S_RAW_TOOLS,
    S_RAW_VIEWER,
    S_STATIC,
    S_STATIC_DETAIL,
    S_STATIC_TYPENAME,
    S_STOCK_DETAIL,
    Scenario,
)


def preflight(
    scenarios: list[Scenario], urls: dict[str, str], attempts: int = 4
) -> dict[str, dict[str, Any]]:
    """Per scenario: the last answer's status, size and body, the median time of the timed
    attempts, and its problem (None when it answered well)."""
    with httpx.Client(timeout=120) as client:
        return {
            scenario.name: check(client, scenario, urls[scenario.server] + scenario.path, attempts)
            for scenario in scenarios
        }


def check(client: httpx.Client, scenario: Scenario, url: str, attempts: int) -> dict[str, Any]:
    timings = []
    response = None
    problem = None
    for attempt in range(attempts):  # the first one warms caches; the others are timed
        started = time.perf_counter()
        try:
            response = client.request(
                scenario.method,
                url,
                headers=scenario.headers,
                content=scenario.body2 if attempt % 2 and scenario.body2 else scenario.body,
            )
        except httpx.HTTPError as error:
            problem = f"request failed: {error!r}"
            break
        if attempt:
            timings.append(time.perf_counter() - started)
    if response is not None and problem is None:
        problem = answer_problem(scenario, response)
    return {
        "status": response.status_code if response is not None else None,
        "bytes": len(response.content) if response is not None else None,
        "ms": round(statistics.median(timings) * 1000, 2) if timings else None,
        "problem": problem,
        "body": response.content if response is not None else b"",
    }


def answer_problem(scenario: Scenario, response: httpx.Response) -> str | None:
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body = response.json()
    except ValueError:
        return "not JSON"
    if scenario.graphql:
        if body.get("errors"):
            return f"GraphQL errors: {json.dumps(body['errors'])[:300]}"
        if not body.get("data"):
            return "no data"
    elif body in ({}, [], None):
        return "empty body"
    return None


def compare_baselines(checks: dict[str, dict[str, Any]]) -> list[str]:
    """Mark whether each raw-SQL baseline answered the JSON of its GraphQL scenario, and the
    static bytes the anonymous list's body; the mismatches of JSON, as warnings."""
    warnings = []
    for graphql, raw in (
        (S_GQL_LIST, S_RAW_LIST),
        (S_GQL_TOOLS, S_RAW_TOOLS),
        (S_GQL_DETAIL, S_RAW_DETAIL),
        (S_GQL_DETAIL, S_STOCK_DETAIL),
        (S_GQL_VIEWER, S_RAW_VIEWER),
        (S_GQL_TYPENAME, S_STATIC_TYPENAME),
    ):
        if graphql in checks and raw in checks:
            try:
                same = orjson.loads(checks[graphql]["body"]) == orjson.loads(checks[raw]["body"])
            except orjson.JSONDecodeError:
                same = False
            checks[raw]["same_json_as_graphql"] = same
            if not same:
                warnings.append(f"{raw} does not answer the same JSON as {graphql}")
    for route, bytes_ in ((S_ANON_LIST, S_STATIC), (S_CACHED_DETAIL, S_STATIC_DETAIL)):
        anon = checks.get(route)
        static = checks.get(bytes_)
        if anon and static:
            static["same_bytes_as_route"] = anon["body"] == static["body"]
            if not static["same_bytes_as_route"]:
                warnings.append(f"{bytes_} are not the bytes of {route}")
    return warnings
