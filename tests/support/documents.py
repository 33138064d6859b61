"""GraphQL documents more than one test module sends (a module's own documents stay in it), and
the raised limits under which the gateway's own operations run on /graphql."""

from __future__ import annotations

from typing import Any

TOGGLE_MUTATION = """
mutation Toggle($slug: String!, $enabled: Boolean!) {
  setIntegrationEnabled(slug: $slug, enabled: $enabled) { enabled provisioningError }
}
"""

# The smallest write there is: for limits, CSRF and fault tests that only need "a mutation".
ENABLE_SLACK = 'mutation { setIntegrationEnabled(slug: "slack", enabled: true) { enabled } }'

REGENERATE_MUTATION = """
mutation Regenerate($slug: String!) {
  regenerateIntegrationKey(slug: $slug) { key }
}
"""

INSTALL_MUTATION = """
mutation Install($account: String!, $id: String!, $params: JSON, $secrets: JSON) {
  installIntegration(account: $account, id: $id, params: $params, secrets: $secrets) {
    integration { provider }
    installation { status installedAt params secretNames }
  }
}
"""

SAVE_MUTATION = """
mutation Save($integrations: JSON!) {
  saveIntegrations(integrations: $integrations) {
    integrations { id name type category created }
  }
}
"""

VIEWER_QUERY = "query Me { viewer { email isStaff credential workspace { slug } } }"

CSRF_MESSAGE = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please "
    "either specify a 'content-type' header (with a type that is not one of "
    "application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty "
    "value for one of the following headers: x-apollo-operation-name, apollo-require-preflight"
)
CSRF_BODY = {"errors": [{"message": CSRF_MESSAGE, "extensions": {"code": "BAD_USER_INPUT"}}]}
GRAPHQL_UNAVAILABLE = {
    "errors": [{"message": "Service unavailable", "extensions": {"code": "UNAVAILABLE"}}]
}
GRAPHQL_TOO_LARGE = {
    "errors": [{"message": "Request body too large", "extensions": {"code": "BAD_USER_INPUT"}}]
}


def gql_error(message: str, code: str = "BAD_USER_INPUT", **extra: Any) -> dict[str, Any]:
    """``{"data": null, "errors": [one error]}`` without locations (limit errors carry none)."""
    return {"data": None, "errors": [{"message": message, **extra, "extensions": {"code": code}}]}


def codes(result: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each error of a GraphQL result."""
    return [error["extensions"]["code"] for error in result.get("errors", [])]


# Settings that let the gateway's own operations (which exceed the default limits: they run
# trusted on the legacy routes) run on /graphql too.
RAISED_LIMITS: dict[str, object] = {
    "graphql_max_cost": 10**9,
    "graphql_max_depth": 50,
    "graphql_max_aliases": 1000,
    "graphql_max_tokens": 100_000,
    "graphql_max_page_size": 1000,
}
