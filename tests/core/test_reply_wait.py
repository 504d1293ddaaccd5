"""How a pushing thread waits for Redis's reply (issue 24): it polls its socket for a
moment before it sleeps, only while it is the one thread sending, and stops polling
for a while when replies come slower than that moment (a Redis on another host)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest
import redis

from workhorse.config import Settings
from workhorse.errors import ConfigError, InputError
from workhorse.wire import ReplyWait, ThreadConnections, _sending

REPLY = b":1\r\n"


class ScriptedSocket:
    """Answers a non-blocking recv with nothing for ``empty_polls`` polls, then the reply;
    a blocking recv always gets the reply. Records each call's flags."""

    def __init__(self, empty_polls: int = 0) -> None:
        self.empty_polls = empty_polls
        self.flags: list[int] = []

    def recv(self, _size: int, flags: int = 0) -> bytes:
        self.flags.append(flags)
        if flags & socket.MSG_DONTWAIT and self.empty_polls:
            self.empty_polls -= 1
            raise BlockingIOError
        return REPLY


SLEEP, POLL = 0, socket.MSG_DONTWAIT


@pytest.fixture
def one_sender() -> Iterator[None]:
    """This thread is inside a push, as ThreadConnections.send_packed marks it."""
    _sending.append(None)
    yield
    _sending.pop()


def first_reply(wait: ReplyWait, sock: ScriptedSocket) -> bytes:
    return wait.first_reply(sock)  # type: ignore[arg-type]


def test_a_reply_that_comes_while_polling_is_taken_without_sleeping(one_sender: None) -> None:
    sock = ScriptedSocket(empty_polls=3)
    assert first_reply(ReplyWait(window=1.0), sock) == REPLY
    assert sock.flags == [POLL, POLL, POLL, POLL]


def test_a_reply_slower_than_the_window_is_slept_for_and_the_next_waits_sleep_at_once(
    one_sender: None,
) -> None:
    wait = ReplyWait(window=0.0)  # every poll comes too late
    sock = ScriptedSocket(empty_polls=1_000)
    assert first_reply(wait, sock) == REPLY
    assert sock.flags == [POLL, SLEEP]
    sock.flags.clear()
    first_reply(wait, sock)  # skipped: a miss skips the next wait's polling
    assert sock.flags == [SLEEP]
    sock.flags.clear()
    first_reply(wait, sock)  # polls again, misses again: now two waits sleep at once
    first_reply(wait, sock)
    first_reply(wait, sock)
    assert sock.flags == [POLL, SLEEP, SLEEP, SLEEP]


def test_a_reply_in_time_after_misses_resets_the_skipping(one_sender: None) -> None:
    wait = ReplyWait(window=0.0)
    for _ in range(3):  # miss, skip 1, miss, skip 2 ...
        while wait.skip:
            first_reply(wait, ScriptedSocket())
        first_reply(wait, ScriptedSocket(empty_polls=1_000))
    assert wait.backoff == 8
    while wait.skip:
        first_reply(wait, ScriptedSocket())
    hit = ScriptedSocket(empty_polls=0)
    first_reply(wait, hit)
    assert hit.flags == [POLL]
    assert (wait.skip, wait.backoff) == (0, 1)


def test_the_skipping_never_grows_past_its_cap(one_sender: None) -> None:
    wait = ReplyWait(window=0.0)
    for _ in range(20):
        wait.skip = 0
        first_reply(wait, ScriptedSocket(empty_polls=1_000))
    assert wait.skip <= ReplyWait.MAX_SKIP and wait.backoff == ReplyWait.MAX_SKIP


def test_a_thread_does_not_poll_while_another_is_sending(one_sender: None) -> None:
    _sending.append(None)  # a second thread inside a push
    try:
        sock = ScriptedSocket()
        first_reply(ReplyWait(window=1.0), sock)
    finally:
        _sending.pop()
    assert sock.flags == [SLEEP]


def test_a_lean_connection_blocks_in_the_kernel_with_the_clients_timeout(redis_url: str) -> None:
    """No Python-level timeout (which polls before every send and receive); the kernel
    keeps the client's socket_timeout instead."""
    client = redis.Redis.from_url(redis_url, socket_timeout=0.25)
    wire = ThreadConnections(client, reply_poll=50e-6)
    assert wire.send([("PING",)]) == [b"+PONG"]
    sock = wire._local.conn._sock
    assert sock.gettimeout() is None
    limit = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)
    seconds, micros = struct.unpack("@ll", limit)
    assert seconds == 0 and abs(micros - 250_000) < 10_000  # the kernel counts in ticks
    assert isinstance(wire._local.wait, ReplyWait)
    wire.close()


def test_polling_off_leaves_the_thread_asleep_in_recv(redis_url: str) -> None:
    wire = ThreadConnections(redis.Redis.from_url(redis_url), reply_poll=0.0)
    assert wire.send([("PING",)]) == [b"+PONG"]
    assert wire._local.wait is None
    wire.close()


def test_the_reply_poll_is_a_setting_with_a_clear_error() -> None:
    assert Settings().reply_poll_us == 50.0
    assert Settings.from_env({"WORKHORSE_REPLY_POLL_US": "0"}).reply_poll_us == 0.0
    with pytest.raises(InputError, match="WORKHORSE_REPLY_POLL_US='soon' is not a number"):
        Settings.from_env({"WORKHORSE_REPLY_POLL_US": "soon"})
    for bad in ("-1", "nan", "20000"):
        with pytest.raises(ConfigError, match=r"reply poll must be 0 .* to 10000 microseconds"):
            Settings.from_env({"WORKHORSE_REPLY_POLL_US": bad})
