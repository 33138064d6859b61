"""What a browser sends cross-site without a preflight: the "simple" content types an HTML form or
``fetch(..., {mode: "no-cors"})`` may use. Shared by the CSRF tests of /graphql and the cookie
writes of the legacy REST routes."""

from __future__ import annotations

FORM_CONTENT_TYPES = [
    "text/plain;charset=UTF-8",
    "TEXT/PLAIN",
    " text/plain ; charset=iso-8859-1",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
]
