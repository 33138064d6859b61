"""Pure ASGI middleware: the request body's size and read-time limits, and the CORS policies
of path prefixes (the balance routes, the rest of /api/v1, /graphql).

Starlette and uvicorn put no bound on a request body, nor on the time a client may take to send
it. ``BodyLimit`` reads the body up front (the gateway takes no uploads), answers 413 as soon as it
passes ``VENDO_MAX_BODY_BYTES`` — or at once when Content-Length says so — and 408 (closing the
connection) when it has not all arrived within ``VENDO_REQUEST_READ_TIMEOUT_SECONDS``; otherwise it
replays the body to the app. uvicorn has no timeout on reading the request's *headers* either:
that one belongs to the proxy in front (README, "Running several workers").
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import BodyReadTimeout, DomainError, RequestTooLarge
from app.web.scope import headers_of

# The routes never read a body here; uvicorn answers such a request at once and, when a body
# is still coming, closes the connection after the answer.
BODYLESS_METHODS = ("GET", "HEAD", "OPTIONS")
Refuse = Callable[[Scope, DomainError], Response]  # (scope, refusal) → the answer
T = TypeVar("T")


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, read_timeout: float, refuse: Refuse
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        body = await self.read(scope, receive, send)
        if body is not None:
            await self.app(scope, replay_body(body, receive), send)

    async def read(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, within the limits; None when it was refused here (413, 408: answered
        already) or the client went away."""
        declared = headers_of(scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(scope, RequestTooLarge())(scope, receive, send)
            return None
        try:
            return await within(self.read_timeout, self._read(receive))
        except BodyTooLarge:
            await self.refuse(scope, RequestTooLarge())(scope, receive, send)
        except TimeoutError:
            response = self.refuse(scope, BodyReadTimeout())
            response.headers["Connection"] = "close"  # the rest of the body is not awaited
            await response(scope, receive, send)
        return None

    async def _read(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def within(seconds: float, coroutine: Coroutine[Any, Any, T]) -> T:
    """``await coroutine`` under ``asyncio.timeout(seconds)``, except that no timer is armed
    when it finishes without waiting — a body that arrived with its headers, as a small request's
    does: arming and cancelling the timer cost ~4 % of a small GraphQL request. The coroutine runs
    to its first suspension at once; only if it suspends is the rest awaited under the timeout."""
    try:
        pending = coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    async with asyncio.timeout(seconds):
        return await _Resumed(coroutine, pending)


class _Resumed(Generic[T]):
    """Awaits a coroutine that has already run to its first suspension (``pending``: what it
    gave the event loop to wait for) as ``await`` would have from there on: what the loop sends
    or throws in — a result, a cancellation — goes on to the coroutine (PEP 380's ``yield
    from``, which cannot start from a suspension)."""

    __slots__ = ("_coroutine", "_pending")

    def __init__(self, coroutine: Coroutine[Any, Any, T], pending: Any) -> None:
        self._coroutine = coroutine
        self._pending = pending

    def __await__(self) -> Generator[Any, Any, T]:
        coroutine, waiting_for = self._coroutine, self._pending
        while True:
            try:
                sent = yield waiting_for
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # a cancellation: the coroutine decides what it means
                try:
                    waiting_for = coroutine.throw(error)
                except StopIteration as done:
                    result: T = done.value
                    return result
                continue
            try:
                waiting_for = coroutine.send(sent)
            except StopIteration as done:
                result = done.value
                return result


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` (read already) once, then what ``receive`` says."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class CorsPolicy:
    """What a CORS policy answers an origin. Origins matching ``origin_pattern`` are reflected
    with ``Vary: Origin``; any other origin gets ``fallback`` (``*`` for /api/v1: CONTRACT.md
    §3.6) or no CORS header at all when ``fallback`` is None (/graphql: configured origins
    only). ``credentials`` allows cookies, for the configured origins only."""

    def __init__(
        self,
        *,
        origin_pattern: str,
        methods: tuple[str, ...],
        headers: tuple[str, ...],
        fallback: str | None = "*",
        credentials: bool = False,
        max_age: int = 600,
    ) -> None:
        self.origin = re.compile(origin_pattern) if origin_pattern else None
        self.methods = ", ".join(methods)
        self.headers = ", ".join(headers)
        self.fallback = fallback
        self.credentials = credentials
        self.max_age = str(max_age)

    def allow(self, origin: str) -> dict[str, str]:
        """The headers a response to ``origin`` carries."""
        if self.origin is not None and self.origin.fullmatch(origin):
            allowed = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
            if self.credentials:
                allowed["Access-Control-Allow-Credentials"] = "true"
            return allowed
        if self.fallback is None:
            return {"Vary": "Origin"}
        return {"Access-Control-Allow-Origin": self.fallback, "Vary": "Origin"}


class PrefixCors:
    """A CORS policy for path prefixes (``prefix``: one, or several), but not under ``exclude``
    (which another policy answers): preflights answered here, the other responses given the
    policy's headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str | tuple[str, ...],
        policy: CorsPolicy,
        exclude: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.policy = policy
        prefixes = (prefix,) if isinstance(prefix, str) else prefix
        # A path is under a prefix when it is the prefix or starts with it and a slash.
        self._paths = frozenset(p.rstrip("/") for p in prefixes)
        self._starts = tuple(p.rstrip("/") + "/" for p in prefixes)
        self._excluded_paths = frozenset(p.rstrip("/") for p in exclude)
        self._excluded_starts = tuple(p.rstrip("/") + "/" for p in exclude)

    def _applies(self, path: str) -> bool:
        return (path in self._paths or path.startswith(self._starts)) and not (
            path in self._excluded_paths or path.startswith(self._excluded_starts)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        request_headers = headers_of(scope)
        origin = request_headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allow = self.policy.allow(origin)
        preflight_request = "access-control-request-method" in request_headers
        if (
            scope["method"] == "OPTIONS"
            and preflight_request
            and "Access-Control-Allow-Origin" not in allow
        ):
            await PlainTextResponse("", status_code=204, headers=allow)(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and preflight_request:
            preflight = {
                **allow,
                "Access-Control-Allow-Methods": self.policy.methods,
                "Access-Control-Allow-Headers": self.policy.headers,
                "Access-Control-Max-Age": self.policy.max_age,
            }
            await PlainTextResponse("", status_code=204, headers=preflight)(scope, receive, send)
            return

        await self.app(scope, receive, with_headers(send, allow))


def with_headers(send: Send, headers: dict[str, str]) -> Send:
    """A ``send`` that sets ``headers`` on the response (replacing any of the same name)."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            response_headers = Headers(raw=message["headers"]).mutablecopy()
            for name, value in headers.items():
                response_headers[name] = value
            message["headers"] = response_headers.raw
        await send(message)

    return send_with_headers
