"""Persisted operations: Apollo's automatic persisted queries, and an allowlist mode.

APQ (``extensions.persistedQuery = {"version": 1, "sha256Hash": "…"}``): a request carrying only
the hash runs the operation registered under it, or answers ``PersistedQueryNotFound`` so the
client retries with the text; a request carrying both runs the text (after checking the hash)
and registers it in the shared cache, so every worker knows it. As in Apollo Server, the text
is stored only once it has parsed and passed validation and every limit (tokens, depth, aliases,
directives, cost) — a document the gateway refuses is never kept — and only when it is at most
``VENDO_PERSISTED_QUERY_MAX_BYTES`` (a larger one runs, unstored: its client keeps sending the
text). Registered operations — the legacy routes' own, and those of
``VENDO_PERSISTED_OPERATIONS_FILE`` — are always known.

Allowlist mode (``VENDO_GRAPHQL_ALLOWLIST=true``) accepts registered operations only, whether they
arrive by hash or as text; APQ registration is then refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from strawberry.extensions import SchemaExtension

from app.errors import BadUserInput, Forbidden, PersistedQueryNotFound
from resolvers.engine.masking import graphql_error

TAG = "apq"
TTL_SECONDS = 7 * 24 * 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_manifest(path: str | None) -> dict[str, str]:
    """``{hash: text}``, or Apollo's persisted-query manifest
    (``{"operations": [{"id", "body"}, …]}``); every hash is checked against its text."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs: Iterable[tuple[str, str]] = ((op["id"], op["body"]) for op in data["operations"])
    else:
        pairs = data.items()
    operations = {}
    for key, text in pairs:
        if sha256(text) != key:
            raise ValueError(f"persisted operation {key} does not match the sha256 of its text")
        operations[key] = text
    return operations


class PersistedOperations(SchemaExtension):
    def __init__(self, registered: Mapping[str, str], *, allowlist: bool, max_bytes: int) -> None:
        self.registered = registered
        self.allowlist = allowlist
        self.max_bytes = max_bytes
        self.unstored: tuple[str, bytes] | None = None  # (hash, text) to store once valid
        self.valid = False

    async def on_operation(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if not getattr(context, "trusted", False):
            persisted = (execution.operation_extensions or {}).get("persistedQuery")
            if persisted is not None:
                execution.query = await self._resolve(persisted, execution.query, context)
            if (
                self.allowlist
                and execution.query
                and sha256(execution.query) not in self.registered
            ):
                raise graphql_error(Forbidden("Operation is not in the allowlist"))
        yield
        if self.unstored is not None and self.valid:
            digest, text = self.unstored
            await context.runtime.cache.set(TAG, digest, text, ttl=TTL_SECONDS)

    def on_validate(self) -> Iterator[None]:
        """Leaves after validation and the limits (the hooks of the later extensions) have run:
        the text is valid when they found nothing. A text that does not parse, or an operation
        type the request may not run (a mutation over GET), never gets here."""
        yield
        self.valid = not self.execution_context.pre_execution_errors

    async def _resolve(self, persisted: Any, query: str | None, context: Any) -> str:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise graphql_error(BadUserInput("Unsupported persisted query version"))
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise graphql_error(
                BadUserInput("persistedQuery.sha256Hash must be 64 lowercase hex digits")
            )
        if query:
            if sha256(query) != digest:
                raise graphql_error(BadUserInput("provided sha does not match query"))
            text = query.encode()
            if not self.allowlist and digest not in self.registered and len(text) <= self.max_bytes:
                self.unstored = (digest, text)
            return query
        known = self.registered.get(digest)
        if known is None and not self.allowlist:
            stored = await context.runtime.cache.get(TAG, digest)
            known = stored.decode() if stored is not None else None
        if known is None:
            raise graphql_error(PersistedQueryNotFound())
        return known
