"""Socket timeouts kept by the kernel instead of by Python (issue 24).

Python puts a socket with a timeout in non-blocking mode and polls it before every
send and every receive, releasing and taking back the GIL around each: a Redis
command costs four system calls instead of two, and under GIL contention (a worker's
job threads) each extra release can cost a thread switch. A blocking socket whose
limit the kernel keeps (SO_RCVTIMEO/SO_SNDTIMEO) holds the same limit without them:
a send or receive that runs out of time ends with EAGAIN, which redis-py reports as a
ConnectionError ("Resource temporarily unavailable") and workhorse's own reads as
redis-py's TimeoutError. TLS sockets keep Python's timeout: a kernel timeout could
end an SSL read in the middle of a record.
"""

from __future__ import annotations

import socket
import struct
import sys

from redis.connection import AbstractConnection

# Windows takes the limit as milliseconds in a DWORD, not a struct timeval: there the
# sockets keep Python's timeouts.
_TIMEVAL = sys.platform != "win32"


def keep_timeouts_in_kernel(conn: AbstractConnection) -> None:
    """Put ``conn``'s connected plain (TCP or unix) socket in blocking mode, with its
    ``socket_timeout`` kept by the kernel; other sockets are left as they are."""
    sock = getattr(conn, "_sock", None)
    if type(sock) is not socket.socket or not _TIMEVAL:
        return
    timeout = conn.socket_timeout
    sock.settimeout(None)
    if timeout:
        limit = struct.pack("@ll", int(timeout), int(timeout % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
