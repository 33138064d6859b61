"""A real TCP proxy on 127.0.0.1 for fault tests: put it between the gateway and PostgreSQL or
Redis, then stop it (the listener and every forwarded connection close, as when the dependency
dies), black-hole it (connections are accepted and never answered, as behind a dead network) or
start it again on the same port (the dependency is back)."""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.blackhole = False
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._stopping = asyncio.Event()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self, *, blackhole: bool = False) -> None:
        """Listen (on the first call: a free port; then: the same port again)."""
        self.blackhole = blackhole
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def freeze(self) -> None:
        """Keep every connection open but forward nothing more (a network partition)."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def stop(self) -> None:
        """Close the listener and every connection it forwarded."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self._stopping.set()
        self._flowing.set()
        for writer in list(self._writers):
            writer.close()
        # Closed sockets end every pipe; a handler still stuck after that is cancelled.
        _, pending = await asyncio.wait(list(self._tasks), timeout=2) if self._tasks else ((), ())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        self.accepted += 1
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            if self.blackhole:
                await self._stopping.wait()  # accepted, never answered: until stop()
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
            self._writers.add(upstream_writer)
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            # Swallowing the cancellation keeps asyncio's stream callback from logging it.
            pass
        finally:
            for end in (writer, upstream_writer):
                if end is not None:
                    end.close()
                    self._writers.discard(end)
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                await self._flowing.wait()
                if self._stopping.is_set():
                    return
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()
