"""What the command line says when the operator's setup is wrong: one line, never a traceback.

A setting that does not validate is named by its environment variable, with what is wrong and
never its value; a database that cannot be used is named by its host or path (no password),
with the cause. Anything else is a bug, and keeps its traceback.
"""

from __future__ import annotations

import socket
import traceback
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.errors import is_not_migrated, is_unavailable
from app.outage_latch import NOT_MIGRATED
from app.settings import DEFAULT_DATABASE_URL, Settings

ENV_PREFIX = "VENDO_"
MAX_LINES = 3
# SQLSTATE classes and codes of a database that cannot be used as configured: connection
# exceptions (08), invalid authorization (28), a database or schema that does not exist.
_SETUP_SQLSTATES = ("08", "28", "3D000", "3F000")
_DATABASE_PACKAGES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")


class CommandError(Exception):
    """A mistake of the operator's, said in one line; ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def setting_problems(error: ValidationError) -> list[str]:
    """One line per bad setting, at most three: ``VENDO_NAME: what is wrong``."""
    lines = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        name = ENV_PREFIX + str(item["loc"][0]).upper() if item["loc"] else "a setting"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"invalid setting {name}: {message}")
    if len(lines) > MAX_LINES:
        lines[MAX_LINES - 1 :] = [f"… and {len(lines) - MAX_LINES + 1} more invalid settings"]
    return lines


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database's file, resolved against the current folder (None: not SQLite, or
    an in-memory database)."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def database_place(settings: Settings) -> str:
    """Where the database is, for a person: the file, or user@host:port/name (no password)."""
    path = sqlite_file(settings)
    if path is not None:
        return str(path)
    url = make_url(settings.database_url)
    user = f"{url.username}@" if url.username else ""
    return f"{user}{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def require_database_file(settings: Settings) -> None:
    """Commands that work on an existing database refuse to create an empty SQLite file."""
    path = sqlite_file(settings)
    if path is None or path.exists():
        return
    if settings.database_url == DEFAULT_DATABASE_URL:
        raise CommandError(
            f"no database in this folder ({path} does not exist): run this where vendo.db is, "
            "or set VENDO_DATABASE_URL"
        )
    raise CommandError(f"no database at {path} (VENDO_DATABASE_URL): run vendo-gateway migrate")


def require_database_folder(settings: Settings) -> None:
    """Commands that create the SQLite file (migrate, seed) need its folder; said before any
    connection is tried (a failed aiosqlite connect can outlive the event loop and print a
    thread's traceback after the one line)."""
    path = sqlite_file(settings)
    if path is not None and not path.parent.is_dir():
        raise CommandError(
            f"cannot use the database at {path}: its folder {path.parent} does not exist"
        )


def database_problem(settings: Settings, error: BaseException) -> str | None:
    """One line for a database that cannot be used as configured, else None (a bug, or not
    the database's: an OSError raised by anything but the drivers is not)."""
    if not _from_the_database(error):
        return None
    if is_not_migrated(error):
        return f"the database at {database_place(settings)} is {NOT_MIGRATED}"
    if not (is_unavailable(error) or _sqlstate(error).startswith(_SETUP_SQLSTATES)):
        return None
    return f"cannot use the database at {database_place(settings)}: {_cause(settings, error)}"


def _from_the_database(error: BaseException) -> bool:
    """Whether the error was raised by a database driver or SQLAlchemy (asyncpg raises a
    refused connection as the bare OSError: its traceback says where it came from)."""
    for link in _chain(error):
        if type(link).__module__.startswith(_DATABASE_PACKAGES):
            return True
        for frame, _ in traceback.walk_tb(link.__traceback__):
            if str(frame.f_globals.get("__name__", "")).startswith(_DATABASE_PACKAGES):
                return True
    return False


def _chain(error: BaseException | None) -> list[BaseException]:
    links: list[BaseException] = []
    while error is not None and len(links) < 8:
        links.append(error)
        error = error.__cause__ or error.__context__
    return links


def _sqlstate(error: BaseException) -> str:
    for link in _chain(error):
        code = getattr(link, "sqlstate", None)
        if isinstance(code, str):
            return code
    return ""


def _cause(settings: Settings, error: BaseException) -> str:
    """The innermost cause, in words."""
    links = _chain(error)
    for link in reversed(links):
        if isinstance(link, socket.gaierror):
            return f"host not found ({link.strerror})"
        if isinstance(link, ConnectionRefusedError):
            return "connection refused (is the server running, on that port?)"
        if isinstance(link, TimeoutError):
            return f"no answer within {settings.db_connect_timeout_seconds:g} s"
        if _sqlstate(link):
            return str(link).splitlines()[0]
    path = sqlite_file(settings)
    if path is not None and not path.parent.is_dir():
        return f"its folder {path.parent} does not exist"
    innermost = links[-1]
    text = str(getattr(innermost, "orig", None) or innermost).splitlines()
    return text[0] if text and text[0] else type(innermost).__name__
