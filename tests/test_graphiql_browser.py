"""GraphiQL and the REST explorer in a real browser: headless Chromium (Debian's) opens /graphql
and /api/docs on a gateway served by uvicorn on 127.0.0.1, runs a signed-in query (the page's own
example, and one with a credential typed in the Headers tab) and a REST call, and reads the
results from the page — with every request to any other host refused and recorded."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlparse

import httpx
import pytest

from app.factory import create_app
from app.runtime import Runtime
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


class Browser:
    """One Chromium context with the demo session cookie, refusing (and recording) any request
    to another host than 127.0.0.1."""

    def __init__(self, playwright: Any, base: str, token: str) -> None:
        self.browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS
        )
        self.context = self.browser.new_context()
        self.context.add_cookies([{"name": "vendo_session", "value": token, "url": base}])
        self.blocked: list[str] = []
        self.requests: list[Any] = []
        self.console: list[str] = []
        self.context.route("**/*", self._guard)
        self.context.on("request", lambda request: self.requests.append(request))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def _guard(self, route: Any) -> None:
        target = route.request.url
        if target.startswith(("data:", "blob:")) or urlparse(target).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(target)
            route.abort()

    def poll(self, script: str, done: Any, what: str) -> Any:
        """Polled from here: the pages' CSP forbids the eval that wait_for_function needs."""
        deadline = time.monotonic() + 20
        while not done(value := self.page.evaluate(script)):
            assert time.monotonic() < deadline, what
            self.page.wait_for_timeout(100)
        return value

    def close(self) -> None:
        self.browser.close()


@contextmanager
def browsing(served: tuple[str, str], path: str, ready: str) -> Iterator[Browser]:
    """A Browser with the demo session, on ``path`` of the served gateway once ``ready`` shows."""
    from playwright.sync_api import sync_playwright

    base, token = served
    with sync_playwright() as playwright:
        browser = Browser(playwright, base, token)
        browser.page.goto(f"{base}{path}", wait_until="networkidle")
        browser.page.wait_for_selector(ready, timeout=20_000)
        yield browser
        browser.close()


QUERY_EDITOR = (
    "() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
)
# The Headers tab's editor: the last CodeMirror of the editor tools.
HEADERS_EDITOR = (
    "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')"
    "[document.querySelectorAll('.graphiql-editor-tool .CodeMirror').length - 1].CodeMirror"
)


def test_graphiql_opens_on_a_vendo_operation_and_shows_how_to_send_a_key(
    served: tuple[str, str],
) -> None:
    with browsing(served, "/graphql", EDITOR) as browser:
        page = browser.page
        query = page.evaluate(QUERY_EDITOR)
        page.click("button:has-text('Headers')")
        headers = json.loads(page.evaluate(f"() => {HEADERS_EDITOR}.getValue()"))
        # Run as it opens: the example header is not sent, the session cookie signs in.
        with page.expect_request(
            lambda r: r.method == "POST" and "query Catalog" in (r.post_data or "")
        ) as first:
            page.click(".graphiql-execute-button")
        result = json.loads(
            browser.poll(RESULT, lambda v: "demo@vendo.local" in v, "no signed-in result")
        )
        # A credential typed in the Headers tab is sent as it is.
        page.evaluate(
            f"() => {HEADERS_EDITOR}.setValue(JSON.stringify("
            "{Authorization: 'Bearer vendo_sk_typed_by_hand'}))"
        )
        with page.expect_request(
            lambda r: r.method == "POST" and "query Catalog" in (r.post_data or "")
        ) as second:
            page.click(".graphiql-execute-button")
        browser.poll(RESULT, lambda v: "demo@vendo.local" not in v, "the key was not used")
        sent = [first.value.headers, second.value.headers]

    assert query.startswith("# Vendo gateway. Run with Ctrl-Enter")
    assert "query Catalog {" in query
    assert "Welcome to GraphiQL" not in query
    assert headers == {
        "Authorization": "Bearer <an App Key, a Connection Key (vendo_sk_...) or an identity JWT>"
    }
    assert "authorization" not in sent[0]
    assert result["data"]["viewer"]["email"] == "demo@vendo.local"
    assert result["data"]["viewer"]["credential"] == "session"
    assert sent[1]["authorization"] == "Bearer vendo_sk_typed_by_hand"
    assert browser.blocked == []
    assert browser.console == []


def test_api_docs_runs_a_rest_call_with_no_request_off_the_machine(
    served: tuple[str, str],
) -> None:
    base, _ = served
    with browsing(served, "/api/docs", ".opblock-summary-path") as browser:
        page = browser.page
        paths = page.evaluate(
            "() => Array.from(document.querySelectorAll('.opblock-summary-path'))"
            ".map(e => e.textContent)"
        )
        title = page.inner_text(".info .title")
        page.click("#operations-default-get_api_integrations .opblock-summary")
        page.click("#operations-default-get_api_integrations button.try-out__btn")
        with page.expect_response(lambda r: r.url == f"{base}/api/integrations") as answered:
            page.click("#operations-default-get_api_integrations button.execute")
        status = browser.poll(
            "() => (document.querySelector('#operations-default-get_api_integrations "
            ".live-responses-table tbody .response-col_status') || {}).textContent || ''",
            lambda v: v.strip() != "",
            "no response shown",
        )
        shown = page.inner_text("#operations-default-get_api_integrations .live-responses-table")
        answer = (answered.value.status, answered.value.json())

    assert title.startswith("vendo-gateway legacy REST routes")
    assert "/api/integrations/{slug}" in paths
    assert "/api/v1/integrations" in paths
    assert status.strip() == "200"
    assert answer[0] == 200
    assert isinstance(answer[1], list)  # signed in (the page's cookie): the tenant's overlay
    assert '"provider": "anthropic"' in shown
    assert browser.blocked == []
    assert browser.console == []
    hosts = {urlparse(request.url).hostname for request in browser.requests}
    assert hosts == {"127.0.0.1"}
    assets = {urlparse(r.url).path for r in browser.requests if "/api/docs/static/" in r.url}
    assert assets == {
        "/api/docs/static/swagger-ui-bundle.js",
        "/api/docs/static/swagger-ui.css",
    }


def test_graphiql_runs_a_signed_in_query_with_no_request_off_the_machine(
    served: tuple[str, str],
) -> None:
    with browsing(served, f"/graphql?q={quote(QUERY)}", EDITOR) as browser:
        page = browser.page
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/graphql")):
            page.click(".graphiql-execute-button")
        result = json.loads(
            browser.poll(
                RESULT, lambda v: "demo@vendo.local" in v, "the result never appeared in the page"
            )
        )
        shown = page.inner_text(".graphiql-response")
    requests = [request.url for request in browser.requests]
    blocked = browser.blocked

    assert result["data"]["viewer"] == {"email": "demo@vendo.local"}
    nodes = result["data"]["integrations"]["nodes"]
    assert [node["provider"] for node in nodes] == ["anthropic", "assemblyai"]
    assert all(isinstance(node["tenantEnabled"], bool) for node in nodes)  # signed in
    assert "demo@vendo.local" in shown
    assert blocked == []
    assert len(requests) >= 9  # the page, its seven assets, the introspection and the query
    assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}


SUBSCRIPTION = "subscription Live { integrationChanged { provider tenantEnabled provisioned } }"


def test_graphiql_runs_a_subscription_over_its_vendored_graphql_ws_client(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The page's play button on a subscription opens a WebSocket to /graphql (the session
    cookie signs it in), and a toggle made through REST shows up in the result pane."""
    from playwright.sync_api import sync_playwright

    url = seeded_database(tmp_path_factory.mktemp("browser-live") / "vendo.db")
    token, _ = demo_credentials(url)
    settings = Settings(database_url=url)
    app = create_app(settings)
    with gateway(settings, app) as base, sync_playwright() as playwright:
        runtime: Runtime = app.state.runtime
        browser = Browser(playwright, base, token)
        page = browser.page
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        page.goto(f"{base}/graphql?q={quote(SUBSCRIPTION)}", wait_until="networkidle")
        page.wait_for_selector(EDITOR, timeout=20_000)
        page.click(".graphiql-execute-button")
        deadline = time.monotonic() + 20
        while runtime.changes.hub.count < 1:
            assert time.monotonic() < deadline, "the subscription never reached the gateway"
            page.wait_for_timeout(50)
        toggled = httpx.post(
            f"{base}/api/integrations/telegram",
            json={"enabled": True},
            cookies={"vendo_session": token},
        )
        result = json.loads(
            browser.poll(RESULT, lambda v: "telegram" in v, "the change never reached the page")
        )
        browser.close()

    assert toggled.status_code == 200
    assert result == {
        "data": {
            "integrationChanged": {
                "provider": "telegram",
                "tenantEnabled": True,
                "provisioned": False,
            }
        }
    }
    assert sockets == [base.replace("http://", "ws://") + "/graphql"]
    assert browser.blocked == []
    assert browser.console == []
