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
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio import connection as aioconnection

_factories: dict[asyncio.AbstractEventLoop, Callable[[], aioredis.Redis]] = {}
_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
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
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(_ELSEWHERE) from None
    client = _clients.get(loop)
    if client is None:
        factory = _factories.get(loop)
        if factory is None:
            raise RuntimeError(_ELSEWHERE)
        client = _clients[loop] = factory()
    return client


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


def like(sync: redis.Redis) -> aioredis.Redis:
    """A ``redis.asyncio`` client to the server ``sync`` talks to, with the same options."""
    pool = sync.connection_pool
    kind = getattr(aioconnection, pool.connection_class.__name__, None)
    if kind is None:  # e.g. a Sentinel-managed connection: no async twin to copy
        raise RuntimeError(
            f"current_async_redis() cannot copy a {pool.connection_class.__name__} "
            "connection; make a redis.asyncio client of your own"
        )
    kwargs: dict[str, Any] = {k: v for k, v in pool.connection_kwargs.items() if k in _SAME_MEANING}
    # Uncapped (redis-py's default cap of 100 raises once reached): the lane's limit bounds
    # the commands in flight, and so the sockets, unless jobs gather commands of their own.
    pool_ = aioredis.ConnectionPool(connection_class=kind, max_connections=2**31, **kwargs)
    return aioredis.Redis(connection_pool=pool_)
