"""What an operator meets first, as subprocesses in a folder of their own: ``vendo-gateway``'s
answers to a bad setting, an unusable database or the wrong folder (one line, no traceback, no
stray file); ``--version`` and the help; ``migrate``'s list; and ``serve``'s start-up — the lines
it logs, the development key file, and production's refusal to migrate or seed by itself
(docs/decisions/0110-operator-experience.md)."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from app.cli import build_parser
from tests.conftest import POSTGRES_URL, needs_postgres

FERNET_KEY = "s3cret-" + "x" * 30  # no Fernet key (not 32 bytes), and it must not be echoed
BAD_SETTINGS = [
    ("VENDO_SECRET_KEYS", "not-a-key", "must be comma-separated Fernet keys"),
    ("VENDO_JWT_SECRET", "short-secret-value", "must be at least 32 bytes"),
    ("VENDO_DATABASE_URL", "mysql://db.example/vendo", "must start with sqlite+aiosqlite://"),
    ("VENDO_CACHE_URL", "bogus://x", "must be memory:// or redis://host:port/db"),
    ("VENDO_RATE_LIMIT_STORAGE", "bogus://x", "must be memory:// or redis://host:port/db"),
    ("VENDO_DB_POOL_SIZE", "ten", "Input should be a valid integer"),
    ("VENDO_ENV", "live", "Input should be 'development' or 'production'"),
    ("VENDO_INTEGRATION_RATE_LIMIT", "thirty", "must be a rate such as 30/minute"),
    ("VENDO_LOG_LEVEL", "verbose", "must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("VENDO_LOG_FORMAT", "yaml", "must be json or text"),
]
EVERY_COMMAND = [
    ["serve"],
    ["migrate"],
    ["seed", "--demo"],
    ["export-schema"],
    ["session", "create", "--email", "ops@example.com"],
    ["session", "revoke", "--email", "ops@example.com"],
    ["key", "revoke", "--key", "vendo_sk_x"],
    ["secrets", "rotate"],
]
STARTUP_SECONDS = 30.0
ALEMBIC_LINE = re.compile(r" [A-Z]+ alembic[.\w]* ")  # a line of an Alembic logger


# --------------------------------------------------------------------------------------------
# Helpers


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENDO_", "PROMETHEUS_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def vendo(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    base: str
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def messages(self, logger: str) -> list[str]:
        """The text-format lines of one logger, without their time and level."""
        found = []
        for line in self.lines():
            match = re.match(rf"\S+ \S+ (\w+) {re.escape(logger)} (.*)$", line)
            if match:
                found.append(f"{match[1]} {match[2]}")
        return found


@contextmanager
def serving(cwd: Path, *argv: str, **env: str) -> Iterator[Served]:
    """``vendo-gateway serve`` on a free port, until /healthz answers; stopped with SIGINT."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *argv],
            cwd=cwd,
            env=clean_env(**{"VENDO_LOG_FORMAT": "text", **env}),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(base=f"http://127.0.0.1:{port}", log=log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{served.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield served
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def one_line_refusal(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("vendo-gateway: ")
    return lines[0]


# --------------------------------------------------------------------------------------------
# A bad setting: exit status 2, the variable named, at once, for serve and every command


@pytest.mark.parametrize(("name", "value", "problem"), BAD_SETTINGS)
def test_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, name: str, value: str, problem: str
) -> None:
    started = time.monotonic()
    result = vendo(tmp_path, "serve", **{name: value})
    line = one_line_refusal(result, 2)
    assert line.startswith(f"vendo-gateway: invalid setting {name}: {problem}"), line
    assert value not in result.stderr  # neither a secret nor any other value is echoed
    assert name.removeprefix("VENDO_").lower() + ":" not in line  # not the pydantic field
    assert time.monotonic() - started < 20
    assert list(tmp_path.iterdir()) == []  # nothing created: no database, no key file


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda argv: " ".join(argv))
def test_bad_setting_stops_every_command(tmp_path: Path, command: list[str]) -> None:
    result = vendo(tmp_path, *command, VENDO_SECRET_KEYS=FERNET_KEY)
    line = one_line_refusal(result, 2)
    assert line == (
        "vendo-gateway: invalid setting VENDO_SECRET_KEYS: must be comma-separated Fernet keys "
        "(32 url-safe base64 bytes)"
    )
    assert FERNET_KEY not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_several_bad_settings_are_at_most_three_lines(tmp_path: Path) -> None:
    bad = {name: value for name, value, _ in BAD_SETTINGS if name != "VENDO_DATABASE_URL"}
    result = vendo(tmp_path, "migrate", **bad)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert lines[2] == "vendo-gateway: … and 7 more invalid settings"
    assert all(value not in result.stderr for value in bad.values())


# --------------------------------------------------------------------------------------------
# A database that cannot be used: one line naming it and the cause


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "postgresql+asyncpg://vendo:pw-not-shown@127.0.0.1:1/vendo",
            "cannot use the database at vendo@127.0.0.1:1/vendo: connection refused "
            "(is the server running, on that port?)",
            id="postgres-refused",
        ),
        pytest.param(
            "postgresql+asyncpg://vendo@no-such-host.invalid/vendo",
            "cannot use the database at vendo@no-such-host.invalid:5432/vendo: host not found",
            id="postgres-unknown-host",
        ),
        pytest.param(
            "sqlite+aiosqlite:///{tmp}/no-such-folder/vendo.db",
            "cannot use the database at {tmp}/no-such-folder/vendo.db: its folder "
            "{tmp}/no-such-folder does not exist",
            id="sqlite-no-folder",
        ),
    ],
)
def test_migrate_on_an_unusable_database_is_one_line(
    tmp_path: Path, url: str, expected: str
) -> None:
    result = vendo(tmp_path, "migrate", VENDO_DATABASE_URL=url.format(tmp=tmp_path))
    line = one_line_refusal(result, 1)
    assert line.startswith("vendo-gateway: " + expected.format(tmp=tmp_path)), line
    assert "pw-not-shown" not in result.stderr


@needs_postgres
def test_migrate_on_a_misnamed_postgres_database_is_one_line(tmp_path: Path) -> None:
    assert POSTGRES_URL is not None
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/vendo_no_such_database"
    result = vendo(tmp_path, "migrate", VENDO_DATABASE_URL=url)
    line = one_line_refusal(result, 1)
    assert line.endswith(
        '/vendo_no_such_database: database "vendo_no_such_database" does not exist'
    )


# --------------------------------------------------------------------------------------------
# The wrong folder, and a database never migrated


@pytest.mark.parametrize(
    "command",
    [
        ["session", "create", "--email", "demo@vendo.local"],
        ["session", "revoke", "--email", "demo@vendo.local"],
        ["key", "revoke", "--key", "vendo_sk_x"],
        ["secrets", "rotate"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_cli_outside_the_database_folder_says_so_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    result = vendo(tmp_path, *command, VENDO_SECRET_KEYS=Fernet.generate_key().decode())
    line = one_line_refusal(result, 1)
    assert line == (
        f"vendo-gateway: no database in this folder ({tmp_path / 'vendo.db'} does not exist): "
        "run this where vendo.db is, or set VENDO_DATABASE_URL"
    )
    assert list(tmp_path.iterdir()) == []


def test_export_schema_to_a_missing_folder_is_one_line_not_a_database_problem(
    tmp_path: Path,
) -> None:
    target = tmp_path / "no-such-folder" / "schema.graphql"
    result = vendo(tmp_path, "export-schema", "-o", str(target))
    line = one_line_refusal(result, 1)
    assert line == f"vendo-gateway: cannot write {target}: No such file or directory"


def test_cli_on_a_database_never_migrated_says_to_migrate(tmp_path: Path) -> None:
    (tmp_path / "vendo.db").touch()
    result = vendo(tmp_path, "session", "create", "--email", "demo@vendo.local")
    line = one_line_refusal(result, 1)
    assert line == (
        f"vendo-gateway: the database at {tmp_path / 'vendo.db'} is not migrated "
        "(run vendo-gateway migrate)"
    )


def test_migrate_lists_what_it_applied(tmp_path: Path) -> None:
    first = vendo(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    where = tmp_path / "vendo.db"
    assert first.stdout.splitlines() == [
        "applied 0001: initial schema",
        "applied 0002: usage_daily: per tenant, provider and UTC day, maintained by triggers",
        "applied 0003: credit_entries: each workspace's append-only ledger of credits",
        "applied 0004: change_events: the change log, written by triggers for rows other systems "
        "write",
        "applied 0005: binding changes: triggers log binding.added / binding.removed, whoever "
        "writes the bindings",
        "applied 0006: usage_monthly: per tenant and UTC month, maintained by triggers on "
        "usage_daily",
        f"the database at {where} is at the latest migration (0006)",
    ]
    again = vendo(tmp_path, "migrate")
    assert again.stdout.splitlines() == [
        f"nothing to apply: the database at {where} is at the latest migration"
    ]


# --------------------------------------------------------------------------------------------
# --version and the help


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = vendo(tmp_path, "--version")
    assert (result.returncode, result.stdout) == (0, f"vendo-gateway {version('vendo-gateway')}\n")


def test_top_level_help_is_plain_text(tmp_path: Path) -> None:
    result = vendo(tmp_path, "--help")
    assert result.returncode == 0
    assert "``" not in result.stdout
    assert ":class:" not in result.stdout
    assert result.stdout.startswith("usage: vendo-gateway [-h] [--version] COMMAND ...")


def _parsers() -> Iterator[tuple[str, object]]:
    import argparse

    pending = [("vendo-gateway", build_parser())]
    while pending:
        name, parser = pending.pop()
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{name} {sub}", p) for sub, p in action.choices.items()]


def test_every_option_help_shows_its_default() -> None:
    import argparse

    for name, parser in _parsers():
        for action in parser._actions:  # type: ignore[attr-defined]
            if not action.option_strings or isinstance(
                action, argparse._HelpAction | argparse._VersionAction
            ):
                continue
            text = action.help or ""
            assert "(default: " in text or "(required" in text, (name, action.option_strings)


def test_session_create_refuses_an_invalid_email(tmp_path: Path) -> None:
    result = vendo(tmp_path, "session", "create", "--email", "not-an-email")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "vendo-gateway session create: error: argument --email: "
        "not an email address: 'not-an-email'"
    )
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# serve


INSTALL = """mutation { installIntegration(account: "demo", id: "openai",
  secrets: {api_key: "sk-dev"}) { installation { status secretNames } } }"""


def test_serve_in_development_says_where_and_stores_secrets_with_its_own_key(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as served:
        token = vendo(tmp_path, "session", "create", "--email", "demo@vendo.local")
        assert token.returncode == 0, token.stderr
        cookie = {"vendo_session": token.stdout.splitlines()[-1]}
        installed = httpx.post(
            f"{served.base}/graphql", json={"query": INSTALL}, cookies=cookie, timeout=10
        )
    assert installed.json() == {
        "data": {
            "installIntegration": {
                "installation": {"status": "installed", "secretNames": ["api_key"]}
            }
        }
    }
    key_file = tmp_path / "vendo.db-secret-keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    said = served.messages("vendo.serve")
    port = served.base.rsplit(":", 1)[1]
    assert said == [
        f"INFO secrets: created the development key file {key_file} (mode 0600, git-ignored; "
        "keep it with the database: secrets stored with it cannot be read without it)",
        "INFO database: applied migration 0001 (initial schema)",
        "INFO database: applied migration 0002 (usage_daily: per tenant, provider and UTC day, "
        "maintained by triggers)",
        "INFO database: applied migration 0003 (credit_entries: each workspace's append-only "
        "ledger of credits)",
        "INFO database: applied migration 0004 (change_events: the change log, written by "
        "triggers for rows other systems write)",
        "INFO database: applied migration 0005 (binding changes: triggers log binding.added / "
        "binding.removed, whoever writes the bindings)",
        "INFO database: applied migration 0006 (usage_monthly: per tenant and UTC month, "
        "maintained by triggers on usage_daily)",
        "INFO database: seeded the demo data (14 integrations, 9 tools; user demo@vendo.local)",
        "INFO vendo-gateway 0.1.0 in development mode (VENDO_ENV), 1 worker(s)",
        f"INFO GraphQL and GraphiQL: http://127.0.0.1:{port}/graphql",
        f"INFO REST: http://127.0.0.1:{port}/api/… (explorer http://127.0.0.1:{port}/api/docs, "
        f"OpenAPI http://127.0.0.1:{port}/api/openapi.json)",
        f"INFO database: sqlite+aiosqlite:///./vendo.db ({tmp_path / 'vendo.db'})",
        "INFO cache: memory:// (per worker); rate limits: memory:// (per worker)",
    ]
    assert not [line for line in served.lines() if ALEMBIC_LINE.search(line)]
    assert "Traceback" not in served.log.read_text()

    # Started again: the same key, said again, no new migration or seed.
    with serving(tmp_path) as again:
        pass
    said = again.messages("vendo.serve")
    assert said[0] == (
        f"INFO secrets: development key file {key_file} (VENDO_SECRET_KEYS is unset)"
    )
    assert not [line for line in said if "applied" in line or "seeded" in line]


def test_serve_in_production_neither_migrates_nor_seeds_and_says_why(tmp_path: Path) -> None:
    env = {"VENDO_ENV": "production", "VENDO_LOG_FORMAT": "text"}
    with serving(tmp_path, **env) as served:
        ready = httpx.get(f"{served.base}/readyz", timeout=5)
        catalog = httpx.get(f"{served.base}/api/integrations", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "not migrated (run vendo-gateway migrate)"
    assert (catalog.status_code, catalog.json()) == (503, {"message": "Service unavailable"})
    said = served.messages("vendo.serve")
    assert "WARNING database: not migrated (run vendo-gateway migrate)" in said
    assert (
        "WARNING secrets: VENDO_SECRET_KEYS is not set: writes carrying a secret answer 503 "
        "(Secret encryption service unavailable)"
    ) in said
    assert f"INFO GraphQL: {served.base}/graphql (GraphiQL is off: VENDO_GRAPHIQL)" in said
    assert not (tmp_path / "vendo.db-secret-keys").exists()

    # Migrated by hand, production serves an empty catalog: no demo users, no staff user.
    assert vendo(tmp_path, "migrate", **env).returncode == 0
    with serving(tmp_path, **env) as served:
        ready = httpx.get(f"{served.base}/readyz", timeout=5)
    assert ready.status_code == 200
    import sqlite3

    connection = sqlite3.connect(tmp_path / "vendo.db")
    try:
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM integrations").fetchone() == (0,)
    finally:
        connection.close()


def test_serve_redacts_the_database_password(tmp_path: Path) -> None:
    env = {
        "VENDO_DATABASE_URL": "postgresql+asyncpg://vendo:hunter2-secret@127.0.0.1:1/vendo",
        "VENDO_DB_CONNECT_TIMEOUT_SECONDS": "0.5",
    }
    with serving(tmp_path, **env) as served:
        pass
    text = served.log.read_text()
    assert "hunter2-secret" not in text
    said = served.messages("vendo.serve")
    assert "INFO database: postgresql+asyncpg://vendo:***@127.0.0.1:1/vendo" in said
    assert "WARNING database: unreachable" in said


def test_alembic_start_up_lines_show_at_debug_only(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2", VENDO_LOG_LEVEL="INFO") as served:
        pass
    assert not [line for line in served.lines() if ALEMBIC_LINE.search(line)]
    with serving(tmp_path, "--workers", "2", VENDO_LOG_LEVEL="DEBUG") as served:
        pass
    plugins = [line for line in served.lines() if " alembic.runtime.plugins " in line]
    assert plugins, served.log.read_text()
