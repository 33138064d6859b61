"""Answers given before a legacy route runs, in the envelope the path calls for: a body too large
(413) or too slow (408) on the way in."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from app import observability
from app.middleware import Refuse
from legacy_rest.envelopes import Envelope
from legacy_rest.table import LegacyRoute


def body_refusal(routes: tuple[LegacyRoute, ...]) -> Refuse:
    """413 and 408 in the envelope of the route the request is for: GraphQL's error shape on
    /graphql, flat JSON for any other path."""
    compiled = [
        (Route(path, _unused, methods=[r.method]), r)
        for r in routes
        for path in (r.path, *r.aliases)
    ]

    def render(scope: Scope, status: int, message: str) -> Response:
        info = observability.current()
        if scope["path"].startswith("/graphql"):
            if info is not None:
                info.route = "/graphql"
            error = {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}
            body = orjson.dumps({"errors": [error]})
            return Response(body, status, media_type="application/json")
        for route, legacy in compiled:
            if route.matches(scope)[0] is Match.FULL:
                if info is not None:
                    info.route = f"{legacy.method} {legacy.path}"
                return legacy.envelope.render(status, message)
        return Envelope.FLAT.render(status, message)

    return render


async def _unused(_: Request) -> Response:  # pragma: no cover - only matched, never called
    raise NotImplementedError
