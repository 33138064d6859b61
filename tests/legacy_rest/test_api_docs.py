"""The REST explorer at /api/docs: Swagger UI over /api/openapi.json, served from the package
(no other host), its assets compressed and kept for a year; on in production too, as the
OpenAPI document is (docs/decisions/0111-rest-explorer.md). In a browser:
tests/test_graphiql_browser.py."""

from __future__ import annotations

import gzip
from importlib.resources import files
from typing import Any

import httpx
import pytest

STATIC = files("app") / "static" / "swagger-ui"
YEAR = "public, max-age=31536000, immutable"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")


async def test_api_docs_page_loads_swagger_ui_from_the_gateway(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert 'src="/api/docs/static/swagger-ui-bundle.js?v=5.35.0"' in page
    assert 'href="/api/docs/static/swagger-ui.css?v=5.35.0"' in page
    assert 'url: "/api/openapi.json"' in page
    assert "validatorUrl: null" in page
    assert "https://" not in page


@pytest.mark.parametrize("asset", ASSETS)
async def test_api_docs_asset_is_gzipped_and_kept_for_a_year(
    client: httpx.AsyncClient, asset: str
) -> None:
    url = f"/api/docs/static/{asset}?v=5.35.0"
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == YEAR
    assert gzip.decompress(body) == (STATIC / asset).read_bytes()


async def test_api_docs_unknown_asset_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/docs/static/nope.js")
    assert response.status_code == 404


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"env": "production"}

    async def test_api_docs_is_served_in_production(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/docs")).status_code == 200
        asset = await client.get("/api/docs/static/swagger-ui.css?v=5.35.0")
        assert asset.status_code == 200
