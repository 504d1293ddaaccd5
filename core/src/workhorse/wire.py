"""Commands sent to Redis in one round trip on a connection of the calling thread's own.

redis-py's pipeline costs ~40 us of CPU per push in object set-up, pool checkout,
per-argument encoding and retry bookkeeping: as much as the push's round trip on
loopback. A push sends two or three commands and needs none of it, so the client
keeps one connection per thread (built with the pool's own settings, but outside
its count: threads come and go, and a connection the pool lent to a thread that
died would stay counted against it) and packs the commands itself (issue 24).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import redis
from redis.connection import AbstractConnection

Command = tuple[Any, ...]
_BROKEN = (redis.ConnectionError, redis.TimeoutError, OSError)


def pack(commands: Sequence[Command]) -> bytes:
    """RESP arrays of bulk strings for ``commands`` (str, bytes, int and float arguments)."""
    out: list[bytes] = []
    add = out.append
    for command in commands:
        add(b"*%d\r\n" % len(command))
        for arg in command:
            if isinstance(arg, str):
                data = arg.encode()
            elif isinstance(arg, bytes):
                data = arg
            elif isinstance(arg, int | float) and not isinstance(arg, bool):
                data = repr(arg).encode()
            else:  # a caller's bug, never a job's: jobs arrive here already encoded
                raise TypeError(f"cannot send {type(arg).__name__} to Redis: {arg!r:.80}")
            add(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class ThreadConnections:
    """One connection per thread to the server of ``client``'s pool; ``send`` runs commands."""

    def __init__(self, client: redis.Redis) -> None:
        self._pool = client.connection_pool
        self._local = threading.local()

    @staticmethod
    def supports(client: object) -> bool:
        """Plain connection pools only: Sentinel and Cluster route connections themselves."""
        return type(client) is redis.Redis and type(client.connection_pool) is redis.ConnectionPool

    def send(self, commands: Sequence[Command]) -> list[Any]:
        """Replies to ``commands``, sent together; a connection that was idle and broke is
        replaced once (as redis-py retries), a second failure is raised."""
        payload = pack(commands)
        conn, reused = self._connection()
        try:
            return self._round_trip(conn, payload, len(commands))
        except _BROKEN:
            self._drop()
            if not reused:
                raise
        return self._round_trip(self._connection()[0], payload, len(commands))

    def _round_trip(self, conn: AbstractConnection, payload: bytes, count: int) -> list[Any]:
        replies: list[Any] = []
        try:
            conn.send_packed_command([payload])  # type: ignore[no-untyped-call]
            for _ in range(count):  # read every reply, so the connection stays in step
                try:
                    replies.append(conn.read_response())
                except redis.ResponseError as error:
                    replies.append(error)
        except _BROKEN:
            self._drop()
            raise
        for reply in replies:
            if isinstance(reply, redis.ResponseError):
                raise reply
        return replies

    def _connection(self) -> tuple[AbstractConnection, bool]:
        local = self._local
        conn: AbstractConnection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn, True
        pool = self._pool  # its settings, outside its count (see the module docstring)
        made: AbstractConnection = pool.connection_class(**pool.connection_kwargs)
        local.conn, local.pid = made, os.getpid()  # never share a socket across a fork
        return made, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.disconnect()

    def close(self) -> None:
        """Close this thread's connection (others close when their thread's storage goes)."""
        self._drop()
