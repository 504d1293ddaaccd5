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
    return aioredis.Redis(connection_pool=pool_)
