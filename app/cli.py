"""``vendo-gateway``: serve, migrate, seed, export the schema, mint credentials.

Commands that mint a credential print it alone on the last line of standard output. A mistake
of the operator's (a bad setting, a database that cannot be used) is said in one line on
standard error (app/problems.py), with exit status 2 for a setting, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import re
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from importlib.metadata import version
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from app.db import Database, create_database
from app.problems import (
    CommandError,
    database_place,
    database_problem,
    require_database_file,
    require_database_folder,
    setting_problems,
)
from app.settings import Settings

if TYPE_CHECKING:
    from app.models import CreditEntry

T = TypeVar("T")
PROG = "vendo-gateway"
DESCRIPTION = (
    "Vendo's GraphQL gateway and its legacy REST routes. Every setting is a VENDO_* "
    "environment variable (see the README); with none set, serve runs on ./vendo.db with the "
    "demo data."
)
# What a person types as an email address: something@domain.tld, no spaces.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MICROS_PER_USD = Decimal(1_000_000)
MAX_GRANT_USD = Decimal(1_000_000)


def _with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` on the configured database, which must exist already (no empty SQLite
    file is left behind by a command run in the wrong folder)."""
    require_database_file(settings)

    async def run() -> T:
        db = create_database(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from app.migrations import head_revision, upgrade

    require_database_folder(settings)
    applied = upgrade(settings.database_url)
    for revision, doc in applied:
        print(f"applied {revision}: {doc}")
    at_head = f"the database at {database_place(settings)} is at the latest migration"
    print(f"{at_head} ({head_revision()})" if applied else f"nothing to apply: {at_head}")
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from app.migrations import upgrade
    from app.seed import seed_demo

    if not args.demo:
        print("nothing to seed: pass --demo", file=sys.stderr)
        return 2
    require_database_folder(settings)
    upgrade(settings.database_url)

    async def work(db: Database) -> str:
        async with db.write() as session, session.begin():
            report = await seed_demo(session)
        return (
            f"seeded {report.integrations} integrations, {report.tools} tools, "
            f"{report.usage_events} usage events"
        )

    print(_with_database(settings, work))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import logging.config

    import uvicorn

    from app import startup
    from app.web.metrics import MULTIPROC_ENV

    log_config = startup.serve_logging(settings)
    logging.config.dictConfig(log_config)
    startup.development_secret_keys(settings)
    startup.prepare_database(settings)
    startup.announce(settings, host=args.host, port=args.port, workers=args.workers)
    signal.signal(signal.SIGTERM, _stopped)
    if args.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # Workers write their metrics to files here; /metrics on any worker sums them all.
        os.environ[MULTIPROC_ENV] = directory = tempfile.mkdtemp(prefix="vendo-metrics-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
    uvicorn.run(
        "app.factory:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        access_log=False,
        log_config=log_config,
        loop="uvloop",
        http="httptools",
        # Subscriptions' messages are a few hundred bytes: compressing them saves little and costs
        # a zlib context per socket and CPU per message (docs/decisions/0161).
        ws_per_message_deflate=False,
        # On a stop signal open streams end first (docs/decisions/0159); then uvicorn waits
        # this long for the requests still running before it cancels them.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0


def _stopped(_signal: int, _frame: FrameType | None) -> None:
    """SIGTERM is how a gateway is stopped: uvicorn hands it back once it stopped cleanly (and
    one before uvicorn runs stops the process the same way) — exit status 0, not death by it."""
    raise SystemExit(0)


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from resolvers.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(sdl)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror}") from None
    else:
        sys.stdout.write(sdl)
    return 0


def cmd_session_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.repositories import accounts
    from app.services.auth import create_session

    async def work(db: Database) -> str:
        async with db.write() as session, session.begin():
            user = await accounts.ensure_user(session=session, email=args.email, staff=args.staff)
            token, _ = await create_session(db=session, settings=settings, user_id=user.id)
        return token

    token = _with_database(settings, work)
    days = settings.session_ttl_days
    print(f"session for {args.email.lower()} (cookie vendo_session), valid {days} days:")
    print(token)
    return 0


def cmd_session_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app.models import utcnow
    from app.repositories import accounts
    from app.services.auth import hash_token

    async def work(db: Database) -> int:
        async with db.write() as session, session.begin():
            if args.token:
                return await accounts.revoke_sessions(
                    session=session, now=utcnow(), token_hash=hash_token(args.token)
                )
            user = await accounts.get_user_by_email(session=session, email=args.email)
            if user is None:
                return 0
            return await accounts.revoke_sessions(session=session, now=utcnow(), user_id=user.id)

    print(f"revoked {_with_database(settings, work)} session(s)")
    return 0


def cmd_key_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.models import APP_KEY, CONNECTION_KEY, utcnow
    from app.services.auth import mint_api_key

    kind = APP_KEY if args.app else CONNECTION_KEY
    scope = _uuid(args.app or args.connection)
    if scope is None:
        print("--app / --connection take an app or connection UUID", file=sys.stderr)
        return 2
    expires_at = utcnow() + timedelta(days=args.expires_in_days) if args.expires_in_days else None

    async def work(db: Database) -> str | None:
        async with db.write() as session, session.begin():
            minted = await mint_api_key(
                db=session, kind=kind, scope_id=scope, expires_at=expires_at
            )
        return minted[0] if minted is not None else None

    key = _with_database(settings, work)
    if key is None:
        print(f"no {kind} {scope}", file=sys.stderr)
        return 1
    print(f"{kind} key (shown once; only its hash is stored):")
    print(key)
    return 0


def cmd_key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app.models import utcnow
    from app.repositories import keys
    from app.services.auth import hash_token

    async def work(db: Database) -> int:
        async with db.write() as session, session.begin():
            if args.key:
                return await keys.revoke_key(
                    session=session, now=utcnow(), key_hash=hash_token(args.key)
                )
            return await keys.revoke_key(session=session, now=utcnow(), key_id=_uuid(args.id))

    print(f"revoked {_with_database(settings, work)} key(s)")
    return 0


def cmd_secrets_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from app.repositories import integrations
    from app.runtime import secret_box
    from app.services.secrets import InvalidToken

    box = secret_box(settings)
    if not box.available:
        print("VENDO_SECRET_KEYS is not set: nothing to rotate with", file=sys.stderr)
        return 2

    async def work(db: Database) -> int:
        count = 0
        async with db.write() as session, session.begin():
            catalog, states = await integrations.all_secret_holders(session=session)
            for row in catalog:
                row.secret_configuration = box.rotate_all(row.secret_configuration)
                count += len(row.secret_configuration)
            for state in states:
                state.secrets = box.rotate_all(state.secrets)
                count += len(state.secrets)
        return count

    try:
        count = _with_database(settings, work)
    except InvalidToken:
        print(
            "a stored secret is not readable with any configured key; nothing was changed",
            file=sys.stderr,
        )
        return 1
    print(f"re-encrypted {count} secret(s) under the newest key")
    return 0


def cmd_credits_grant(args: argparse.Namespace, settings: Settings) -> int:
    from app.models import GRANT, utcnow
    from app.repositories import accounts, wallet

    micros = int(args.usd * MICROS_PER_USD)
    key = args.idempotency_key or f"cli-{uuid.uuid4()}"

    async def work(db: Database) -> tuple[CreditEntry, bool]:
        async with db.write() as session, session.begin():
            tenant = await accounts.find_tenant(session=session, ref=args.workspace)
            if tenant is None:
                raise CommandError(f"no workspace {args.workspace}")
            return await wallet.add_credits(
                session=session,
                tenant_id=tenant.id,
                kind=GRANT,
                amount_micros=micros,
                reason=args.reason,
                idempotency_key=key,
                now=utcnow(),
            )

    entry, added = _with_database(settings, work)
    if not added:
        print(
            f"nothing added: idempotency key {key!r} was used on {entry.created_at:%Y-%m-%d} "
            f"for {_usd(entry.amount_micros)} USD ({entry.reason})"
        )
        return 0
    print(f"granted {_usd(micros)} USD ({micros} micros) to {args.workspace}, key {key!r}")
    return 0


def _usd(micros: int) -> str:
    return format(Decimal(micros) / MICROS_PER_USD, "f")


def usd(value: str) -> Decimal:
    """An argparse type: a positive amount of USD in whole micros, up to ``MAX_GRANT_USD``."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal(0)
    if not (amount.is_finite() and 0 < amount <= MAX_GRANT_USD) or (
        amount * MICROS_PER_USD != int(amount * MICROS_PER_USD)
    ):
        raise argparse.ArgumentTypeError(
            f"not an amount of USD above 0, at most {MAX_GRANT_USD}, with at most 6 decimals: "
            f"{value!r}"
        )
    return amount


def bounded_text(value: str) -> str:
    """An argparse type: 1 to 200 characters, not all blank."""
    if not value.strip() or len(value) > 200:
        raise argparse.ArgumentTypeError(f"must be 1 to 200 characters: {value[:40]!r}")
    return value


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def email(value: str) -> str:
    """An argparse type: an email address, or a one-line refusal."""
    if not EMAIL.fullmatch(value):
        raise argparse.ArgumentTypeError(f"not an email address: {value!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version(PROG)}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (default: %(default)s)"
    )
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply the database migrations, listing each")
    migrate.set_defaults(run=cmd_migrate)

    seed = commands.add_parser("seed", help="load demo data (idempotent; migrates first)")
    seed.add_argument(
        "--demo", action="store_true", help="the demo catalog, workspace and users (default: off)"
    )
    seed.set_defaults(run=cmd_seed)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("-o", "--output", help="write to this file (default: standard output)")
    export.set_defaults(run=cmd_export_schema)

    session = commands.add_parser("session", help="browser sessions").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = session.add_parser("create", help="mint a vendo_session cookie value")
    create.add_argument("--email", required=True, type=email, help="the user's email (required)")
    create.add_argument(
        "--staff", action="store_true", help="make the user staff, admin mode (default: off)"
    )
    create.set_defaults(run=cmd_session_create)
    revoke = session.add_parser("revoke", help="revoke one session, or all of a user's")
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--token", help="the session's cookie value (required: this or --email)")
    target.add_argument(
        "--email", type=email, help="every session of this user (required: this or --token)"
    )
    revoke.set_defaults(run=cmd_session_revoke)

    key = commands.add_parser("key", help="App Keys and Connection Keys").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    key_create = key.add_parser("create", help="mint a vendo_sk_ key (printed once)")
    scope = key_create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--app", help="the app's UUID: an App Key (required: this or --connection)")
    scope.add_argument(
        "--connection", help="the connection's UUID: a Connection Key (required: this or --app)"
    )
    key_create.add_argument(
        "--expires-in-days", type=int, default=None, help="days until it expires (default: never)"
    )
    key_create.set_defaults(run=cmd_key_create)
    key_revoke = key.add_parser("revoke", help="revoke a key")
    which = key_revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--key", help="the key itself (required: this or --id)")
    which.add_argument("--id", help="the key's UUID (required: this or --key)")
    key_revoke.set_defaults(run=cmd_key_revoke)

    credits = commands.add_parser("credits", help="workspace wallets").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    grant = credits.add_parser("grant", help="add credits to a workspace's wallet")
    grant.add_argument("--workspace", required=True, help="the workspace's slug or id (required)")
    grant.add_argument(
        "--usd", required=True, type=usd, help="the amount, e.g. 50 or 12.345 (required)"
    )
    grant.add_argument(
        "--idempotency-key",
        type=bounded_text,
        help="the same key again adds nothing (default: a new key each time)",
    )
    grant.add_argument(
        "--reason", type=bounded_text, default="operator grant", help="(default: %(default)s)"
    )
    grant.set_defaults(run=cmd_credits_grant)

    secrets = commands.add_parser("secrets", help="secrets at rest").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    rotate = secrets.add_parser(
        "rotate", help="re-encrypt every stored secret under the newest key"
    )
    rotate.set_defaults(run=cmd_secrets_rotate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        return _refuse(setting_problems(error), status=2)
    try:
        return int(args.run(args, settings))
    except CommandError as error:
        return _refuse([str(error)], status=error.status)
    except Exception as error:
        problem = database_problem(settings, error)
        if problem is None:
            raise
        return _refuse([problem], status=1)


def _refuse(lines: list[str], *, status: int) -> int:
    for line in lines:
        print(f"{PROG}: {line}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
