"""Enqueue from asyncio code without blocking the event loop: ``AsyncClient``.

A thin layer over ``redis.asyncio``: payloads are built, checked and passed
through client middleware by the ordinary :class:`workhorse.client.Client`
(``capture`` collects them instead of writing), and only the Redis write is
awaited. Nothing about what a job looks like in Redis lives here.

>>> aio = AsyncClient()                                    # doctest: +SKIP
>>> jid = await aio.perform_async(send_email, "a@b.c")     # doctest: +SKIP
>>> jid = await send_email.aperform_async("a@b.c")         # doctest: +SKIP

``aperform_async`` pushes through :func:`for_loop`: one ``AsyncClient`` per event loop
and client, kept while the loop lives.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import redis
import redis.asyncio as aioredis

from workhorse.client import BULK_CHUNK, Client, default_client, run_at
from workhorse.connection import resolve, unavailable
from workhorse.errors import RedisUnavailable
from workhorse.types import Enqueueable, JobPayload
from workhorse.wire import Command, pack


class AsyncClient:
    """Async pushes to the Redis of ``client`` (default: the one ``perform_async`` uses)."""

    def __init__(self, client: Client | None = None, redis_client: aioredis.Redis | None = None):
        self.client = client or default_client()
        self._redis = redis_client

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            # Resolving may probe localhost once; do it at startup (e.g. in a lifespan).
            url = resolve(self.client.settings).url
            self._redis = aioredis.Redis.from_url(
                url, decode_responses=True, socket_connect_timeout=5, health_check_interval=30
            )
        return self._redis

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def push(self, job: JobPayload | dict[str, Any]) -> str | None:
        """Normalise and push one job; its jid, or None if client middleware dropped it."""
        with self.client.capture() as jobs:
            jid = self.client.push(job)
        await self.write(jobs)
        return jid

    async def push_bulk(
        self, jobs: Iterable[JobPayload | dict[str, Any]], chunk_size: int = BULK_CHUNK
    ) -> list[str | None]:
        with self.client.capture() as built:
            jids = self.client.push_bulk(jobs, chunk_size=chunk_size)
        for start in range(0, len(built), chunk_size):
            await self.write(built[start : start + chunk_size])
        return jids

    async def enqueue(
        self, name: str, args: Iterable[object] = (), **options: object
    ) -> str | None:
        """Push by job name (also names this process never registered, e.g. Ruby classes)."""
        return await self.push({"class": name, "args": list(args), **options})

    async def perform_async(self, job: Enqueueable, *args: Any) -> str | None:
        return await self.push(job.build_payload(*args))

    async def perform_in(
        self, job: Enqueueable, seconds: float | timedelta, *args: Any
    ) -> str | None:
        item = job.build_payload(*args)
        item["at"] = run_at(seconds, relative=True)
        return await self.push(item)

    async def perform_at(self, job: Enqueueable, when: float | datetime, *args: Any) -> str | None:
        item = job.build_payload(*args)
        item["at"] = run_at(when, relative=False)
        return await self.push(item)

    async def write(self, jobs: Sequence[JobPayload]) -> None:
        """Write jobs that passed the client chain, with the sync client's commands."""
        if not jobs:
            return
        if self.client.sink is not None:  # workhorse.testing's fake/inline modes
            self.client.deliver(jobs)
            return
        try:
            await self._send(self.client.commands_for(jobs))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if isinstance(exc, RedisUnavailable):
                raise
            raise unavailable(exc, resolve(self.client.settings)) from exc

    async def _send(self, commands: list[Command]) -> None:
        """The commands in one round trip on a pooled connection, packed as the sync client
        packs them: a redis.asyncio pipeline costs ~70 us of CPU per push (issue 24)."""
        pool = self.redis.connection_pool
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]
        errors: list[redis.ResponseError] = []
        try:
            await conn.send_packed_command([pack(commands)])
            for _ in commands:  # read every reply, so the connection stays in step
                try:
                    await conn.read_response()
                except redis.ResponseError as error:
                    errors.append(error)
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            await conn.disconnect()  # its state is unknown: the pool reopens it on use
            raise
        finally:
            await pool.release(conn)
        if errors:
            raise errors[0]


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def for_loop(client: Client) -> AsyncClient:
    """The running event loop's :class:`AsyncClient` for ``client`` (made on first use:
    redis.asyncio connections belong to one loop)."""
    clients = _per_loop.setdefault(asyncio.get_running_loop(), {})
    found = clients.get(id(client))
    if found is None or found.client is not client:
        found = clients[id(client)] = AsyncClient(client)
    return found
