"""What ``vendo-gateway serve`` does before uvicorn starts, and what it tells the operator.

- Logging as the workers will have it (Alembic's start-up chatter only at DEBUG).
- In development, a secret key of its own when ``VENDO_SECRET_KEYS`` is unset: a Fernet key in a
  file beside the SQLite database (mode 0600), so that the examples that store a secret work.
- In development on the embedded default database: migrate, and seed the demo data when empty.
  Production never migrates nor seeds by itself: ``vendo-gateway migrate`` does, once.
- One line for each thing an operator looks for: the URLs, the database (no password), the cache
  and rate-limit backends, the mode, and what is wrong (a database to migrate, no secret keys).
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from app.outage_latch import NOT_MIGRATED
from app.problems import CommandError, sqlite_file
from app.settings import Settings

log = logging.getLogger("vendo.serve")
KEY_FILE_SUFFIX = "-secret-keys"  # vendo.db-secret-keys, beside vendo.db (git-ignored)
STATE_CHECK_SECONDS = 5.0


def serve_logging(settings: Settings) -> dict[str, Any]:
    """The logging configuration of serve and of every worker it starts."""
    from app.web.request_log import logging_config

    config = logging_config(
        json_lines=settings.json_logs,
        level=settings.log_level,
        flush_seconds=settings.log_flush_seconds,
    )
    # Alembic logs seven "setup plugin" lines whenever it is imported, and its steps: ours say
    # what was applied. Its warnings still show.
    quiet = settings.log_level.upper() != "DEBUG"
    config["loggers"]["alembic"] = {"level": "WARNING" if quiet else "DEBUG"}
    return config


def development_secret_keys(settings: Settings) -> None:
    """In development with no ``VENDO_SECRET_KEYS`` and a SQLite database, use (or create) the
    key file beside the database; the workers read it from the environment."""
    from cryptography.fernet import Fernet

    from app.services.secrets import parse_keys

    database = sqlite_file(settings)
    if settings.is_production or settings.secret_keys is not None or database is None:
        return
    path = key_file_of(database)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key, created = path.read_text(encoding="ascii", errors="replace").strip(), False
    else:
        key, created = Fernet.generate_key().decode(), True
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
    try:
        parse_keys(key)
    except ValueError:
        raise CommandError(
            f"{path} does not hold a Fernet key: delete it, or set VENDO_SECRET_KEYS", status=2
        ) from None
    os.environ["VENDO_SECRET_KEYS"] = key
    if created:
        log.info(
            "secrets: created the development key file %s (mode 0600, git-ignored; keep it with "
            "the database: secrets stored with it cannot be read without it)",
            path,
        )
    else:
        log.info("secrets: development key file %s (VENDO_SECRET_KEYS is unset)", path)


def prepare_database(settings: Settings) -> None:
    """Development on the embedded default database: migrate, and seed the demo data when the
    database is empty. Nothing otherwise: production is migrated with ``vendo-gateway migrate``
    and gets demo data only from ``vendo-gateway seed --demo``."""
    from app.migrations import upgrade

    if settings.is_production or not settings.uses_embedded_default:
        return
    for revision, doc in upgrade(settings.database_url):
        log.info("database: applied migration %s (%s)", revision, doc)
    report = asyncio.run(_seed_if_empty(settings))
    if report:
        log.info("database: %s", report)


async def _seed_if_empty(settings: Settings) -> str | None:
    from app.db import create_database
    from app.seed import database_is_empty, seed_demo

    db = create_database(settings)
    try:
        async with db.write() as session, session.begin():
            if not await database_is_empty(session):
                return None
            report = await seed_demo(session)
    finally:
        await db.dispose()
    return (
        f"seeded the demo data ({report.integrations} integrations, {report.tools} tools; "
        "user demo@vendo.local)"
    )


def database_state(settings: Settings) -> str:
    """``ok``, ``not migrated (…)``, ``migrations not at head (…)`` or ``unreachable``; a SQLite
    file that does not exist is not created by asking."""
    from app.db import create_database
    from app.migrations import schema_state

    path = sqlite_file(settings)
    if path is not None and not path.exists():
        return NOT_MIGRATED

    async def check() -> str:
        db = create_database(settings)
        try:
            return await schema_state(db, within=STATE_CHECK_SECONDS)
        finally:
            await db.dispose()

    return asyncio.run(check())


def announce(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Where the gateway serves, on what, and what needs the operator's attention."""
    base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    mode = settings.env.value
    log.info("vendo-gateway %s in %s mode (VENDO_ENV), %d worker(s)", _version(), mode, workers)
    if settings.graphiql_enabled:
        log.info("GraphQL and GraphiQL: %s/graphql", base)
    else:
        log.info("GraphQL: %s/graphql (GraphiQL is off: VENDO_GRAPHIQL)", base)
    log.info("REST: %s/api/… (explorer %s/api/docs, OpenAPI %s/api/openapi.json)", base, base, base)
    path = sqlite_file(settings)
    where = f" ({path})" if path is not None else ""
    log.info("database: %s%s", redacted(settings.database_url), where)
    log.info(
        "cache: %s; rate limits: %s",
        _backend(settings.cache_url),
        _backend(settings.rate_limit_storage),
    )
    state = database_state(settings)
    if state != "ok":
        log.warning("database: %s", state)
    if settings.secret_keys is None and not os.environ.get("VENDO_SECRET_KEYS"):
        log.warning(
            "secrets: VENDO_SECRET_KEYS is not set: writes carrying a secret answer 503 "
            "(Secret encryption service unavailable)"
        )


def redacted(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    if url.startswith(("sqlite", "postgresql")):
        return make_url(url).render_as_string(hide_password=True)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _backend(url: str) -> str:
    shown = redacted(url)
    return f"{shown} (per worker)" if urlsplit(url).scheme.endswith("memory") else shown


def _version() -> str:
    return version("vendo-gateway")


def key_file_of(database: Path) -> Path:
    return database.with_name(database.name + KEY_FILE_SUFFIX)
