"""The cost limit and the page-size cap of GraphQL lists (README "Security";
docs/decisions/0034)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.resolvers.protections.helpers import (
    COST_DEFAULT_PAGE,
    COST_FRAGMENTS,
    COST_LITERAL,
    COST_VARIABLE,
    LIST_COST_11,
    LIST_COST_21,
    PAGE_LITERAL,
    PAGE_VARIABLE,
    cost_error,
    page_error,
    post,
)
from tests.support.http import assert_json

# --------------------------------------------------------------------------------------------
# Cost


async def test_cost_5000_with_literal_first_passes(client: httpx.AsyncClient, demo: None) -> None:
    response = await post(client, COST_LITERAL % 98)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert len(body["data"]["integrations"]["nodes"]) == 13
    assert body["data"]["tools"] == {"totalCount": 6}


async def test_cost_5001_with_literal_first_fails(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, COST_LITERAL % 99), 200, cost_error(5001))


async def test_cost_5000_with_variable_first_passes(client: httpx.AsyncClient, demo: None) -> None:
    response = await post(client, COST_VARIABLE, first=98)
    assert "errors" not in response.json()


async def test_cost_5001_with_variable_first_fails(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, COST_VARIABLE, first=99), 200, cost_error(5001))


async def test_cost_absent_first_counts_the_default_page(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, COST_DEFAULT_PAGE), 200, cost_error(5002))


async def test_cost_fragment_counts_at_each_spread(client: httpx.AsyncClient, demo: None) -> None:
    assert "errors" not in (await post(client, COST_FRAGMENTS, first=98)).json()
    assert_json(await post(client, COST_FRAGMENTS, first=99), 200, cost_error(5001))


class TestCostLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_cost": 11}

    async def test_cost_of_a_plain_list_at_the_limit_passes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await post(client, LIST_COST_11)
        assert "errors" not in response.json()

    async def test_cost_of_a_plain_list_multiplies_by_ten(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, LIST_COST_21), 200, cost_error(21, 11))


class TestCostRaised:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_cost": 6000}

    async def test_cost_5001_passes_when_raised(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert "errors" not in (await post(client, COST_LITERAL % 99)).json()


# --------------------------------------------------------------------------------------------
# Page size


async def test_page_size_100_passes(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(
        await post(client, PAGE_LITERAL % 100), 200, {"data": {"integrations": {"totalCount": 13}}}
    )


async def test_page_size_101_is_bad_user_input(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(
        await post(client, PAGE_LITERAL % 101), 200, page_error("`first` must not exceed 100")
    )


async def test_page_size_101_by_variable_is_bad_user_input(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await post(client, PAGE_VARIABLE, first=101)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "`first` must not exceed 100"
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


class TestPageSizeLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_page_size": 5}

    async def test_page_size_past_the_configured_cap_fails(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert_json(
            await post(client, PAGE_LITERAL % 6), 200, page_error("`first` must not exceed 5")
        )

    async def test_page_size_at_the_configured_cap_passes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert_json(
            await post(client, PAGE_LITERAL % 5),
            200,
            {"data": {"integrations": {"totalCount": 13}}},
        )
