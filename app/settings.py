"""Settings: every one is a ``VENDO_*`` environment variable, listed in the README."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./vendo.db"
# Connections a pool keeps by default (VENDO_DB_POOL_SIZE unset).
POSTGRES_POOL_SIZE = 20
SQLITE_POOL_SIZE = 5


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    # hide_input_in_errors: a malformed secret must not be echoed in a startup error.
    model_config = SettingsConfigDict(
        env_prefix="VENDO_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    env: Environment = Environment.DEVELOPMENT
    graphiql: bool | None = None  # default: on in development, off in production
    database_url: str = DEFAULT_DATABASE_URL
    db_busy_timeout_ms: int = Field(default=5000, ge=0)
    db_pool_size: int | None = Field(default=None, ge=1)  # default: 20 on PostgreSQL, 5 on SQLite
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0)
    cache_url: str = "memory://"
    cache_timeout_seconds: float = Field(default=0.5, gt=0)
    # Bounds of what one worker keeps in memory (the memory:// backend, and the local copies in
    # front of Redis): entries and bytes, least recently used out.
    cache_max_entries: int = Field(default=4096, ge=16)
    cache_max_bytes: int = Field(default=32 * 1024 * 1024, ge=65536)
    rate_limit_storage: str = "memory://"
    redis_prefix: str = "vendo:"
    integration_rate_limit: str = "30/minute"
    # Per client IP, per route: /api/v1/balance and /api/billing/balance each, /api/cli/balance.
    balance_rate_limit: str = "60/minute"
    cli_balance_rate_limit: str = "30/minute"
    session_ttl_days: int = Field(default=30, ge=1)
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_audience: str = Field(default="authenticated", min_length=1)
    jwt_issuer: str | None = Field(default=None, min_length=1)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwt_jwks_url: str | None = None
    secret_keys: SecretStr | None = None
    cors_origins: str = r"https://([a-z0-9-]+\.)*vendo\.run"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    request_read_timeout_seconds: float = Field(default=30.0, gt=0)
    bulk_save_max_items: int = Field(default=500, ge=1)
    graphql_max_page_size: int = Field(default=100, ge=1)
    graphql_max_depth: int = Field(default=10, ge=1)
    graphql_max_aliases: int = Field(default=15, ge=0)
    graphql_max_tokens: int = Field(default=1000, ge=100)
    graphql_max_directives: int = Field(default=50, ge=0)
    graphql_max_cost: int = Field(default=5000, ge=1)
    graphql_max_batch: int = Field(default=1, ge=1)  # 1: batching off (an array body is 400)
    graphql_timeout_seconds: float = Field(default=10.0, gt=0)
    graphql_allowlist: bool = False
    graphql_introspection: bool | None = None  # default: on in development, off in production
    graphql_cors_origins: str = ""
    persisted_operations_file: str | None = None
    persisted_query_max_bytes: int = Field(default=32768, ge=1024)  # larger APQ texts: not stored
    otel_endpoint: str | None = None  # base URL of an OTLP/HTTP collector, e.g. http://host:4318
    log_level: str = "INFO"
    log_format: str | None = None  # json | text; default json in production, text otherwise
    log_flush_seconds: float = Field(default=0.5, ge=0, le=60)
    openrouter_models_url: str = "https://openrouter.ai/api/v1/models"
    openrouter_timeout_seconds: float = Field(default=10.0, gt=0)
    margin_percent: Decimal = Field(default=Decimal(20), ge=0, le=1000)
    pricing_cache_seconds: int = Field(default=3600, ge=1)
    pricing_stale_seconds: int = Field(default=86400, ge=0)
    catalog_snapshot_seconds: float = Field(default=60.0, ge=0, le=86400)
    # Subscriptions and the change stream (docs/decisions/0150-0153).
    subscriptions_per_connection: int = Field(default=10, ge=1, le=1000)
    subscriptions_per_workspace: int = Field(default=100, ge=1)
    subscription_queue_size: int = Field(default=100, ge=1, le=100_000)
    changes_poll_seconds: float = Field(default=0.05, gt=0, le=2)
    change_log_hours: float = Field(default=24, gt=0, le=24 * 30)
    # The events channel, GET /api/deployments/me/events (docs/decisions/0156).
    events_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)
    events_streams_per_app: int = Field(default=5, ge=1, le=1000)
    # How long `vendo-gateway serve` waits on SIGTERM for open requests and streams to end.
    shutdown_grace_seconds: int = Field(default=10, ge=1, le=3600)
    # false: the libraries' stock paths everywhere (resolvers/engine/speedups, app/web/speedups.py)
    speedups: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("cache_url", "rate_limit_storage")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        """memory:// or Redis; the limits library's async+ prefix is accepted for the limits."""
        if urlsplit(value.removeprefix("async+")).scheme not in ("memory", "redis", "rediss"):
            raise ValueError("must be memory:// or redis://host:port/db (rediss:// for TLS)")
        return value

    @field_validator("integration_rate_limit", "balance_rate_limit", "cli_balance_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate such as 30/minute or 100/hour") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str | None) -> str | None:
        if value is not None and value not in ("json", "text"):
            raise ValueError("must be json or text")
        return value

    @field_validator("secret_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        from app.services.secrets import parse_keys

        try:
            parse_keys(value.get_secret_value() if value else None)
        except ValueError as error:
            raise ValueError(
                "must be comma-separated Fernet keys (32 url-safe base64 bytes)"
            ) from (error)
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError(
                "must be at least 32 bytes (HS256 keys shorter than the hash are weak)"
            )
        return value

    @field_validator("jwt_public_key")
    @classmethod
    def _rsa_public_key(cls, value: str | None) -> str | None:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        if value is None:
            return value
        try:
            key = load_pem_public_key(value.encode())
        except ValueError:
            key = None
        if not isinstance(key, RSAPublicKey):
            raise ValueError("must be a PEM RSA public key (-----BEGIN PUBLIC KEY-----)")
        return value

    @field_validator("jwt_jwks_url")
    @classmethod
    def _jwks_over_https(cls, value: str | None) -> str | None:
        """Keys fetched over plain HTTP could be swapped on the way: HTTPS, but for loopback."""
        if value is None:
            return value
        url = urlsplit(value)
        loopback = url.hostname in ("127.0.0.1", "::1", "localhost")
        if not url.hostname or not (url.scheme == "https" or (url.scheme == "http" and loopback)):
            raise ValueError("must be an https:// URL (http:// only on 127.0.0.1 or localhost)")
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return not self.is_production

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" if self.log_format else self.is_production

    @property
    def graphql_origins(self) -> list[str]:
        return [o.strip() for o in self.graphql_cors_origins.split(",") if o.strip()]

    @property
    def pool_size(self) -> int:
        """Connections a pool keeps (docs/decisions/0164): on PostgreSQL as many as a worker held
        before pools stopped overflowing; on SQLite fewer, since each is a thread with a page
        cache of its own and a few already keep one core busy."""
        if self.db_pool_size is not None:
            return self.db_pool_size
        return SQLITE_POOL_SIZE if self.is_sqlite else POSTGRES_POOL_SIZE

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_embedded_default(self) -> bool:
        """True when no database was configured: in development, ``serve`` then migrates and
        seeds it by itself (app/startup.py)."""
        return self.database_url == DEFAULT_DATABASE_URL
