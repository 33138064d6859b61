"""The vendored browser assets (GraphiQL, Swagger UI): gzip-compressed, kept for a year.

Starlette's ``StaticFiles`` finds the file and answers conditional requests; on top of it each
text asset is compressed once per worker (in a thread: 3.5 MB of GraphiQL take ~250 ms) and kept
in memory, where ``GZipMiddleware`` would compress it again on every request. The pages load
every asset with its package's version in the URL (``?v=3.8.3``), so a year-long, immutable
``Cache-Control`` never keeps an old file past an upgrade.
"""

from __future__ import annotations

import gzip
import os
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CACHE_CONTROL = "public, max-age=31536000, immutable"
COMPRESSIBLE = (".js", ".css", ".html", ".json", ".svg", ".map", ".txt")
COMPRESS_LEVEL = 6  # level 9 takes ~3x longer for 1% less


class VersionedAssets(StaticFiles):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compressed: dict[tuple[str, float, int], bytes] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if isinstance(response, FileResponse) and _wants_gzip(scope, response):
            response = await self._gzipped(response)
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["Vary"] = "Accept-Encoding"
        return response

    async def _gzipped(self, response: FileResponse) -> Response:
        path = str(response.path)
        stat = os.stat(path)
        key = (path, stat.st_mtime, stat.st_size)
        body = self._compressed.get(key)
        if body is None:
            body = await anyio.to_thread.run_sync(_compress, path)
            self._compressed[key] = body
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "accept-ranges")
        }
        # Another representation, so a weak validator (as nginx's gzip does); StaticFiles
        # compares If-None-Match without the W/ prefix, so revalidation still answers 304.
        headers["etag"] = f"W/{response.headers['etag']}"
        headers["content-encoding"] = "gzip"
        return Response(body, status_code=200, headers=headers)


def _wants_gzip(scope: Scope, response: FileResponse) -> bool:
    request = Headers(scope=scope)
    return (
        response.status_code == 200
        and "range" not in request
        and str(response.path).endswith(COMPRESSIBLE)
        and "gzip" in request.get("accept-encoding", "")
    )


def _compress(path: str) -> bytes:
    with open(path, "rb") as handle:
        return gzip.compress(handle.read(), COMPRESS_LEVEL, mtime=0)
