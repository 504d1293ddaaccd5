"""A Redis connection owned by one thread, for the commands it sends per fetch.

redis-py's ``execute_command`` checks a connection out of the pool, wraps the
call in its retry machinery and records observability events: about 50 us of
CPU per call on a 2-core host, as much as the round trip itself. The fetch
thread sends one command per batch of jobs, for the life of the process, and the
executor already retries with backoff when Redis goes away; so it keeps one
connection for itself and talks to it directly. Redis Cluster clients route
per key and keep the ordinary path.
"""

from __future__ import annotations

import os
from typing import Any, cast

import redis
from redis.client import NEVER_DECODE
from redis.commands.core import Script
from redis.connection import Connection
from redis.exceptions import NoScriptError

from workhorse.wire import exchange_lines, resp2_connection

_BROKEN = (redis.ConnectionError, redis.TimeoutError, OSError)


class DedicatedConnection:
    """Send commands on a connection this object keeps out of the pool until ``close``.

    Not thread-safe by design: exactly one thread (the fetcher) uses it.
    With ``decode=False`` replies come as the bytes Redis sent, whatever the client's
    ``decode_responses``: a job that is not UTF-8 must not fail its whole reply (issue 17).
    """

    def __init__(self, client: redis.Redis, *, decode: bool = True, lines: bool = False) -> None:
        self._client = client
        # ``lines``: the connection speaks RESP2 (redis-py 8 opens RESP3 by default), so
        # one-line replies can be read straight off the socket (send_packed_lines), and it
        # is made outside the pool where the pool is a plain one (the protocol is fixed
        # per connection).
        self._own = lines and type(getattr(client, "connection_pool", None)) is redis.ConnectionPool
        self._raw = not decode
        self._options: dict[str, Any] = {} if decode else {NEVER_DECODE: True}
        self._pool: redis.ConnectionPool | None = (
            client.connection_pool if isinstance(client, redis.Redis) else None
        )
        self._conn: Connection | None = None
        self._pid = 0

    def __call__(self, *args: Any) -> Any:
        """Run one command and return its reply as the connection decodes it (no
        redis-py response callbacks: BRPOP gives a list, not a tuple)."""
        return self._pipeline([args])[0]

    def evalsha(self, script: Script, keys: list[Any], args: list[Any]) -> Any:
        """Run a registered script by its SHA, loading it first if Redis forgot it
        (a restart or SCRIPT FLUSH)."""
        return self.evalsha_then(script, keys, args)[0]

    def evalsha_then(
        self, script: Script, keys: list[Any], args: list[Any], *after: tuple[Any, ...]
    ) -> list[Any]:
        """Run a script, then the commands ``after``, in one round trip; their replies.
        If Redis forgot the script, it is loaded and all of them run again."""
        commands = [("EVALSHA", script.sha, len(keys), *keys, *args), *after]
        try:
            return self._pipeline(commands)
        except NoScriptError:
            self("SCRIPT", "LOAD", script.script)
            return self._pipeline(commands)

    @property
    def raw(self) -> bool:
        """Whether :meth:`send_packed_lines` works (not for Redis Cluster clients)."""
        return self._pool is not None

    def send_packed_lines(self, data: bytes, count: int) -> list[bytes]:
        """Send commands already in Redis's wire format (``count`` of them, each with a
        reply of one line: ``+OK``, ``:1``, a nil, an ``-ERR``) and return those lines
        without their CRLF; an error reply is raised once every reply was read. For a
        writer that packs many small commands by hand (recorder.py): redis-py reads a reply
        per call, at ~2 us each, more than building the command cost. Only when :attr:`raw`."""
        assert self._pool is not None
        conn = self._connection(self._pool)
        try:
            return exchange_lines(conn, data, count)
        except _BROKEN:
            self.close()  # its state is unknown: the next call opens a fresh one
            raise

    def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        if self._pool is None:
            send = self._client.execute_command
            return [send(*c, **self._options) for c in commands]  # type: ignore[no-untyped-call]
        conn = self._connection(self._pool)
        packed = conn.pack_commands(commands)  # type: ignore[no-untyped-call]
        return self._exchange(self._pool, packed, len(commands), self._raw)

    def _connection(self, pool: redis.ConnectionPool) -> Connection:
        conn = self._conn
        if conn is None or self._pid != os.getpid():  # never share a socket across a fork
            conn = self._checkout(pool)
        return conn

    def _exchange(
        self, pool: redis.ConnectionPool, packed: list[bytes], count: int, raw: bool
    ) -> list[Any]:
        conn = self._connection(pool)
        replies: list[Any] = []
        try:
            conn.send_packed_command(packed)  # type: ignore[no-untyped-call]
            for _ in range(count):  # read every reply, so the connection stays in step
                try:
                    replies.append(conn.read_response(disable_decoding=raw))
                except redis.ResponseError as error:
                    replies.append(error)
        except _BROKEN:
            self.close()  # its state is unknown: the next call opens a fresh one
            raise
        for reply in replies:
            if isinstance(reply, redis.ResponseError):
                raise reply
        return replies

    def close(self) -> None:
        """Close the connection and hand it back to the pool (which reopens it on use).
        Closing first stays safe even if the fetch thread is still blocked on it."""
        conn, self._conn = self._conn, None
        if conn is not None and self._pool is not None:
            conn.disconnect()  # type: ignore[no-untyped-call]
            if not self._own:
                self._pool.release(conn)

    def _checkout(self, pool: redis.ConnectionPool) -> Connection:
        self._conn = (
            cast(Connection, resp2_connection(pool)) if self._own else pool.get_connection()
        )
        self._pid = os.getpid()
        return self._conn
