"""A small asyncio Redis client (RESP2): one connection, commands pipelined, replies matched in order.

The mock needs a handful of commands and must stay importable without third-party packages (see __init__), so
it speaks the protocol itself rather than depending on redis-py.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass
from urllib.parse import urlsplit

Reply = bytes | int | list | None


class RedisError(Exception):
    """Redis answered with an error, or the connection was lost."""


@dataclass(frozen=True)
class RedisAddress:
    host: str
    port: int
    db: int

    @classmethod
    def parse(cls, url: str) -> RedisAddress:
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise ValueError(f"REDIS_URL {url!r} is not redis://HOST:PORT/DB")
        db = parts.path.strip("/") or "0"
        return cls(parts.hostname, parts.port or 6379, int(db))


def encode_command(args: tuple[str | bytes | int | float, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    line = await reader.readuntil(b"\r\n")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        return RedisError(rest.decode(errors="replace"))  # type: ignore[return-value]
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = await reader.readexactly(size + 2)
        return data[:-2]
    if kind == b"*":
        count = int(rest)
        if count < 0:
            return None
        return [await read_reply(reader) for _ in range(count)]
    raise RedisError(f"unexpected reply from Redis: {line[:40]!r}")


class Redis:
    def __init__(self, url: str) -> None:
        self.address = RedisAddress.parse(url)
        self._writer: asyncio.StreamWriter | None = None
        self._pending: collections.deque[asyncio.Future] = collections.deque()
        self._reader_task: asyncio.Task | None = None
        self._connecting: asyncio.Lock | None = None

    async def _connect(self) -> asyncio.StreamWriter:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            try:
                reader, writer = await asyncio.open_connection(self.address.host, self.address.port)
            except OSError as exc:
                raise RedisError(f"cannot connect to Redis at {self.address.host}:{self.address.port}: {exc}") from None
            self._writer = writer
            self._reader_task = asyncio.create_task(self._read_loop(reader, writer))
            if self.address.db:
                await self._send(writer, ("SELECT", self.address.db))
            return writer

    async def _read_loop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                reply = await read_reply(reader)
                future = self._pending.popleft()
                if not future.done():
                    future.set_result(reply)
        except (OSError, asyncio.IncompleteReadError, RedisError, IndexError) as exc:
            writer.close()
            if self._writer is writer:
                self._writer = None
            while self._pending:
                future = self._pending.popleft()
                if not future.done():
                    future.set_exception(RedisError(f"connection to Redis lost: {exc}"))

    def _send(self, writer: asyncio.StreamWriter, args: tuple) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._pending.append(future)
        writer.write(encode_command(args))
        return future

    async def execute(self, *args: str | bytes | int | float) -> Reply:
        writer = self._writer
        if writer is None or writer.is_closing():
            writer = await self._connect()
        reply = await self._send(writer, args)
        if isinstance(reply, RedisError):
            raise reply
        return reply

    async def pipeline(self, *commands: tuple[str | bytes | int | float, ...]) -> list[Reply]:
        """Several commands written at once, their replies awaited together: one round trip, not one each."""
        writer = self._writer
        if writer is None or writer.is_closing():
            writer = await self._connect()
        futures = [self._send(writer, args) for args in commands]
        replies = [await future for future in futures]
        for reply in replies:
            if isinstance(reply, RedisError):
                raise reply
        return replies

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
