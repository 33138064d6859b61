"""The router remembers which route answered a path (app/web/routing.py): a path seen before is
matched against that route alone, and every answer — a route's, a 405, a 404, a slash redirect —
is the same on every request as on the first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from app.web.routing import RememberingRouter


@pytest.fixture
def matched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of each route whose ``matches`` ran, in order."""
    seen: list[str] = []
    for kind in (Route, Mount):
        original = kind.matches

        def counted(self: Any, scope: Any, original: Any = original) -> Any:
            seen.append(self.path)
            return original(self, scope)

        monkeypatch.setattr(kind, "matches", counted)
    return seen


async def test_the_router_is_the_remembering_one(app: Starlette) -> None:
    assert isinstance(app.router, RememberingRouter)


async def test_a_path_seen_before_is_matched_against_its_route_alone(
    client: httpx.AsyncClient, matched: list[str]
) -> None:
    first = await client.get("/api/user/me")
    tried_first = len(matched)
    matched.clear()
    second = await client.get("/api/user/me")
    assert tried_first > 20  # the table's order: /api/user/me comes late
    assert matched == ["/api/user/me"]
    assert (second.status_code, second.content) == (first.status_code, first.content)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/integrations/openrouter", 200),
        ("PUT", "/api/integrations/openrouter", 405),  # a partial match: the method
        ("POST", "/api/integrations/openrouter/usage", 405),
        ("GET", "/api/nothing-here", 404),
        ("GET", "/healthz/", 307),  # Starlette's slash redirect
    ],
)
async def test_every_answer_is_the_first_one(
    client: httpx.AsyncClient, demo: None, method: str, path: str, status: int
) -> None:
    answers = [await client.request(method, path) for _ in range(3)]
    assert [a.status_code for a in answers] == [status] * 3
    first = answers[0]
    for again in answers[1:]:
        assert again.content == first.content
        assert again.headers.get("allow") == first.headers.get("allow")
        assert again.headers.get("location") == first.headers.get("location")
