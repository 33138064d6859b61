"""Error envelopes of reference 03, and the one JSON encoder of the legacy routes."""

from __future__ import annotations

from enum import Enum
from typing import Any

import orjson
from starlette.responses import PlainTextResponse, Response


def dumps(body: Any) -> bytes:
    return orjson.dumps(body)


class Envelope(Enum):
    FLAT = "flat"  # {"message": …}
    NESTED = "nested"  # {"error": {"message": …}}
    CANONICAL = "canonical"  # {"error": {"code", "message"}} + Vendo-Error-Code
    STRING = "string"  # {"error": "…"}
    TEXT = "text"  # text/plain body

    def render(self, status: int, message: str, code: str | None = None) -> Response:
        if self is Envelope.TEXT:
            return PlainTextResponse(message, status_code=status)
        headers: dict[str, str] = {}
        body: dict[str, Any]
        if self is Envelope.FLAT:
            body = {"message": message}
        elif self is Envelope.NESTED:
            body = {"error": {"message": message}}
        elif self is Envelope.STRING:
            body = {"error": message}
        else:
            body = {"error": {"code": code or "internal_error", "message": message}}
            headers["Vendo-Error-Code"] = code or "internal_error"
        return json_response(body, status=status, headers=headers)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json", headers=headers)
