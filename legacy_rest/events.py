"""``GET /api/deployments/me/events``: the events channel of reference 03 (docs/CONTRACT.md
§3.9, docs/decisions/0156), a plain Starlette route beside the route table — a GraphQL operation
answers once, this answers a stream. Its credentials are the route table's ``APP_KEY_ONLY``,
checked the same way (the ``vendo_sk_`` prefix before any verification, then the key); its
refusals are the nested envelope of ``/api/deployments/me/connections``, its cap of streams per
app the canonical one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.changes.hub import TooManySubscriptions
from app.errors import DomainError, TooManyStreams, classify
from app.runtime import Runtime
from app.services import events
from app.web import request_log
from app.web.draining import Draining
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import APP_KEY_ONLY
from resolvers.context import context_for

PATH = "/api/deployments/me/events"
AUTH = APP_KEY_ONLY
# Proxies must not buffer nor transform the stream.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventStream(StreamingResponse):
    """A stream whose slot and subscription are given back when it ends, however it ends: the
    client went away, the feed ended, or the server is shutting down (it is counted among the
    worker's open streams until its last chunk is sent, docs/decisions/0159)."""

    def __init__(
        self, body: AsyncIterator[bytes], release: events.Release, draining: Draining
    ) -> None:
        super().__init__(body, media_type="text/event-stream", headers=HEADERS)
        self.release = release
        self.draining = draining

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            with self.draining.stream():  # open until its last chunk is sent
                await super().__call__(scope, receive, send)
        finally:
            with contextlib.suppress(Exception):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]
            await self.release()


async def deployment_events(request: Request) -> Response:
    if (info := request_log.current()) is not None:
        info.route = f"GET {PATH}"
    runtime: Runtime = request.app.state.runtime
    try:
        AUTH.check_prefix(request.headers)
        context = await context_for(request, accept=AUTH.accept, bearer_headers=AUTH.bearer_headers)
        viewer = context.viewer
        context.close()
        if not viewer.is_authenticated or viewer.app_id is None or viewer.tenant_id is None:
            raise AUTH.refusal(request.headers)
    except Exception as error:
        return Envelope.NESTED.render(classify(error))
    changes = runtime.changes
    app_id, tenant_id = viewer.app_id, viewer.tenant_id
    try:
        slot = await changes.slots.acquire(app_id)
    except Exception as error:
        return Envelope.NESTED.render(classify(error))
    if slot is None:
        return Envelope.CANONICAL.render(TooManyStreams())
    try:
        subscription = changes.hub.subscribe(tenant_id, events.KINDS)
    except TooManySubscriptions:
        await changes.slots.release(app_id, slot)
        return Envelope.CANONICAL.render(TooManyStreams())

    async def release() -> None:
        subscription.close()
        with contextlib.suppress(Exception):  # Redis away: the lease ends within a minute
            await changes.slots.release(app_id, slot)

    feed = events.Feed(db=runtime.db, tenant_id=tenant_id, app_id=app_id, key_id=viewer.key_id)
    try:
        await feed.load_bindings()
    except Exception as error:
        await release()
        answer: DomainError = classify(error)
        return Envelope.NESTED.render(answer)
    body = events.stream(
        changes,
        feed,
        subscription,
        after_id=events.last_event_id(request.headers.get("last-event-id")),
        slot=slot,
        draining=runtime.draining.started,
    )
    return EventStream(body, release, runtime.draining)
