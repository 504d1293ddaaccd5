"""Commands sent to Redis in one round trip on a connection of the calling thread's own.

redis-py's pipeline costs ~40 us of CPU per push in object set-up, pool checkout,
per-argument encoding and retry bookkeeping: as much as the push's round trip on
loopback. A push sends two or three commands and needs none of it, so the client
keeps one connection per thread (built with the pool's own settings, but outside
its count: threads come and go, and a connection the pool lent to a thread that
died would stay counted against it) and packs the commands itself (issue 24).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import redis
from redis.connection import AbstractConnection

from workhorse.forks import forget_in_child
from workhorse.held import HeldRedis
from workhorse.sockets import keep_timeouts_in_kernel

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

    def __init__(self, client: redis.Redis, *, reply_poll: float = 0.0) -> None:
        """``reply_poll``: seconds a thread polls for its reply before it sleeps in ``recv``
        (:class:`ReplyWait`); 0 sleeps at once."""
        self._pool = client.connection_pool
        self._local = threading.local()
        self._reply_poll = reply_poll
        forget_in_child(self)

    @staticmethod
    def supports(client: object) -> bool:
        """Plain connection pools only: Sentinel and Cluster route connections themselves."""
        return (
            type(client) in (redis.Redis, HeldRedis)
            and type(client.connection_pool) is redis.ConnectionPool  # type: ignore[attr-defined]
        )

    def send(self, commands: Sequence[Command]) -> list[bytes]:
        """Replies to ``commands``, sent together, as the lines of :func:`exchange_lines`
        (commands with one-line replies only: pushes); a connection that was idle and
        broke is replaced once (as redis-py retries), a second failure is raised. A
        timeout is raised at once: Redis may hold the push, and a resend could double it."""
        return self.send_packed(pack(commands), len(commands))

    def send_packed(self, payload: bytes, count: int) -> list[bytes]:
        """:meth:`send` of ``count`` commands already packed into ``payload``."""
        local = self._local
        conn: AbstractConnection | None = getattr(local, "conn", None)
        _sending.append(None)
        try:
            if conn is None:
                return self._round_trip(self._connect(), payload, count)
            try:
                return self._round_trip(conn, payload, count, local.wait)
            except redis.TimeoutError:
                raise  # Redis may have the push and be slow: sent again, it could land twice
            except _BROKEN:
                pass  # it was idle and broke: once more, on a new one
            return self._round_trip(self._connect(), payload, count)
        finally:
            _sending.pop()

    def _round_trip(
        self,
        conn: AbstractConnection,
        payload: bytes,
        count: int,
        wait: ReplyWait | None = None,
    ) -> list[bytes]:
        try:
            return exchange_lines(conn, payload, count, wait)
        except redis.ResponseError:
            raise  # every reply was read: the connection is in step
        except BaseException:
            # Broken, or interrupted between sending and reading (a time limit raised in
            # the thread): a late reply must never be read as the next push's.
            self._drop()
            raise

    def _connect(self) -> AbstractConnection:
        conn = lean_connection(self._pool)  # outside the pool's count (module docstring)
        sock = getattr(conn, "_sock", None)
        blocking = sock is not None and sock.gettimeout() is None
        polls = blocking and self._reply_poll and hasattr(socket, "MSG_DONTWAIT")  # not Windows
        self._local.wait = ReplyWait(self._reply_poll) if polls else None
        self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.disconnect()

    def close(self) -> None:
        """Close this thread's connection (others close when their thread's storage goes)."""
        self._drop()

    def forget_threads(self) -> None:
        """In a forked child: no thread has a connection, none is sending (workhorse.forks)."""
        _sending.clear()
        self._local = threading.local()


def resp2_connection(pool: redis.ConnectionPool) -> AbstractConnection:
    """A new connection with ``pool``'s settings, outside its count, speaking RESP2:
    redis-py 8 opens RESP3 by default, whose push messages may come between replies;
    on RESP2 a batch of one-line replies is read straight off the socket
    (:func:`exchange_lines`). Commands with such replies need nothing RESP3 adds."""
    made: AbstractConnection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 2})
    return made


def lean_connection(pool: redis.ConnectionPool) -> AbstractConnection:
    """:func:`resp2_connection`, connected, its plain (TCP or unix) socket in blocking
    mode with the kernel keeping its timeouts (SO_RCVTIMEO/SO_SNDTIMEO).

    Python puts a socket with a timeout in non-blocking mode and polls it before every
    send and every receive: two more system calls per push, which on a virtual machine
    cost several microseconds each. A timeout kept by the kernel is the same limit
    without them; it ends a send or receive with EAGAIN, which :func:`exchange_lines`
    reports as redis-py's TimeoutError. TLS sockets keep Python's timeout: a kernel
    timeout could end an SSL read in the middle of a record."""
    conn = resp2_connection(pool)
    conn.connect()  # type: ignore[no-untyped-call]
    keep_timeouts_in_kernel(conn)
    return conn


def exchange_lines(
    conn: AbstractConnection, payload: bytes, count: int, wait: ReplyWait | None = None
) -> list[bytes]:
    """Send ``payload`` (``count`` packed commands with one-line replies) and return the
    replies' lines; an error reply is raised once every reply was read, so the
    connection stays in step. The caller drops the connection on a broken one.

    A RESP2 connection's bytes go straight to and from its socket (:func:`_send_raw`,
    :func:`_read_raw_lines`); RESP3 may put a push message (client tracking,
    maintenance notices) between replies, and a caching proxy owns its socket, so those
    go through redis-py, a reply per call. ``wait``: how to wait for the first reply on
    a blocking socket (:class:`ReplyWait`); without it, asleep in ``recv``."""
    sock = _raw_socket(conn)
    if sock is None:
        conn.send_packed_command([payload])  # type: ignore[no-untyped-call]
        lines = [_as_line(conn) for _ in range(count)]
    else:
        _send_raw(sock, payload)
        lines = _read_raw_lines(sock, count, wait)
    _raise_error_line(lines)
    return lines


def _raw_socket(conn: AbstractConnection) -> socket.socket | None:
    """``conn``'s socket if its replies can be read straight off it, connected and
    health-checked as redis-py's own send would have."""
    if not hasattr(conn, "_sock") or str(getattr(conn, "protocol", 2)) != "2":
        return None  # redis-py has no public way to the raw bytes
    if conn._sock is None:
        conn.connect()  # type: ignore[no-untyped-call]
    else:
        conn.check_health()  # a PING every health_check_interval
    sock: socket.socket | None = conn._sock
    return sock


def _send_raw(sock: socket.socket, payload: bytes) -> None:
    """``payload`` written whole; socket errors come as redis-py's, as from its own sends."""
    try:
        sock.sendall(payload)
    except (TimeoutError, BlockingIOError) as exc:  # Python's timeout, or the kernel's
        raise redis.TimeoutError("Timeout writing to Redis") from exc
    except OSError as exc:
        raise redis.ConnectionError(f"Error while writing to Redis: {exc}") from exc


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


def _read_raw_lines(sock: socket.socket, count: int, wait: ReplyWait | None) -> list[bytes]:
    """The next ``count`` replies on ``sock``, each one line (``+OK``, ``:3``, a nil, an
    ``-ERR``), without their CRLF, in one read of the socket for all of them, where
    redis-py spends ~2 us of Python per reply. Replies of one line hold no LF before their end
    (RESP forbids CR and LF in simple strings and errors), so counting LFs counts
    replies, also across reads that split a CRLF. The connection's parser has nothing
    buffered: every earlier reply on it was read to the end. Socket errors come as
    redis-py's, as from its own reads."""
    chunks: list[bytes] = []
    seen = 0
    try:
        chunk = sock.recv(65536) if wait is None else wait.first_reply(sock)
        while True:
            if not chunk:
                raise redis.ConnectionError("Redis closed the connection before replying")
            chunks.append(chunk)
            seen += chunk.count(b"\n")
            if seen >= count:
                break
            chunk = sock.recv(65536)
    except (TimeoutError, BlockingIOError) as exc:  # Python's timeout, or the kernel's
        raise redis.TimeoutError("Timeout reading from Redis") from exc
    except OSError as exc:
        raise redis.ConnectionError(f"Error while reading from Redis: {exc}") from exc
    lines = b"".join(chunks).split(b"\r\n")
    if seen != count or lines[-1]:  # more than was asked for: the stream is out of step
        raise redis.ConnectionError(f"Redis sent {seen} reply lines where {count} were expected")
    return lines[:-1]


def _raise_error_line(lines: list[bytes]) -> None:
    """Raise the first error reply among ``lines`` (from :func:`_read_raw_lines`), if any."""
    for line in lines:
        if line[:1] == b"-":
            raise redis.ResponseError(line[1:].decode(errors="replace"))


class ReplyWait:
    """How one thread waits for the reply to its push on a blocking socket: it polls the
    socket for up to ``window`` seconds before it sleeps in ``recv``.

    A thread asleep in ``recv`` is woken by the reply, and on a virtual machine the
    wake-up took ~35 us of a ~60 us loopback round trip (this project's 2-core host),
    with as much CPU as polling costs: polled, the same round trip took ~25 us. Each
    poll releases the GIL, so other threads run meanwhile. Two limits keep polling from
    costing anyone else:

    - only a thread that is the process's one sender polls, and it stops as soon as
      another starts sending (:data:`_sending`): sending threads that polled side by side
      took the GIL and the CPU from each other and from Redis (16 threads pushing lost
      ~10% of their rate);
    - a server farther away than ``window`` (another host) makes polling waste, so after
      a reply that was not there in time the next ``skip`` waits sleep at once, twice as
      many after each miss in a row, up to :attr:`MAX_SKIP`.
    """

    MAX_SKIP = 1024
    __slots__ = ("backoff", "skip", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.skip = 0
        self.backoff = 1

    def first_reply(self, sock: socket.socket) -> bytes:
        """The first bytes the server sends back on ``sock``."""
        if self.skip:
            self.skip -= 1
            return sock.recv(65536)
        sending = _sending
        if len(sending) > 1:
            return sock.recv(65536)
        deadline = time.perf_counter() + self.window
        while len(sending) == 1:
            try:
                chunk = sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if time.perf_counter() < deadline:
                    continue
                self.skip, self.backoff = self.backoff, min(2 * self.backoff, self.MAX_SKIP)
                break
            self.backoff = 1
            return chunk
        return sock.recv(65536)


# One entry per thread inside ThreadConnections.send_packed (list append and pop are
# atomic under the GIL, where a counter's += is not): ReplyWait polls only when alone.
_sending: list[None] = []
