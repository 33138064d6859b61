"""Signing keys published as a JSON Web Key Set (``VENDO_JWT_JWKS_URL``; Supabase serves its
project's at ``https://<ref>.supabase.co/auth/v1/.well-known/jwks.json``).

The set is fetched with the runtime's httpx client (never PyJWT's ``PyJWKClient``, which blocks
the event loop on urllib) and kept for its ``Cache-Control`` max-age (10 minutes without one,
1 hour at most). Keys are chosen by ``kid``; each verifies with the one asymmetric algorithm its
JWK names (``alg``, or derived from ``kty``/``crv``): a symmetric (``oct``) key, ``none`` or a key
meant for encryption is never taken from the set.

Fetches are single-flight: concurrent requests wanting a fetch share one. A fetch starts only
when none started in the last 30 seconds, so tokens with forged ``kid`` values cannot make the
gateway hammer the endpoint. A stale set keeps answering while a fetch runs in the background;
when a fetch fails the keys already fetched keep working, and an unknown ``kid`` is unknown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from jwt import PyJWK, PyJWTError

from app.web import metrics

log = logging.getLogger("vendo.auth")

# Algorithms a published key may verify with: asymmetric ones only.
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
DEFAULT_MAX_AGE = 600.0
LONGEST_MAX_AGE = 3600.0
REFETCH_INTERVAL = 30.0
FETCH_TIMEOUT = 5.0


def max_age(cache_control: str | None) -> float:
    """Seconds a fetched set is fresh: the header's ``max-age`` (``no-store``/``no-cache``: 0),
    else ``DEFAULT_MAX_AGE``; never more than ``LONGEST_MAX_AGE``, so a revoked key goes."""
    directives: dict[str, str] = {}
    for part in (cache_control or "").split(","):
        name, _, value = part.partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    try:
        seconds = int(directives["max-age"])
    except (KeyError, ValueError):
        return DEFAULT_MAX_AGE
    return float(min(max(seconds, 0), LONGEST_MAX_AGE))


def usable_key(jwk: Any) -> PyJWK | None:
    """The JWK as a verification key, or None when it has no ``kid``, is not for signatures,
    or is not an asymmetric key of a known algorithm."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
        return None
    if jwk.get("use", "sig") != "sig":
        return None
    operations = jwk.get("key_ops")
    if operations is not None and (not isinstance(operations, list) or "verify" not in operations):
        return None
    if "alg" in jwk and jwk["alg"] not in ASYMMETRIC:
        return None
    try:
        key = PyJWK(jwk)
    except (PyJWTError, ValueError, TypeError, NotImplementedError):
        return None
    return key if key.algorithm_name in ASYMMETRIC else None


def parse_key_set(payload: Any) -> dict[str, PyJWK]:
    """``{"keys": [...]}`` by ``kid`` (the first of a repeated ``kid``); unusable keys are left
    out. Raises ValueError when the document is not a key set at all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("keys"), list):
        raise ValueError("not a JSON Web Key Set")
    keys: dict[str, PyJWK] = {}
    for jwk in payload["keys"]:
        key = usable_key(jwk)
        if key is not None and key.key_id is not None:
            keys.setdefault(key.key_id, key)
    return keys


class JwksKeys:
    """One worker's copy of the key set. ``clock`` is monotonic seconds."""

    def __init__(
        self, url: str, client: httpx.AsyncClient, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url = url
        self.client = client
        self.clock = clock
        self.keys: dict[str, PyJWK] = {}
        self.fresh_until = float("-inf")
        self.last_attempt: float | None = None
        self._fetch: asyncio.Task[None] | None = None

    async def key(self, kid: str) -> PyJWK | None:
        """The key with this ``kid``, or None. A known key answers at once (a stale set is
        refreshed in the background); an unknown one waits for a fetch when one may start."""
        now = self.clock()
        key = self.keys.get(kid)
        if key is not None:
            if now >= self.fresh_until:
                self._start_fetch(now)
            return key
        fetch = self._start_fetch(now)
        if fetch is None:
            return None
        await asyncio.shield(fetch)  # a caller that goes away does not cancel the shared fetch
        return self.keys.get(kid)

    def _start_fetch(self, now: float) -> asyncio.Task[None] | None:
        if self._fetch is not None and not self._fetch.done():
            return self._fetch
        if self.last_attempt is not None and now - self.last_attempt < REFETCH_INTERVAL:
            return None
        self.last_attempt = now
        self._fetch = asyncio.create_task(self._refresh(), name="jwks-fetch")
        return self._fetch

    async def _refresh(self) -> None:
        try:
            response = await self.client.get(
                self.url, timeout=FETCH_TIMEOUT, headers={"accept": "application/json"}
            )
            response.raise_for_status()
            keys = parse_key_set(orjson.loads(response.content))
        except (httpx.HTTPError, ValueError) as error:
            outcome = "timeout" if isinstance(error, httpx.TimeoutException) else "failure"
            metrics.UPSTREAM.labels("jwks", outcome).inc()
            log.warning(
                "JWKS fetch failed, keeping the %d keys fetched before: %s",
                len(self.keys),
                _describe(error),
            )
            return
        except Exception:  # a fetch never fails a request: it only leaves the keys as they are
            metrics.UPSTREAM.labels("jwks", "failure").inc()
            log.exception("JWKS fetch failed, keeping the %d keys fetched before", len(self.keys))
            return
        metrics.UPSTREAM.labels("jwks", "success").inc()
        self.keys = keys
        self.fresh_until = self.clock() + max_age(response.headers.get("cache-control"))

    async def close(self) -> None:
        fetch, self._fetch = self._fetch, None
        if fetch is not None and not fetch.done():
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return f"{type(error).__name__}: {error}"[:200]
