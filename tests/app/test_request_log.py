"""The one log line per request, as an operator reads it: JSON with request id, method, route,
operation, tenant, status and duration (readable text in development); ``X-Request-ID`` honoured
when sane, replaced when not, and returned. And the issue's "Done when": requests carrying a
secret, a session cookie, an App Key, a JWT and a password leave none of them in any log record
of any logger at DEBUG, nor on stdout or stderr."""

from __future__ import annotations

import io
import json
import logging
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from app.runtime import Runtime
from app.services.auth import new_api_key
from app.settings import Settings
from app.web.request_log import BufferedStreamHandler, JsonFormatter, TextFormatter, logging_config
from tests.conftest import JWT_SECRET, Sessions, session_headers
from tests.support.catalog import demo_tenant_id
from tests.support.credentials import demo_key, identity_jwt, user_id_of

SECRET_KEY = Fernet.generate_key().decode()
FIELDS = ("request_id", "method", "route", "operation", "tenant_id", "status", "duration_ms")
FRESH_ID = re.compile(r"[0-9a-f]{32}")
VIEWER_QUERY = "query WhoAmI { viewer { email } integrations(first: 1) { nodes { provider } } }"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY}


# --------------------------------------------------------------------------------------------
# Helpers


def formatter(json_lines: bool) -> logging.Formatter:
    """The formatter ``vendo-gateway serve`` configures, built from ``logging_config``."""
    spec = dict(logging_config(json_lines=json_lines)["formatters"]["default"])
    factory = spec.pop("()")
    if "format" in spec:
        spec["fmt"] = spec.pop("format")
    built = factory(**spec)
    assert isinstance(built, JsonFormatter if json_lines else TextFormatter)
    return built  # type: ignore[no-any-return]


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The access logger at INFO (serve's default level) writing JSON lines to a buffer; the
    fixture returns a function that parses the lines written so far."""
    caplog.set_level(logging.INFO, logger="vendo.access")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter(json_lines=True))
    logger = logging.getLogger("vendo.access")
    logger.addHandler(handler)

    def lines() -> list[dict[str, Any]]:
        text = buffer.getvalue()
        assert text.endswith("\n") or text == ""
        return [json.loads(line) for line in text.splitlines()]

    yield lines
    logger.removeHandler(handler)
    handler.close()


# --------------------------------------------------------------------------------------------
# The JSON line


async def test_request_log_json_line_has_every_field(
    client: httpx.AsyncClient, demo: None, access_log: Callable[[], list[dict[str, Any]]]
) -> None:
    response = await client.get("/api/integrations")
    assert response.status_code == 200
    [line] = access_log()
    for name in FIELDS:
        assert name in line, name
    assert line["request_id"] == response.headers["x-request-id"]
    assert FRESH_ID.fullmatch(line["request_id"])
    assert line["method"] == "GET"
    assert line["route"] == "GET /api/integrations"
    assert line["operation"] == "LegacyIntegrationList"
    assert line["tenant_id"] is None  # anonymous
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float)
    assert 0 <= line["duration_ms"] < 10_000
    assert line["level"] == "info"
    assert line["logger"] == "vendo.access"
    assert line["time"]


@pytest.mark.parametrize("json_lines", [True, False], ids=["json", "text"])
async def test_request_log_direct_line_is_the_standard_line(
    json_lines: bool, client: httpx.AsyncClient, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``serve``'s configuration (one handler of ours, JSON in production, text in
    development, no filter) access lines skip the LogRecord (``_direct_handler``); any other
    configuration takes logging's standard path. Both write the same line: same keys in the
    same order, same values."""
    from app.web import request_log

    buffer = io.StringIO()
    handler = BufferedStreamHandler(buffer, interval=0)
    handler.setFormatter(formatter(json_lines=json_lines))
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(request_log.log, "level", logging.INFO)
    taken: list[bool] = []
    original = request_log._direct_handler

    def spy(level: int) -> Any:
        found = original(level)
        taken.append(found is handler)
        return found

    monkeypatch.setattr(request_log, "_direct_handler", spy)
    headers = {"X-Request-ID": "same-id"}
    assert (await client.get("/api/integrations", headers=headers)).status_code == 200
    request_log.log.addFilter(lambda record: True)  # a filter: the standard path
    try:
        assert (await client.get("/api/integrations", headers=headers)).status_code == 200
    finally:
        request_log.log.filters.clear()
    assert taken == [True, False]
    if not json_lines:
        # 2026-12-05 11:58:01,123 INFO vendo.access GET /api/integrations 200 request_id=… …
        stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
        line = rf"{stamp} INFO vendo\.access GET /api/integrations 200 request_id=same-id "
        line += r"operation=LegacyIntegrationList duration_ms=\d+(\.\d+)?"
        lines = buffer.getvalue().splitlines()
        assert len(lines) == 2
        assert all(re.fullmatch(line, found) for found in lines), lines
        return
    direct, standard = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert list(direct) == list(standard)
    for key in ("time", "duration_ms"):
        direct.pop(key), standard.pop(key)
    assert direct == standard
    assert direct["message"] == "GET GET /api/integrations 200"


def test_text_line_without_a_record_is_the_formatted_record() -> None:
    """The text formatter's direct line is its ``format`` of the same record, time included."""
    text = formatter(json_lines=False)
    assert isinstance(text, TextFormatter)
    assert text.direct
    fields = {"request_id": "r", "method": "GET", "route": "/graphql", "operation": None}
    fields |= {"tenant_id": "t", "status": 200, "duration_ms": 1.5}
    for created in (1_765_000_000.0, 1_765_000_000.0071, 1_765_000_059.999):
        record = logging.makeLogRecord(
            {"name": "vendo.access", "levelno": 20, "levelname": "INFO", "msg": "x"}
        )
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        record.fields = fields
        assert text.line(created, 20, "vendo.access", "x", fields) == text.format(record)
    assert not TextFormatter("%(message)s").direct


async def test_request_log_signed_in_legacy_line_has_the_tenant(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    access_log: Callable[[], list[dict[str, Any]]],
) -> None:
    response = await client.get("/api/integrations", headers=demo_headers)
    assert response.status_code == 200
    [line] = access_log()
    assert line["tenant_id"] == str(await demo_tenant_id(runtime))
    assert line["route"] == "GET /api/integrations"
    assert line["operation"] == "LegacyIntegrationList"


async def test_request_log_graphql_line_names_the_operation_and_tenant(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    access_log: Callable[[], list[dict[str, Any]]],
) -> None:
    response = await client.post("/graphql", json={"query": VIEWER_QUERY}, headers=demo_headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["email"] == "demo@vendo.local"
    [line] = access_log()
    assert line["method"] == "POST"
    assert line["route"] == "/graphql"
    assert line["operation"] == "WhoAmI"
    assert line["tenant_id"] == str(await demo_tenant_id(runtime))
    assert line["status"] == 200
    assert line["request_id"] == response.headers["x-request-id"]


async def test_request_log_error_status_is_on_the_line(
    client: httpx.AsyncClient, demo: None, access_log: Callable[[], list[dict[str, Any]]]
) -> None:
    missing = await client.get("/api/integrations/no-such-integration")
    refused = await client.get("/api/integrations/openrouter/usage")
    unknown = await client.get("/no-such-path")
    assert [missing.status_code, refused.status_code, unknown.status_code] == [404, 401, 404]
    lines = access_log()
    assert [(line["route"], line["status"]) for line in lines] == [
        ("GET /api/integrations/{slug}", 404),
        ("GET /api/integrations/{slug}/usage", 401),
        ("/no-such-path", 404),
    ]


async def test_request_log_one_line_per_request_with_distinct_ids(
    client: httpx.AsyncClient, demo: None, access_log: Callable[[], list[dict[str, Any]]]
) -> None:
    responses = []
    for _ in range(5):
        responses.append(await client.get("/api/integrations"))
        responses.append(await client.post("/graphql", json={"query": "query P { __typename }"}))
    lines = access_log()
    assert len(lines) == len(responses) == 10
    ids = [line["request_id"] for line in lines]
    assert len(set(ids)) == 10
    assert ids == [response.headers["x-request-id"] for response in responses]


# --------------------------------------------------------------------------------------------
# X-Request-ID


@pytest.mark.parametrize(
    "given",
    ["a", "req-42", "0af7651916cd43dd8448eb211c80319c", "trace:span.1_2-3", "x" * 128],
)
async def test_request_id_sane_is_honoured_and_returned(
    client: httpx.AsyncClient, access_log: Callable[[], list[dict[str, Any]]], given: str
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": given})
    graphql = await client.post(
        "/graphql", json={"query": "query P { __typename }"}, headers={"X-Request-ID": given}
    )
    assert response.headers["x-request-id"] == given
    assert graphql.headers["x-request-id"] == given
    [line] = access_log()  # (/healthz is logged at DEBUG only)
    assert line["request_id"] == given


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(b"x" * 129, id="too-long"),
        pytest.param(b"has space", id="space"),
        pytest.param("ünïcødé".encode(), id="unicode"),
        pytest.param(b"a/b", id="slash"),
        pytest.param(b"id\tx", id="tab"),
        pytest.param(b'{"json":1}', id="json"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_request_id_insane_is_replaced_and_returned(
    client: httpx.AsyncClient, access_log: Callable[[], list[dict[str, Any]]], given: bytes
) -> None:
    response = await client.post(
        "/graphql", json={"query": "query P { __typename }"}, headers={"X-Request-ID": given}
    )
    returned = response.headers["x-request-id"]
    assert FRESH_ID.fullmatch(returned), returned
    [line] = access_log()
    assert line["request_id"] == returned


async def test_request_id_is_fresh_for_each_request_without_one(
    client: httpx.AsyncClient,
) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(FRESH_ID.fullmatch(value) for value in ids)


# --------------------------------------------------------------------------------------------
# Text format and the choice of format


async def test_request_log_text_format_is_readable(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="vendo.access")
    response = await client.post("/graphql", json={"query": VIEWER_QUERY}, headers=demo_headers)
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "vendo.access"]
    line = formatter(json_lines=False).format(record)
    assert "\n" not in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    rid = response.headers["x-request-id"]
    tenant = await demo_tenant_id(runtime)
    # Method, route and status once, in front; the other fields after them.
    expected = (
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} INFO vendo.access POST /graphql 200 "
        rf"request_id={rid} operation=WhoAmI tenant_id={tenant} duration_ms=\d+(\.\d+)?"
    )
    assert re.fullmatch(expected, line), line
    # The structured fields are on the record too, for any other handler.
    fields = record.fields  # type: ignore[attr-defined]
    assert set(FIELDS) <= set(fields)


async def test_request_log_text_says_a_legacy_routes_method_once(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A legacy route's name is "GET /api/integrations": the line does not say GET twice."""
    caplog.set_level(logging.INFO, logger="vendo.access")
    response = await client.get("/api/integrations/openrouter")
    [record] = [r for r in caplog.records if r.name == "vendo.access"]
    line = formatter(json_lines=False).format(record)
    rid = response.headers["x-request-id"]
    expected = (
        rf".* INFO vendo.access GET /api/integrations/{{slug}} {response.status_code} "
        rf"request_id={rid} operation=LegacyIntegrationDetail duration_ms=\d+(\.\d+)?"
    )
    assert re.fullmatch(expected, line), line
    assert line.count("GET") == 1


def test_log_format_json_in_production_text_in_development() -> None:
    assert Settings().json_logs is False
    assert Settings(env="production").json_logs is True
    assert Settings(env="production", log_format="text").json_logs is False
    assert Settings(log_format="json").json_logs is True
    config = logging_config(json_lines=True, level="DEBUG")
    assert config["root"]["level"] == "DEBUG"
    assert config["loggers"]["uvicorn.access"]["propagate"] is False  # ours replaces it


def _buffered(stream: io.StringIO, **options: Any) -> logging.Logger:
    handler = BufferedStreamHandler(stream, **options)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"vendo.test.buffered.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger


def test_log_lines_are_written_in_batches_at_most_the_interval_late() -> None:
    stream = io.StringIO()
    logger = _buffered(stream, interval=0.2)
    logger.info("first")
    logger.info("second")
    assert stream.getvalue() == ""  # one write for the batch, not one per line
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stream.getvalue() == "INFO first\nINFO second\n"
    logger.handlers[0].close()


def test_warnings_flush_the_batch_at_once_and_close_flushes_the_rest() -> None:
    stream = io.StringIO()
    logger = _buffered(stream, interval=60)
    logger.info("request")
    logger.warning("database unavailable")
    assert stream.getvalue() == "INFO request\nWARNING database unavailable\n"
    logger.info("last request")
    assert stream.getvalue().count("\n") == 2
    logger.handlers[0].close()  # what logging.shutdown does at exit
    assert stream.getvalue().endswith("INFO last request\n")


def test_a_full_batch_is_written_at_once_and_interval_zero_writes_every_line() -> None:
    stream = io.StringIO()
    logger = _buffered(stream, interval=60, capacity=30)
    logger.info("x" * 10)
    assert stream.getvalue() == ""
    logger.info("y" * 20)
    assert stream.getvalue() == f"INFO {'x' * 10}\nINFO {'y' * 20}\n"
    logger.handlers[0].close()
    stream = io.StringIO()
    logger = _buffered(stream, interval=0)
    logger.info("now")
    assert stream.getvalue() == "INFO now\n"
    logger.handlers[0].close()


def test_serve_batches_log_lines_as_configured() -> None:
    config = logging_config(json_lines=True, flush_seconds=0.5)
    assert config["handlers"]["default"]["()"] is BufferedStreamHandler
    assert config["handlers"]["default"]["interval"] == 0.5
    assert Settings().log_flush_seconds == 0.5  # batched by default: docs/decisions/0131


# What uvicorn's server does with a SIGTERM (``Server.capture_signals``): caught while it serves,
# then, once shut down, raised again with the handler it found.
UVICORN_STOP = """
import logging, signal, sys
from app.web.request_log import BufferedStreamHandler, JsonFormatter
handler = BufferedStreamHandler(sys.stderr, interval=60)
handler.setFormatter(JsonFormatter())
logging.root.addHandler(handler)
logging.root.setLevel(logging.INFO)
caught = []
found = signal.signal(signal.SIGTERM, lambda sig, _: caught.append(sig))
logging.getLogger("vendo.access").info("last request")
signal.raise_signal(signal.SIGTERM)
logging.getLogger("uvicorn.error").info("Finished server process")
signal.signal(signal.SIGTERM, found)
for sig in caught:
    signal.raise_signal(sig)
print("not reached")
"""


def test_a_worker_ended_by_sigterm_writes_its_last_batch() -> None:
    """The last batch of a worker that uvicorn ends with the SIGTERM it caught is written: the
    default handler ended the process without ``logging.shutdown`` (docs/decisions/0131)."""
    done = subprocess.run(
        [sys.executable, "-c", UVICORN_STOP], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert done.stdout == ""
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["last request", "Finished server process"]


# --------------------------------------------------------------------------------------------
# Done when: no secret in any log line


@pytest.fixture
def every_record(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG: the root and every known logger at DEBUG and
    enabled, and each record taken where handlers are called, whether or not it propagates."""
    caplog.set_level(logging.DEBUG)
    disabled = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
            if logger.disabled:
                logger.disabled = False
                disabled.append(logger)
    records: list[logging.LogRecord] = []
    original = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        if not _test_client(record):
            records.append(record)
        original(self, record)

    monkeypatch.setattr(logging.Logger, "callHandlers", call_handlers)
    yield records
    for logger in disabled:
        logger.disabled = True


def _test_client(record: logging.LogRecord) -> bool:
    """The test's own HTTP client logs the URLs it calls (``http://testserver/…``): that is this
    test talking, not the gateway. The gateway's own httpx calls (upstreams) are still kept."""
    return record.name.startswith("httpx") and "http://testserver/" in record.getMessage()


def everything_logged(records: list[logging.LogRecord]) -> str:
    """Each record as the JSON and text formatters write it, plus its raw attributes."""
    as_json, as_text, plain = formatter(True), formatter(False), logging.Formatter()
    chunks = []
    for record in records:
        chunks += [as_json.format(record), as_text.format(record), repr(record.__dict__)]
        if record.exc_info:
            chunks.append(plain.formatException(record.exc_info))
    return "\n".join(chunks)


async def test_request_log_never_holds_a_secret_cookie_key_or_token(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    every_record: list[logging.LogRecord],
    capfd: pytest.CaptureFixture[str],
) -> None:
    def secret(label: str) -> str:
        return f"sk-live-SECRET-{label}-{uuid.uuid4().hex}"

    values = {label: secret(label) for label in ("install", "jwt-install", "gql", "bad-json")}
    values |= {label: secret(label) for label in ("query", "variable", "bulk-pw", "bulk-bad")}
    app_key = await demo_key(runtime)
    demo_cookie = await sessions.create("demo@vendo.local")
    staff_cookie = await sessions.create("root@example.com", staff=True)
    demo_jwt = identity_jwt(await user_id_of(runtime, "demo@vendo.local"))
    staff_jwt = identity_jwt(await user_id_of(runtime, "root@example.com"))
    foreign_jwt = identity_jwt(await user_id_of(runtime, "demo@vendo.local"), key="another-key" * 4)
    unknown_key = new_api_key()
    credentials = {
        "app key": app_key,
        "demo cookie": demo_cookie,
        "staff cookie": staff_cookie,
        "demo jwt": demo_jwt,
        "staff jwt": staff_jwt,
        "foreign jwt": foreign_jwt,
        "unknown key": unknown_key,
        "fernet key": SECRET_KEY,
        "jwt signing key": JWT_SECRET,
    }
    account = {"X-Account-ID": "demo"}
    statuses = []

    async def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await client.request(method, path, **kwargs)
        statuses.append((method, path, response.status_code))
        return response

    # An install carrying a secret, with an App Key; another with the user's JWT.
    await send(
        "POST",
        "/api/v1/integrations/openai/install",
        headers={"Authorization": f"Bearer {app_key}", **account},
        json={"params": {"region": "eu"}, "secrets": {"api_key": values["install"]}},
    )
    await send(
        "POST",
        "/api/v1/integrations/anthropic/install",
        headers={"Authorization": f"Bearer {demo_jwt}", **account},
        json={"secrets": {"api_key": values["jwt-install"]}},
    )
    # The same over GraphQL with the session cookie.
    await send(
        "POST",
        "/graphql",
        headers=session_headers(demo_cookie),
        json={
            "query": 'mutation Install($s: JSON) { installIntegration(account: "demo", '
            'id: "sendgrid", secrets: $s) { installation { secretNames } } }',
            "variables": {"s": {"api_key": values["gql"]}},
        },
    )
    # A signed-in read and a GraphQL query with the cookie, a query string carrying a secret.
    await send("GET", "/api/integrations", headers=session_headers(demo_cookie))
    await send("GET", f"/api/integrations?api_key={values['query']}")
    await send(
        "POST", "/graphql", headers=session_headers(demo_cookie), json={"query": VIEWER_QUERY}
    )
    # A variable that fails coercion (its value is echoed in GraphQL's message).
    await send(
        "POST",
        "/graphql",
        headers={"Authorization": f"Bearer {demo_jwt}"},
        json={
            "query": "query Bad($slug: String!) { integration(slug: $slug) { name } }",
            "variables": {"slug": {"api_key": values["variable"]}},
        },
    )
    # Bulk saves with a password: accepted (staff JWT), refused (staff cookie, invalid item).
    await send(
        "POST",
        "/api/integrations",
        headers={"X-Authorization": staff_jwt},
        json=[
            {
                "name": "logged-pg",
                "type": "pgvectordb",
                "configuration": {
                    "user": "u",
                    "password": values["bulk-pw"],
                    "datasourceURL": "jdbc:postgresql://db/x",
                    "dimensions": 1536,
                    "distance_metric": "cosine",
                    "indexing_method": "hnsw",
                },
                "apis": [{"integrationName": "logged-pg", "api": "docs", "description": "d"}],
            }
        ],
    )
    await send(
        "POST",
        "/api/integrations",
        headers=session_headers(staff_cookie),
        json=[
            {
                "name": "bad name",
                "type": "sendgrid",
                "configuration": {"password": values["bulk-bad"]},
            }
        ],
    )
    # Malformed bodies and refused credentials, each carrying a secret.
    await send(
        "POST",
        "/api/v1/integrations/openai/install",
        headers={
            "Authorization": f"Bearer {app_key}",
            "Content-Type": "application/json",
            **account,
        },
        content=b'{"secrets": {"api_key": "' + values["bad-json"].encode() + b'"',
    )
    await send(
        "GET", "/api/v1/integrations", headers={"Authorization": f"Bearer {unknown_key}", **account}
    )
    await send(
        "GET", "/api/v1/integrations", headers={"Authorization": f"Bearer {foreign_jwt}", **account}
    )
    await send("POST", "/api/integrations", headers={"X-Authorization": foreign_jwt}, json=[])

    assert [status for _, _, status in statuses] == [
        200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 401, 401, 401,
    ], statuses  # fmt: skip

    captured = capfd.readouterr()
    logged = everything_logged(every_record)
    # The check sees the requests: one access line each, with their request ids.
    access = [r for r in every_record if r.name == "vendo.access"]
    assert len(access) == len(statuses)
    for name, value in {**values, **credentials}.items():
        assert value not in logged, f"{name} is in a log record"
        assert value not in captured.out, f"{name} is on stdout"
        assert value not in captured.err, f"{name} is on stderr"
    # Not even the distinctive part of a secret (a truncated or re-encoded copy).
    for value in values.values():
        assert value.split("-")[-1] not in logged + captured.out + captured.err
