"""``workhorse.current_async_redis()``: the ``redis.asyncio`` client async jobs share.

A worker binds one client to its event loop, made on first use: its pool hands each
command an idle connection, so sockets are reused job after job and a job never
opens one of its own; at most as many are open as commands were ever in flight at
once (with one command at a time per job, the lane's concurrency).

>>> async def count_visit(page: str) -> None:             # doctest: +SKIP
...     await workhorse.current_async_redis().incr(f"visits:{page}")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio import connection as aioconnection

from workhorse import held

_factories: dict[asyncio.AbstractEventLoop, Callable[[], aioredis.Redis]] = {}
_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
# The client of the loop, set in the context of each task of the async lane (and so of
# any task a job starts): found without asking which loop runs (on CPython 3.11
# asyncio.get_running_loop() makes a getpid() system call, about 0.25 µs).
_in_lane: ContextVar[aioredis.Redis | None] = ContextVar("workhorse_async_redis", default=None)
# What a redis-py connection is configured with that means the same to redis.asyncio.
_SAME_MEANING = (
    "host",
    "port",
    "path",
    "db",
    "username",
    "password",
    "client_name",
    "decode_responses",
    "encoding",
    "socket_timeout",
    "socket_connect_timeout",
    "socket_keepalive",
    "health_check_interval",
    "ssl_keyfile",
    "ssl_certfile",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_ca_data",
    "ssl_check_hostname",
)


def current_async_redis() -> aioredis.Redis:
    """The worker's shared ``redis.asyncio`` client for the running event loop.

    Call it inside an ``async def`` job a worker runs; it reaches the Redis the
    worker fetches from (``decode_responses=True``). Do not close it.
    """
    client = _in_lane.get()
    if client is not None:
        return client
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(_ELSEWHERE) from None
    client = _client_of(loop)
    if client is None:
        raise RuntimeError(_ELSEWHERE)
    return client


def _client_of(loop: asyncio.AbstractEventLoop) -> aioredis.Redis | None:
    client = _clients.get(loop)
    if client is None:
        factory = _factories.get(loop)
        if factory is None:
            return None
        client = _clients[loop] = factory()
    return client


def serve_this_task(loop: asyncio.AbstractEventLoop) -> None:
    """In a task on ``loop`` (a runner of the async lane): let ``current_async_redis()``
    find the loop's client at once, in this task and the tasks it starts."""
    client = _client_of(loop)
    if client is not None:
        _in_lane.set(client)


_ELSEWHERE = (
    "current_async_redis() serves async jobs run by a workhorse worker's async lane; "
    "elsewhere make a client of your own (redis.asyncio.Redis.from_url(...))"
)


def bind(loop: asyncio.AbstractEventLoop, *, sync: redis.Redis) -> None:
    """Serve a client like ``sync`` to jobs on ``loop`` (made on first use)."""
    _factories[loop] = lambda: like(sync)


def unbind(loop: asyncio.AbstractEventLoop) -> aioredis.Redis | None:
    """Stop serving ``loop``; the client made for it, if any, for the caller to close."""
    _factories.pop(loop, None)
    return _clients.pop(loop, None)


def like(sync: redis.Redis, *, decode: bool | None = None) -> aioredis.Redis:
    """A ``redis.asyncio`` client to the server ``sync`` talks to, with the same options
    (replies decoded as ``decode`` says, if given)."""
    pool = sync.connection_pool
    kind = getattr(aioconnection, pool.connection_class.__name__, None)
    if kind is None:  # e.g. a Sentinel-managed connection: no async twin to copy
        raise RuntimeError(
            f"current_async_redis() cannot copy a {pool.connection_class.__name__} "
            "connection; make a redis.asyncio client of your own"
        )
    kwargs: dict[str, Any] = {k: v for k, v in pool.connection_kwargs.items() if k in _SAME_MEANING}
    if decode is not None:
        kwargs["decode_responses"] = decode
    # Uncapped (redis-py's default cap of 100 raises once reached): the lane's limit bounds
    # the commands in flight, and so the sockets, unless jobs gather commands of their own.
    pool_ = aioredis.ConnectionPool(connection_class=kind, max_connections=2**31, **kwargs)
    return LoopRedis(connection_pool=pool_)


class LoopRedis(aioredis.Redis):
    """``redis.asyncio.Redis`` whose commands take an idle connection from a plain list.

    A client serves one event loop, so handing connections out needs no lock: an
    ``INCR`` through redis.asyncio's pool (its lock, checkout checks, retry wrapper
    and per-command metrics) cost 2.4 times the CPU of the same command sent with
    redis-py's own ``send_command`` and ``parse_response`` on a connection at hand,
    and most async jobs send a command or two. Replies and errors are redis-py's;
    a broken connection is dropped and the command goes through the pool's path and
    its retries; a command cancelled before its reply drops its connection, so the
    late reply is never read as another command's. A client-side cache keeps the
    pool's path (held.py). At most as many connections are open as commands were
    in flight at once, as with the pool; :meth:`aclose` closes them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: list[aioconnection.AbstractConnection] = []
        self._direct = held.holdable(self.connection_pool, aioredis.ConnectionPool)
        self._closing: set[asyncio.Task[None]] = set()

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if not self._direct or args[0] in held.POOL_ONLY:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        idle = self._idle
        conn = idle.pop() if idle else self._connection()
        try:
            await conn.send_command(*args, **options)
            reply = await self.parse_response(conn, args[0], **options)  # type: ignore[arg-type]
        except redis.ResponseError:
            idle.append(conn)  # the reply was read: the connection is in step
            raise
        except (redis.ConnectionError, redis.TimeoutError):
            self._drop(conn)
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except BaseException:
            self._drop(conn)  # a reply may be on its way
            raise
        idle.append(conn)
        return reply

    def _connection(self) -> aioconnection.AbstractConnection:
        pool = self.connection_pool
        made: aioconnection.AbstractConnection = pool.connection_class(**pool.connection_kwargs)
        return made

    def _drop(self, conn: aioconnection.AbstractConnection) -> None:
        """Close ``conn`` in a task of its own (this one may be cancelled)."""
        task = asyncio.get_running_loop().create_task(conn.disconnect(nowait=True))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.disconnect()
        await super().aclose(close_connection_pool)
