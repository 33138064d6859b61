from __future__ import annotations

import httpx


async def test_anonymous_list_is_canonical(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.get("/api/integrations")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["integrations"]
    assert len(body["integrations"]) == 13


async def test_signed_in_list_is_bare_array(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations", headers=demo_headers)
    assert response.status_code == 200
    assert isinstance(response.json(), list)
