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
import socket
import threading
from collections.abc import Sequence
from typing import Any

import redis
from redis.connection import AbstractConnection

from workhorse.held import HeldRedis

Command = tuple[Any, ...]
_BROKEN = (redis.ConnectionError, redis.TimeoutError, OSError)


def pack(commands: Sequence[Command]) -> bytes:
    """RESP arrays of bulk strings for ``commands`` (str, bytes, int and float arguments)."""
    return b"".join(pack_head(command) for command in commands)


def pack_head(command: Command, more: int = 0) -> bytes:
    """``command`` packed as the first ``len(command)`` of ``len(command) + more``
    arguments: the rest, packed bulk strings, follow it."""
    out = [b"*%d\r\n" % (len(command) + more)]
    add = out.append
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
        return (
            type(client) in (redis.Redis, HeldRedis)
            and type(client.connection_pool) is redis.ConnectionPool  # type: ignore[attr-defined]
        )

    def send(self, commands: Sequence[Command]) -> list[bytes]:
        """Replies to ``commands``, sent together, as the lines of :func:`read_lines`
        (commands with one-line replies only: pushes); a connection that was idle and
        broke is replaced once (as redis-py retries), a second failure is raised."""
        return self.send_packed(pack(commands), len(commands))

    def send_packed(self, payload: bytes, count: int) -> list[bytes]:
        """:meth:`send` of ``count`` commands already packed into ``payload``."""
        conn, reused = self._connection()
        try:
            return self._round_trip(conn, payload, count)
        except _BROKEN:
            self._drop()
            if not reused:
                raise
        return self._round_trip(self._connection()[0], payload, count)

    def _round_trip(self, conn: AbstractConnection, payload: bytes, count: int) -> list[bytes]:
        try:
            return exchange_lines(conn, payload, count)
        except _BROKEN:
            self._drop()
            raise

    def _connection(self) -> tuple[AbstractConnection, bool]:
        local = self._local
        conn: AbstractConnection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn, True
        made = resp2_connection(self._pool)  # outside the pool's count (module docstring)
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


def resp2_connection(pool: redis.ConnectionPool) -> AbstractConnection:
    """A new connection with ``pool``'s settings, outside its count, speaking RESP2:
    redis-py 8 opens RESP3 by default, whose push messages may come between replies;
    on RESP2 a batch of one-line replies is read straight off the socket
    (:func:`read_lines`). Commands with such replies need nothing RESP3 adds."""
    made: AbstractConnection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 2})
    return made


def exchange_lines(conn: AbstractConnection, payload: bytes, count: int) -> list[bytes]:
    """Send ``payload`` (``count`` packed commands with one-line replies) and return the
    replies' lines; an error reply is raised once every reply was read, so the
    connection stays in step. The caller drops the connection on a broken one."""
    conn.send_packed_command([payload])  # type: ignore[no-untyped-call]
    lines = read_lines(conn, count)
    _raise_error_line(lines)
    return lines


def read_lines(conn: AbstractConnection, count: int) -> list[bytes]:
    """The next ``count`` replies on ``conn``, each one line (``+OK``, ``:3``, a nil, an
    ``-ERR``), without their CRLF. A RESP2 connection's are read straight off the socket
    (:func:`_read_raw_lines`); RESP3 may put a push message (client tracking,
    maintenance notices) between replies, and a caching proxy owns its socket, so those
    go through redis-py's parser, a reply per call."""
    sock = getattr(conn, "_sock", None)  # redis-py has no public way to read raw bytes
    if sock is not None and str(getattr(conn, "protocol", 2)) == "2":
        return _read_raw_lines(sock, count)
    return [_as_line(conn) for _ in range(count)]


def _as_line(conn: AbstractConnection) -> bytes:
    """One reply read by redis-py, written back as its line."""
    try:
        reply = conn.read_response(disable_decoding=True)
    except redis.ResponseError as error:
        return b"-" + str(error).encode()
    if reply is None:
        return b"$-1"
    if isinstance(reply, int):
        return b":%d" % reply
    return b"+" + (reply if isinstance(reply, bytes) else str(reply).encode())


def _read_raw_lines(sock: socket.socket, count: int) -> list[bytes]:
    """:func:`read_lines` in one read of the socket for all of them, where redis-py
    spends ~2 us of Python per reply. Replies of one line hold no LF before their end
    (RESP forbids CR and LF in simple strings and errors), so counting LFs counts
    replies, also across reads that split a CRLF. The connection's parser has nothing
    buffered: every earlier reply on it was read to the end. Socket errors come as
    redis-py's, as from its own reads."""
    chunks: list[bytes] = []
    seen = 0
    try:
        while seen < count:
            chunk = sock.recv(65536)
            if not chunk:
                raise redis.ConnectionError("Redis closed the connection before replying")
            chunks.append(chunk)
            seen += chunk.count(b"\n")
    except TimeoutError as exc:
        raise redis.TimeoutError("Timeout reading from Redis") from exc
    except OSError as exc:
        raise redis.ConnectionError(f"Error while reading from Redis: {exc}") from exc
    lines = b"".join(chunks).split(b"\r\n")
    if seen != count or lines[-1]:  # more than was asked for: the stream is out of step
        raise redis.ConnectionError(f"Redis sent {seen} reply lines where {count} were expected")
    return lines[:-1]


def _raise_error_line(lines: list[bytes]) -> None:
    """Raise the first error reply among ``lines`` (from :func:`read_lines`), if any."""
    for line in lines:
        if line[:1] == b"-":
            raise redis.ResponseError(line[1:].decode(errors="replace"))
