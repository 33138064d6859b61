"""GraphiQL is served by the gateway itself, with its assets in the package: compressed, kept
by browsers for a year (their URLs carry the package version), and the page opens on a Vendo
operation that runs."""

from __future__ import annotations

import gzip
import re
from importlib.resources import files
from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient

HTML = {"Accept": "text/html"}
STATIC = files("app") / "static" / "graphiql"
YEAR = "public, max-age=31536000, immutable"


async def test_graphiql_page_loads_assets_from_the_gateway(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert 'src="/graphql/static/graphiql.min.js?v=3.8.3"' in page
    for host in ("unpkg.com", "cdn.jsdelivr", "esm.sh", "googleapis"):
        assert host not in page
    assert "Welcome to GraphiQL" not in page


def example_query() -> str:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    match = re.search(r"const EXAMPLE_QUERY = `(.*?)`;", page, flags=re.DOTALL)
    assert match is not None
    return match[1].replace("\\`", "`")


async def test_graphiql_example_operation_runs_signed_in(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    text = example_query()
    assert text.startswith("# Vendo gateway. Run with Ctrl-Enter")
    result = await gql(text, headers=demo_headers)
    assert "errors" not in result, result
    assert result["data"]["viewer"] == {
        "email": "demo@vendo.local",
        "credential": "session",
        "workspace": {"slug": "demo"},
    }
    assert len(result["data"]["integrations"]["nodes"]) == 5


async def test_graphiql_asset_is_gzipped_and_kept_for_a_year(client: httpx.AsyncClient) -> None:
    url = "/graphql/static/graphiql.min.js?v=3.8.3"
    raw = (STATIC / "graphiql.min.js").read_bytes()
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == YEAR
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(body) < len(raw) // 4
    assert gzip.decompress(body) == raw
    etag = response.headers["etag"]
    assert etag.startswith('W/"')
    again = await client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["cache-control"] == YEAR
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == raw
    assert plain.headers["cache-control"] == YEAR


@pytest.mark.parametrize(
    ("asset", "media_type"),
    [
        ("graphiql.min.js", "text/javascript; charset=utf-8"),
        ("graphiql.min.css", "text/css; charset=utf-8"),
        ("react.production.min.js", "text/javascript; charset=utf-8"),
        ("react-dom.production.min.js", "text/javascript; charset=utf-8"),
        ("plugin-explorer.umd.js", "text/javascript; charset=utf-8"),
        ("graphql-ws.min.js", "text/javascript; charset=utf-8"),
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
