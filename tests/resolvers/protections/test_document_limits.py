"""The limits on a GraphQL document, each at its default and configured lower or higher: depth
(and the ``__schema`` bypasses), aliases, tokens, directives, cost, and the page-size cap of lists
(README "Security"; docs/decisions/0034)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.resolvers.protections.helpers import (
    ALIAS_NAMED_SCHEMA,
    COST_DEFAULT_PAGE,
    COST_FRAGMENTS,
    COST_LITERAL,
    COST_VARIABLE,
    DEPTH_8,
    DEPTH_9,
    DEPTH_9_DATA,
    DEPTH_11,
    FRAGMENT_ALIASES_15,
    FRAGMENT_ALIASES_16,
    FRAGMENT_NAMED_SCHEMA,
    INLINE_FRAGMENT_DEPTH_9,
    LIST_COST_11,
    LIST_COST_21,
    NESTED_FRAGMENT_ALIASES_8,
    NESTED_FRAGMENT_ALIASES_16,
    OPERATION_NAMED_SCHEMA,
    PAGE_LITERAL,
    PAGE_VARIABLE,
    TOKENS_1000,
    TOKENS_1001,
    aliases,
    aliases_data,
    column_of_last,
    cost_error,
    depth_error,
    directives,
    page_error,
    post,
    tokens_document,
)
from tests.support.documents import gql_error
from tests.support.http import assert_json

# --------------------------------------------------------------------------------------------
# Depth


async def test_depth_deepest_legitimate_selection_passes_at_default(
    client: httpx.AsyncClient, demo: None
) -> None:
    assert_json(await post(client, DEPTH_9), 200, {"data": DEPTH_9_DATA})


async def test_depth_readme_example_at_depth_8_passes_at_default(
    client: httpx.AsyncClient, demo: None
) -> None:
    required = [{"integration": {"usageTrend": None}}]
    data = {"tools": {"edges": [{"node": {"integrations": {"required": required}}}]}}
    assert_json(await post(client, DEPTH_8), 200, {"data": data})


async def test_depth_deepest_selection_signed_in_runs_to_the_leaves(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post("/graphql", json={"query": DEPTH_9}, headers=demo_headers)
    assert response.status_code == 200
    assert "errors" not in response.json()
    edge = response.json()["data"]["deployableTools"]["edges"][0]
    trend = edge["node"]["tool"]["integrations"]["required"][0]["integration"]["usageTrend"]
    assert len(trend["dailyTrend"]) == 30


async def test_depth_11_fails_at_default(client: httpx.AsyncClient) -> None:
    body = {
        "data": None,
        "errors": [
            {
                "message": "'anonymous' exceeds maximum operation depth of 10",
                "locations": [{"line": 1, "column": column_of_last(DEPTH_11, "b }")}],
                "extensions": {"code": "BAD_USER_INPUT"},
            },
            {
                "message": "Field 'date' must not have a selection since type 'Date!' has no "
                "subfields.",
                "locations": [{"line": 1, "column": column_of_last(DEPTH_11, "{ a {")}],
                "extensions": {"code": "BAD_USER_INPUT"},
            },
        ],
    }
    assert_json(await post(client, DEPTH_11), 200, body)


class TestDepthLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_depth": 8}

    async def test_depth_at_the_configured_limit_passes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await post(client, DEPTH_8)
        assert response.status_code == 200
        assert "errors" not in response.json()

    async def test_depth_past_the_configured_limit_fails(self, client: httpx.AsyncClient) -> None:
        assert_json(
            await post(client, DEPTH_9),
            200,
            depth_error(8, column_of_last(DEPTH_9, "date")),
        )

    async def test_depth_operation_named_schema_is_still_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        column = column_of_last(OPERATION_NAMED_SCHEMA, "date")
        assert_json(
            await post(client, OPERATION_NAMED_SCHEMA), 200, depth_error(8, column, "__schema")
        )

    async def test_depth_alias_named_schema_is_still_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        column = column_of_last(ALIAS_NAMED_SCHEMA, "date")
        assert_json(await post(client, ALIAS_NAMED_SCHEMA), 200, depth_error(8, column))

    async def test_depth_fragment_named_schema_is_still_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        column = column_of_last(FRAGMENT_NAMED_SCHEMA, "date")
        assert_json(await post(client, FRAGMENT_NAMED_SCHEMA), 200, depth_error(8, column))

    async def test_depth_inline_fragment_is_still_counted(self, client: httpx.AsyncClient) -> None:
        column = column_of_last(INLINE_FRAGMENT_DEPTH_9, "date")
        assert_json(await post(client, INLINE_FRAGMENT_DEPTH_9), 200, depth_error(8, column))


class TestDepthRaised:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_depth": 11}

    async def test_depth_11_is_not_refused_for_depth_when_raised(
        self, client: httpx.AsyncClient
    ) -> None:
        messages = [e["message"] for e in (await post(client, DEPTH_11)).json()["errors"]]
        assert not [m for m in messages if "depth" in m]
        assert messages == [
            "Field 'date' must not have a selection since type 'Date!' has no subfields."
        ]


# --------------------------------------------------------------------------------------------
# Aliases


async def test_aliases_15_pass_at_default(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, aliases(15)), 200, aliases_data(15))


async def test_aliases_16_fail_at_default(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, aliases(16)), 200, gql_error("16 aliases found. Allowed: 15"))


async def test_aliases_in_a_fragment_count_at_every_spread(client: httpx.AsyncClient) -> None:
    assert_json(
        await post(client, FRAGMENT_ALIASES_16), 200, gql_error("16 aliases found. Allowed: 15")
    )


async def test_aliases_in_nested_fragment_spreads_count_at_every_spread(
    client: httpx.AsyncClient,
) -> None:
    assert_json(
        await post(client, NESTED_FRAGMENT_ALIASES_16),
        200,
        gql_error("16 aliases found. Allowed: 15"),
    )


async def test_aliases_15_through_fragment_spreads_pass(client: httpx.AsyncClient) -> None:
    data = {"x1": "Query", "x2": "Query", "x3": "Query"}
    data |= {f"f{i}": "Query" for i in range(1, 5)}
    assert_json(await post(client, FRAGMENT_ALIASES_15), 200, {"data": data})


class TestAliasesLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_aliases": 3}

    async def test_aliases_at_the_configured_limit_pass(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, aliases(3)), 200, aliases_data(3))

    async def test_aliases_past_the_configured_limit_fail(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, aliases(4)), 200, gql_error("4 aliases found. Allowed: 3"))

    async def test_aliases_of_two_fragment_spreads_fail(self, client: httpx.AsyncClient) -> None:
        assert_json(
            await post(client, NESTED_FRAGMENT_ALIASES_8),
            200,
            gql_error("8 aliases found. Allowed: 3"),
        )


class TestAliasesRaised:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_aliases": 16}

    async def test_aliases_16_pass_when_raised(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, aliases(16)), 200, aliases_data(16))


# --------------------------------------------------------------------------------------------
# Tokens


async def test_tokens_1000_pass_at_default(client: httpx.AsyncClient, demo: None) -> None:
    response = await post(client, TOKENS_1000)
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.json()["data"]["tools"]["nodes"][0]["slug"] == "herald"


async def test_tokens_1001_fail_at_default(client: httpx.AsyncClient) -> None:
    body = {
        "data": None,
        "errors": [
            {
                "message": "Syntax Error: Document contains more than 1000 tokens. "
                "Parsing aborted.",
                "locations": [{"line": 1, "column": len(TOKENS_1001)}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
    assert_json(await post(client, TOKENS_1001), 200, body)


class TestTokensLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_tokens": 100}

    async def test_tokens_past_the_configured_limit_fail(self, client: httpx.AsyncClient) -> None:
        response = await post(client, tokens_document(88))
        assert response.json()["errors"][0]["message"] == (
            "Syntax Error: Document contains more than 100 tokens. Parsing aborted."
        )

    async def test_tokens_at_the_configured_limit_pass(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await post(client, tokens_document(87))
        assert "errors" not in response.json()


# --------------------------------------------------------------------------------------------
# Directives


async def test_directives_50_pass_at_default(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, directives(50)), 200, {"data": {"__typename": "Query"}})


async def test_directives_51_fail_at_default(client: httpx.AsyncClient) -> None:
    assert_json(
        await post(client, directives(51)), 200, gql_error("More than 50 directives. Allowed: 50")
    )


class TestDirectivesLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_directives": 2}

    async def test_directives_past_the_configured_limit_fail(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_json(
            await post(client, directives(3)), 200, gql_error("More than 2 directives. Allowed: 2")
        )

    async def test_directives_at_the_configured_limit_pass(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, directives(2)), 200, {"data": {"__typename": "Query"}})


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
