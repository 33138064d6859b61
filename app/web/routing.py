"""A router that remembers which route answered a path.

Starlette's router tries its routes in order for every request, a regular expression each: 42
routes here, ~0.6 µs a route, so a legacy route near the end of the table (`/api/user/me`, the
29th) paid ~28 µs before its endpoint ran — about a twentieth of the request. ``RememberingRouter``
keeps, per method and path, the route that matched in full, and matches a path seen before
against that route alone. Anything else — a first sight, a partial match (405), no match (404,
a slash redirect), a WebSocket — goes through Starlette's own loop, so the answers are the same.

Matching a ``Route`` or a ``Mount`` reads the scope's type, method, root path and path and
nothing else, so the route that matched in full once matches in full again for the same four.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

MEMO_PATHS = 4096  # (method, root path, path) remembered; all forgotten at once when full


class RememberingRouter(Router):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._matched: dict[tuple[str, str, str], BaseRoute] = {}

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.remembered_route(scope) if scope["type"] == "http" else None
        if route is None:
            await super().app(scope, receive, send)  # 405, 404, a redirect: as Starlette does
            return
        match, child_scope = route.matches(scope)
        if match is not Match.FULL:  # not expected (see the module's docstring): Starlette decides
            await super().app(scope, receive, send)
            return
        # What Starlette's loop does with the route it finds.
        if "router" not in scope:
            scope["router"] = self
        scope["route"] = route
        scope.update(child_scope)
        await route.handle(scope, receive, send)

    def remembered_route(self, scope: Scope) -> BaseRoute | None:
        """The route Starlette's loop would hand this HTTP request to, when it matches in full
        and is a ``Route`` or a ``Mount``: remembered per method, root path and path (a request
        that no such route answers is not remembered). The cached legacy answers find their
        endpoint here too (legacy_rest/endpoint.py ``CachedAnswers``)."""
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        route = self._matched.get(key)
        if route is None:
            route = self._first_full_match(scope)
            if route is not None:
                if len(self._matched) >= MEMO_PATHS:
                    self._matched.clear()
                self._matched[key] = route
        return route

    def _first_full_match(self, scope: Scope) -> BaseRoute | None:
        """The route Starlette's loop would hand the request to, when it matches in full and
        is one whose match depends on the method and path alone."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:  # the first in full wins, whatever matched in part before
                return route if type(route) in (Route, Mount) else None
        return None
