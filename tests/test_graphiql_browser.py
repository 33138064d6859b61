"""GraphiQL in a real browser: headless Chromium (Debian's) opens /graphql on a gateway served by
uvicorn on 127.0.0.1, waits for the editor, runs a signed-in query and reads the result from the
page — with every request to any other host refused and recorded."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlparse

import pytest

from app.settings import Settings
from tests.support.servers import demo_credentials, gateway, seeded_database

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The page's `q` parameter (a shared link) prefills the editor; "query" in it is fine.
QUERY = (
    "query Mine { viewer { email } integrations(first: 2) { nodes { provider tenantEnabled } } }"
)
EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = (
    "() => { const cm = document.querySelector('.graphiql-response .CodeMirror'); "
    "return cm ? cm.CodeMirror.getValue() : ''; }"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A gateway on its own seeded SQLite file, served by uvicorn in a thread; yields its base
    URL and a demo session token."""
    url = seeded_database(tmp_path_factory.mktemp("browser") / "vendo.db")
    token, _ = demo_credentials(url)
    with gateway(Settings(database_url=url)) as base:
        yield base, token


def test_graphiql_runs_a_signed_in_query_with_no_request_off_the_machine(
    served: tuple[str, str],
) -> None:
    from playwright.sync_api import sync_playwright

    base, token = served
    requests: list[str] = []
    blocked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "vendo_session", "value": token, "url": base}])

        def guard(route: Any) -> None:
            target = route.request.url
            if target.startswith(("data:", "blob:")) or urlparse(target).hostname == "127.0.0.1":
                route.continue_()
            else:
                blocked.append(target)
                route.abort()

        context.route("**/*", guard)
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.goto(f"{base}/graphql?q={quote(QUERY)}", wait_until="networkidle")
        page.wait_for_selector(EDITOR, timeout=20_000)
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/graphql")):
            page.click(".graphiql-execute-button")
        deadline = time.monotonic() + 20
        # Polled from here: the page's CSP forbids the eval that wait_for_function needs.
        while "demo@vendo.local" not in page.evaluate(RESULT):
            assert time.monotonic() < deadline, "the result never appeared in the page"
            page.wait_for_timeout(100)
        result = json.loads(page.evaluate(RESULT))
        shown = page.inner_text(".graphiql-response")
        browser.close()

    assert result["data"]["viewer"] == {"email": "demo@vendo.local"}
    nodes = result["data"]["integrations"]["nodes"]
    assert [node["provider"] for node in nodes] == ["anthropic", "assemblyai"]
    assert all(isinstance(node["tenantEnabled"], bool) for node in nodes)  # signed in
    assert "demo@vendo.local" in shown
    assert blocked == []
    assert len(requests) >= 7  # the page, its six assets, the introspection and the query
    assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}
