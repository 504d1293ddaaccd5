"""HeldRedis: a job thread's commands on a connection of its own, with redis-py's replies."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
from collections.abc import Iterator

import pytest
import redis

from workhorse.async_redis import LoopRedis, like
from workhorse.connection import connect
from workhorse.held import HeldRedis, hold


@pytest.fixture
def client(redis_url: str) -> Iterator[HeldRedis]:
    made = connect(redis_url)
    assert isinstance(made, HeldRedis), "plain URLs give a client whose threads can hold"
    yield made
    made.close()


def _in_thread(call: object) -> object:
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(call()))  # type: ignore[operator]
    thread.start()
    thread.join()
    return box[0]


def test_a_holding_thread_sends_every_command_on_its_own_connection(client: HeldRedis) -> None:
    release = client.hold()
    try:
        first = client.client_id()
        assert [client.client_id() for _ in range(5)] == [first] * 5
        assert _in_thread(client.client_id) != first, "other threads keep the pool"
        assert client.connection_pool._created_connections == 1  # that one thread's only
    finally:
        release()
    assert client.client_id() != first, "released: back to the pool"


def test_a_forked_child_of_a_holding_thread_never_shares_its_connection(
    client: HeldRedis,
) -> None:
    release = client.hold()
    try:
        parent_id = client.client_id()
        pid = os.fork()
        if pid == 0:  # the child: the thread that forked lives on here
            ok = getattr(client._held, "conn", None) is None and client.client_id() != parent_id
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert client.client_id() == parent_id, "the parent keeps its connection"
    finally:
        release()


def test_replies_are_what_redis_py_gives_decoded_and_shaped(client: HeldRedis) -> None:
    client.hset("h", mapping={"a": "1", "b": "2"})
    client.zadd("z", {"x": 1.5})
    expected = (client.hgetall("h"), client.zrange("z", 0, -1, withscores=True), client.exists("h"))
    release = client.hold()
    try:
        assert (
            client.hgetall("h"),
            client.zrange("z", 0, -1, withscores=True),
            client.exists("h"),
        ) == expected
        assert client.set("k", "v", get=True) is None
        assert client.get("k") == "v"
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            client.incr("h")
        assert client.ping() is True, "an error reply leaves the connection in step"
        assert client.register_script("return ARGV[1]")(args=["s"]) == "s"
    finally:
        release()


def test_a_connection_redis_dropped_costs_the_command_nothing(client: HeldRedis) -> None:
    release = client.hold()
    try:
        held_id = client.client_id()
        client.client_setname("held")
        redis.Redis(connection_pool=client.connection_pool).client_kill_filter(
            _id=held_id, skipme=True
        )
        assert client.incr("n") == 1, "sent again through redis-py's retries"
        assert client.client_id() != held_id, "and the thread reconnected"
    finally:
        release()


def test_a_command_interrupted_before_its_reply_never_leaves_that_reply_behind(
    client: HeldRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.set("a", "first")
    client.set("b", "second")
    release = client.hold()
    real = redis.Redis.parse_response

    def interrupted(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(redis.Redis, "parse_response", real)
        raise TimeoutError("a time limit raised in the thread")  # not redis-py's own

    try:
        monkeypatch.setattr(redis.Redis, "parse_response", interrupted)
        with pytest.raises(TimeoutError):
            client.get("a")
        assert client.get("b") == "second", "not a's late reply"
    finally:
        release()


def test_a_held_socket_keeps_its_timeout_in_the_kernel_and_a_silent_redis_times_out(
    redis_url: str,
) -> None:
    """No Python-level timeout on the held socket (it would poll before every send and
    receive); a command Redis does not answer in time still fails as redis-py's
    TimeoutError, from its pooled path, which the held path hands a broken command to."""
    client = HeldRedis.from_url(redis_url, socket_timeout=0.2)
    other = redis.Redis.from_url(redis_url)
    release = client.hold()
    try:
        client.incr("n")
        sock = client._held.conn._sock
        assert sock.gettimeout() is None
        limit = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)
        seconds, micros = struct.unpack("@ll", limit)
        assert seconds == 0 and abs(micros - 200_000) < 10_000  # the kernel counts in ticks
        other.execute_command("CLIENT", "PAUSE", "5000", "WRITE")
        try:
            with pytest.raises(redis.TimeoutError):
                client.incr("n")
        finally:
            other.execute_command("CLIENT", "UNPAUSE")
        assert client.incr("n") >= 2, "the thread reconnects and goes on"
    finally:
        release()
        client.close()
        other.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_either_protocol_holds_with_redis_py_replies(redis_url: str, protocol: int) -> None:
    client = HeldRedis.from_url(redis_url, protocol=protocol, decode_responses=True)
    client.hset("h", mapping={"a": "1"})
    release = client.hold()
    try:
        assert client._held.conn is not None
        assert client.hgetall("h") == {"a": "1"}
        assert client.incr("n") == 1
        assert client._held.conn.protocol == protocol
    finally:
        release()
        client.close()


def test_hold_is_a_no_op_for_other_clients(redis_url: str) -> None:
    plain = redis.Redis.from_url(redis_url)
    hold(plain)()  # nothing held, nothing to close
    assert plain.ping()
    plain.close()


# -- the async lane's client (async_redis.LoopRedis) ---------------------------------


def _loop_client(redis_url: str) -> LoopRedis:
    client = like(redis.Redis.from_url(redis_url, decode_responses=True))
    assert isinstance(client, LoopRedis)
    return client


def test_loop_client_commands_reuse_idle_connections_with_redis_py_replies(
    r: redis.Redis, redis_url: str
) -> None:
    r.hset("h", mapping={"a": "1"})
    r.zadd("z", {"x": 1.5})

    async def scenario() -> None:
        client = _loop_client(redis_url)
        ids = {await client.client_id() for _ in range(5)}
        assert len(ids) == 1, "one command at a time: one connection, reused"
        assert await client.hgetall("h") == {"a": "1"}
        assert await client.zrange("z", 0, -1, withscores=True) == [("x", 1.5)]
        assert await client.set("k", "v", get=True) is None
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            await client.incr("h")
        assert await client.ping() is True, "an error reply leaves the connection in step"
        together = await asyncio.gather(*(client.incr("n") for _ in range(20)))
        assert sorted(together) == list(range(1, 21))
        assert 1 < len(client._idle) <= 20, "commands in flight at once, a connection each"
        await client.aclose()
        assert client._idle == []

    asyncio.run(scenario())


def test_loop_client_a_dropped_connection_costs_the_command_nothing(
    r: redis.Redis, redis_url: str
) -> None:
    async def scenario() -> None:
        client = _loop_client(redis_url)
        held_id = await client.client_id()
        r.client_kill_filter(_id=held_id, skipme=True)
        assert await client.incr("n") == 1, "sent again through redis-py's retries"
        assert await client.client_id() != held_id
        await client.aclose()

    asyncio.run(scenario())


def test_loop_client_a_command_cancelled_before_its_reply_leaves_no_reply_behind(
    r: redis.Redis, redis_url: str
) -> None:
    r.rpush("slow", "x")

    async def scenario() -> None:
        client = _loop_client(redis_url)
        await client.set("b", "second")
        waiting = asyncio.ensure_future(client.blpop(["empty"], timeout=2))
        await asyncio.sleep(0.1)
        waiting.cancel()  # as a time limit cancels a job's task
        with pytest.raises(asyncio.CancelledError):
            await waiting
        r.rpush("empty", "late")  # would be the blocked pop's reply
        assert await client.get("b") == "second", "not the cancelled pop's late reply"
        await client.aclose()

    asyncio.run(scenario())
