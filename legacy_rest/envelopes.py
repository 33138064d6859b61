"""Error envelopes (docs/CONTRACT.md §3.4), and the one JSON encoder of the legacy routes."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
from starlette.responses import PlainTextResponse, Response

from app.errors import DomainError


def dumps(body: Any) -> bytes:
    return orjson.dumps(body)


@functools.lru_cache(maxsize=8192)
def js_number(value: Decimal | float | str) -> orjson.Fragment:
    """A number printed exactly as JavaScript's JSON.stringify prints it: ``0.0000036``,
    ``3.6``, ``18`` and ``1e-7`` (Python would print ``3.6e-06`` and ``18.0``). Remembered:
    the same few thousand prices are printed on every pricing request."""
    number = float(value)
    if not math.isfinite(number):
        return orjson.Fragment(b"null")
    if number == 0:
        return orjson.Fragment(b"0")
    sign, digit_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = int(exponent) + len(digits)  # value = 0.<digits> × 10^point
    if len(digits) <= point <= 21:
        text = digits + "0" * (point - len(digits))
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
        text = f"{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"
    return orjson.Fragment(("-" if sign else "") + text)


class Envelope(Enum):
    FLAT = "flat"  # {"message": …}
    NESTED = "nested"  # {"error": {"message": …}}
    CANONICAL = "canonical"  # {"error": {"code", "message"}} + Vendo-Error-Code
    STRING = "string"  # {"error": "…"}
    TEXT = "text"  # text/plain body

    def render(
        self,
        error: DomainError,
        *,
        message: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Response:
        """The error's body with its status: ``message`` (a route's documented wording) or the
        error's own; ``extra`` (e.g. a bulk save's ``errors``) joins the message where the
        envelope has room for it (not in the string and text envelopes); the canonical envelope
        spells the code in lower case."""
        status, message = error.status, message or error.message
        if self is Envelope.TEXT:
            return PlainTextResponse(message, status_code=status)
        headers: dict[str, str] = {}
        body: dict[str, Any]
        more = dict(extra or {})
        if self is Envelope.FLAT:
            body = {"message": message, **more}
        elif self is Envelope.NESTED:
            body = {"error": {"message": message, **more}}
        elif self is Envelope.STRING:
            body = {"error": message}
        else:
            code = error.code.lower()
            body = {"error": {"code": code, "message": message, **more}}
            headers["Vendo-Error-Code"] = code
        return json_response(body, status=status, headers=headers)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json", headers=headers)
