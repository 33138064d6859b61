"""GraphiQL is served by the gateway itself, with its assets in the package."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

HTML = {"Accept": "text/html"}


async def test_graphiql_page_loads_assets_from_the_gateway(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert 'src="/graphql/static/graphiql.min.js"' in page
    for host in ("unpkg.com", "cdn.jsdelivr", "esm.sh", "googleapis"):
        assert host not in page


@pytest.mark.parametrize(
    ("asset", "media_type"),
    [
        ("graphiql.min.js", "text/javascript; charset=utf-8"),
        ("graphiql.min.css", "text/css; charset=utf-8"),
        ("react.production.min.js", "text/javascript; charset=utf-8"),
        ("react-dom.production.min.js", "text/javascript; charset=utf-8"),
        ("plugin-explorer.umd.js", "text/javascript; charset=utf-8"),
    ],
)
async def test_graphiql_asset_is_served(
    client: httpx.AsyncClient, asset: str, media_type: str
) -> None:
    response = await client.get(f"/graphql/static/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert len(response.content) > 1000


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"env": "production"}

    async def test_graphiql_is_off_in_production(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 404
        assert (await client.get("/graphql/static/graphiql.min.js")).status_code == 404


class TestForcedOn:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"env": "production", "graphiql": True}

    async def test_graphiql_can_be_forced_on_in_production(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 200
        assert (await client.get("/graphql/static/graphiql.min.js")).status_code == 200
