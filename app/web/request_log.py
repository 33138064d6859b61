"""Request ids and the one log line per request.

``RequestLog`` (pure ASGI) gives every request an id — the caller's ``X-Request-ID`` when it is a
sane token, else a fresh one — returns it in ``X-Request-ID``, and writes one line when the
response is done: request id, method, route or GraphQL operation, tenant, status, duration.
What goes in the line is chosen field by field: never a header, cookie, token, body or secret.
The fields are filled in by whoever knows them (the legacy endpoint, the GraphQL context) through
:func:`current`.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import signal
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web import metrics

log = logging.getLogger("vendo.access")
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(slots=True)
class RequestInfo:
    request_id: str
    method: str = ""
    path: str = ""
    route: str | None = None
    operation: str | None = None
    tenant_id: str | None = None
    status: int = 0


_current: ContextVar[RequestInfo | None] = ContextVar("vendo_request", default=None)


def current() -> RequestInfo | None:
    return _current.get()


def request_id() -> str | None:
    info = _current.get()
    return info.request_id if info else None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        info = RequestInfo(
            request_id=given if given and _SAFE_ID.fullmatch(given) else os.urandom(16).hex(),
            method=scope["method"],
            path=scope["path"],
        )
        token = _current.set(info)
        started = time.perf_counter()
        header = (b"x-request-id", info.request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                info.status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            info.status = info.status or 500
            raise
        finally:
            _current.reset(token)
            elapsed = time.perf_counter() - started
            _log(info, elapsed * 1000)
            _measure(info, elapsed)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _measure(info: RequestInfo, seconds: float) -> None:
    if info.path in QUIET_PATHS:
        return
    metrics.count_request(info.route or "unmatched", info.operation or "", info.status, seconds)


def _log(info: RequestInfo, duration_ms: float) -> None:
    level = logging.DEBUG if info.path in QUIET_PATHS else logging.INFO
    if not log.isEnabledFor(level):
        return
    route = info.route or info.path
    fields = {
        "request_id": info.request_id,
        "method": info.method,
        "route": route,
        "operation": info.operation,
        "tenant_id": info.tenant_id,
        "status": info.status,
        "duration_ms": round(duration_ms, 2),
    }
    handler = _direct_handler(level)
    if handler is not None:
        message = f"{info.method} {route} {info.status}"
        line = handler.formatter.line(time.time(), level, log.name, message, fields)  # type: ignore[union-attr]
        handler.add(line, level)
        return
    log.log(level, "%s %s %s", info.method, route, info.status, extra={"fields": fields})


def _direct_handler(level: int) -> BufferedStreamHandler | None:
    """The handler an access line can be given as a finished line, skipping the ``LogRecord``
    and logging's dispatch (docs/PERFORMANCE.md): when the line would reach exactly one
    handler, ours, with our JSON formatter or our text one in ``serve``'s layout, and no filter
    on the way (``serve``'s configuration, in production and in development). Any other
    configuration — a test's capture handler, another layout, an operator's own handlers — gets
    the standard path. The line is the same."""
    root = logging.root
    handlers = root.handlers
    if len(handlers) != 1 or root.filters or log.handlers or log.filters or not log.propagate:
        return None
    parent = log.parent
    if parent is not root and (
        parent is None or parent.handlers or parent.filters or not parent.propagate
    ):
        return None
    handler = handlers[0]
    formatter = handler.formatter
    if (
        type(handler) is not BufferedStreamHandler
        or not (
            type(formatter) is JsonFormatter
            or (type(formatter) is TextFormatter and formatter.direct)
        )
        or handler.filters
        or level < handler.level
    ):
        return None
    return handler


class JsonFormatter(logging.Formatter):
    """One JSON object per line; request fields flattened in, the request id on every line."""

    _second: int = -1
    _stamp: str = ""

    def _time(self, created: float) -> str:
        """ISO 8601 UTC with milliseconds; the formatted second is reused within a second."""
        second = int(created)
        if second != self._second:
            self._second, self._stamp = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
            )
        return f"{self._stamp}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        exception = self.formatException(record.exc_info) if record.exc_info else None
        fields = getattr(record, "fields", None)
        return self.line(
            record.created, record.levelno, record.name, record.getMessage(), fields, exception
        )

    def line(
        self,
        created: float,
        level: int,
        logger: str,
        message: str,
        fields: dict[str, Any] | None = None,
        exception: str | None = None,
    ) -> str:
        payload: dict[str, Any] = {
            "time": self._time(created),
            "level": _level_name(level),
            "logger": logger,
            "message": message,
        }
        if fields:
            payload.update(fields)
        elif (rid := request_id()) is not None:
            payload["request_id"] = rid
        if exception is not None:
            payload["exception"] = exception
        return orjson.dumps(payload, default=str).decode()


@functools.cache
def _level_name(level: int) -> str:
    return logging.getLevelName(level).lower()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class TextFormatter(logging.Formatter):
    """Readable lines for development: the request fields after the message. An access line
    says its method, route and status once, in front (a legacy route's name starts with its
    method already): ``GET /api/integrations 200 request_id=… duration_ms=…``."""

    SAID_IN_FRONT = frozenset({"method", "route", "status"})
    _second: int = -1
    _stamp: str = ""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        if not fields:
            line = super().format(record)
            rid = request_id()
            return line if rid is None else f"{line} request_id={rid}"
        access = logging.makeLogRecord(
            {**record.__dict__, "msg": self._front(fields), "args": None}
        )
        return f"{super().format(access)} {self._details(fields)}"

    def _front(self, fields: dict[str, Any]) -> str:
        method, route = fields.get("method"), str(fields.get("route") or "")
        front = route if not method or route.startswith(f"{method} ") else f"{method} {route}"
        return f"{front} {fields.get('status')}"

    def _details(self, fields: dict[str, Any]) -> str:
        return " ".join(
            f"{k}={v}" for k, v in fields.items() if v is not None and k not in self.SAID_IN_FRONT
        )

    @property
    def direct(self) -> bool:
        """Whether ``line`` writes what ``format`` would: ``TEXT_FORMAT`` with logging's default
        time (local, ``YYYY-MM-DD HH:MM:SS,mmm``)."""
        return (
            self._fmt == TEXT_FORMAT
            and not self.datefmt
            and self.converter is time.localtime
            and self.default_time_format == logging.Formatter.default_time_format
            and self.default_msec_format == logging.Formatter.default_msec_format
        )

    def line(
        self, created: float, level: int, logger: str, _message: str, fields: dict[str, Any]
    ) -> str:
        """An access line (``fields`` given) as ``format`` writes it, without a ``LogRecord``
        (``_direct_handler``); the formatted second is reused within a second."""
        second = int(created)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime(self.default_time_format, self.converter(second))
        millis = int((created - second) * 1000)
        return (
            f"{self._stamp},{millis:03d} {logging.getLevelName(level)} {logger} "
            f"{self._front(fields)} {self._details(fields)}"
        )


class BufferedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes lines in batches: at most ``interval`` seconds late, at once
    when the batch passes ``capacity`` characters or a record is ``flush_level`` or worse, and at
    shutdown (``logging.shutdown`` flushes and closes every handler). One write per batch instead
    of one per request: on a cached GET the write of the access line cost as much as the answer.
    ``interval=0`` writes every line at once, like ``logging.StreamHandler``."""

    def __init__(
        self,
        stream: Any = None,
        *,
        interval: float = 0.5,
        capacity: int = 64 * 1024,
        flush_level: int = logging.WARNING,
    ) -> None:
        super().__init__(stream)
        self.interval = interval
        self.capacity = capacity
        self.flush_level = flush_level
        self._pending: list[str] = []
        self._size = 0
        self._stopping = threading.Event()
        self._flusher: threading.Thread | None = None
        if interval > 0:
            flush_before_termination()

    def emit(self, record: logging.LogRecord) -> None:
        # Called by ``Handler.handle`` with the handler's lock held.
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._add(line, record.levelno)

    def add(self, line: str, level: int) -> None:
        """A line formatted already (see ``_direct_handler``)."""
        with self.lock:  # type: ignore[union-attr]
            self._add(line, level)

    def _add(self, line: str, level: int) -> None:
        line += self.terminator
        self._pending.append(line)
        self._size += len(line)
        if self.interval <= 0 or level >= self.flush_level or self._size >= self.capacity:
            self._write()
        elif self._flusher is None:
            self._flusher = threading.Thread(target=self._run, name="log-flush", daemon=True)
            self._flusher.start()

    def _write(self) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._size = 0
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:  # a closed or broken stream: what logging itself would do
            self.handleError(logging.makeLogRecord({"msg": "lost log lines"}))

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.flush()

    def close(self) -> None:
        self._stopping.set()
        self.flush()
        super().close()


def flush_before_termination() -> None:
    """Have a SIGTERM flush every log handler before it ends the process.

    uvicorn's server catches SIGTERM, shuts down gracefully, then raises the signal again with the
    handler it found (``Server.capture_signals``). In a worker that handler is the default one,
    which ends the process at once: no ``atexit``, so ``logging.shutdown`` never ran and the
    batch pending since the last flush — the worker's last access lines and its shutdown lines —
    was lost. Installed in place of the default handler only (from the main thread, where
    signals are handled), this one runs ``logging.shutdown`` and then ends the process as the
    default handler would, by the same signal."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _flush_and_terminate)


def _flush_and_terminate(signum: int, _frame: Any) -> None:
    logging.shutdown()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def logging_config(
    *, json_lines: bool, level: str = "INFO", flush_seconds: float = 0.0
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn's ``log_config``, so that every worker process
    logs the same way. uvicorn's own access line is off: ours replaces it (and uvicorn's would
    print query strings). Lines go out in batches, ``flush_seconds`` late at most."""
    formatter = (
        {"()": JsonFormatter} if json_lines else {"()": TextFormatter, "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "()": BufferedStreamHandler,
                "formatter": "default",
                "interval": flush_seconds,
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"level": level},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        },
    }
