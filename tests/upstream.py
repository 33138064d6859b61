"""A real HTTP/1.1 server on 127.0.0.1 in place of an upstream API (OpenRouter's models API, a
Supabase project's JWKS in the tests): each test decides what it answers, how late, and counts what
arrived."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Upstream:
    """HTTP/1.1 on 127.0.0.1, port 0. ``reply`` decides the next answers; ``hits`` counts the
    requests that arrived."""

    def __init__(self, default: Any) -> None:
        """``default``: the JSON answered unless a test says otherwise."""
        self.default = orjson.dumps(default)
        self.reply = Reply(self.default)
        self.hits = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.handlers: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/models"

    def url_for(self, path: str) -> str:
        """Any path answers the same; this names one (a JWKS document's, say)."""
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, payload: Any = None, **reply: Any) -> None:
        if payload is not None:
            reply["body"] = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        reply.setdefault("body", self.default)
        self.reply = Reply(**reply)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is None:
            return
        server, self.server = self.server, None
        server.close()
        for task in list(self.handlers):
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.hits += 1
            self.requests.append(head)
            reply = self.reply
            if reply.delay:
                await asyncio.sleep(reply.delay)
            headers = {
                "Content-Type": reply.content_type,
                "Content-Length": str(len(reply.body)),
                "Connection": "close",
                **reply.headers,
            }
            lines = [f"HTTP/1.1 {reply.status} Whatever"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + reply.body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.handlers.discard(task)
