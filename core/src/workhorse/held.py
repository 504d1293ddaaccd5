"""A redis-py client whose commands, on a worker's job threads, skip the pool.

redis-py 8 runs every command through a pool checkout (a lock, a liveness poll of
the socket, connection-count metrics), a retry wrapper and duration metrics: on
this project's 2-core benchmark host about 18 of the 32 us of CPU an ``INCR``
costs, more than workhorse's own work per job. A job that touches Redis once
(most do) paid that twice over. A job thread lives as long as its worker, so it
keeps one connection for itself (:meth:`HeldRedis.hold`) and sends its commands
there: redis-py's own ``send_command`` and ``parse_response``, so replies,
decoding and response callbacks are exactly what the pool path gives.

The connection speaks what the pool's would (RESP3 by default since redis-py 8;
its push messages are read by redis-py's parser, and a maintenance notice that asks
for a reconnect closes the held connection). Everything else keeps redis-py's path:
other threads (a web server's, the user's), pipelines, pub/sub, Sentinel-managed
pools and clients with a client-side cache. A broken held connection is closed and
the command goes to redis-py's path, whose retries then apply as they always did;
a command interrupted between sending and reading its reply (a time limit raised in
the thread) closes the connection, so its late reply can never be read as the next
command's. The held socket's timeout is kept by the kernel (workhorse.sockets): a
command is a send and a receive, not four system calls, and a command that runs out
of time goes to redis-py's path like any broken one, which raises its TimeoutError.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import redis
from redis.connection import AbstractConnection

from workhorse.forks import forget_in_child
from workhorse.sockets import keep_timeouts_in_kernel

# Commands redis-py's dispatcher treats specially (per-connection set-up): never held.
POOL_ONLY = frozenset({"HIMPORT", "HIMPORT SET"})


class HeldRedis(redis.Redis):
    """``redis.Redis`` with per-thread connections for the threads that :meth:`hold`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held = threading.local()  # .conn per thread (None or unset: not held)
        forget_in_child(self)

    def forget_threads(self) -> None:
        """In a forked child: no thread holds a connection (see workhorse.forks)."""
        self._held = threading.local()

    def hold(self) -> Callable[[], None]:
        """Send this thread's commands on a connection of its own from now on; returns
        the function that closes it (call it when the thread ends). Does nothing where
        the pool path is needed (see the module docstring)."""
        pool = self.connection_pool
        if not holdable(pool):
            return _nothing
        held = self._held
        conn: AbstractConnection = pool.connection_class(**pool.connection_kwargs)
        held.conn = conn

        def release() -> None:
            held.conn = None
            conn.disconnect()  # type: ignore[no-untyped-call]

        return release

    def execute_command(self, *args: Any, **options: Any) -> Any:
        held = self._held
        conn: AbstractConnection | None = getattr(held, "conn", None)
        if conn is None or args[0] in POOL_ONLY:
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        try:
            if conn._sock is None:  # new, or dropped below
                conn.connect()  # type: ignore[no-untyped-call]
                keep_timeouts_in_kernel(conn)
            conn.send_command(*args, **options)  # type: ignore[no-untyped-call]
            reply = self.parse_response(conn, args[0], **options)  # type: ignore[no-untyped-call]
        except redis.ResponseError:
            raise  # the reply was read: the connection is in step
        except (redis.ConnectionError, redis.TimeoutError):
            conn.disconnect()  # type: ignore[no-untyped-call]  # reconnects on next use
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except BaseException:
            conn.disconnect()  # type: ignore[no-untyped-call]  # a reply may be on its way
            raise
        if conn.should_reconnect():  # type: ignore[no-untyped-call]  # a RESP3 maintenance notice
            conn.disconnect()  # type: ignore[no-untyped-call]  # reconnects on next use
        return reply


def holdable(pool: object, plain: type = redis.ConnectionPool) -> bool:
    """Plain pools (of type ``plain``) without a client-side cache: Sentinel pools pick
    their server per connection, and a cache proxies its connections."""
    return type(pool) is plain and getattr(pool, "cache", None) is None


def _nothing() -> None:
    return None


def hold(client: object) -> Callable[[], None]:
    """:meth:`HeldRedis.hold` for ``client`` if it is one, else a no-op."""
    return client.hold() if isinstance(client, HeldRedis) else _nothing
