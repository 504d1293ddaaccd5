"""The fetch thread's own connection: one socket, recovered after a drop, scripts reloaded."""

from __future__ import annotations

import pytest
import redis

from workhorse.dedicated import DedicatedConnection

NAME = "workhorse-fetch-test"


def test_commands_share_one_connection_kept_out_of_the_pool(r: redis.Redis) -> None:
    send = DedicatedConnection(r)
    send("CLIENT", "SETNAME", NAME)
    r.rpush("q", "a", "b", "c")
    assert send("RPOP", "q", 2) == ["c", "b"]
    assert send("CLIENT", "GETNAME") == NAME  # still the same socket
    pooled = r.connection_pool.get_connection()
    try:
        pooled.send_command("CLIENT", "GETNAME")
        assert pooled.read_response() != NAME  # the pool never hands it to anyone else
    finally:
        r.connection_pool.release(pooled)
    send.close()


def test_a_dropped_connection_fails_one_call_and_the_next_reconnects(r: redis.Redis) -> None:
    send = DedicatedConnection(r)
    send("CLIENT", "SETNAME", NAME)
    r.client_kill_filter(_type=None, skipme=True, client_id=_client_id(r, NAME))
    with pytest.raises(redis.ConnectionError):
        send("PING")
    assert send("PING") == "PONG"
    send.close()


def test_a_script_redis_forgot_is_loaded_again(r: redis.Redis) -> None:
    send = DedicatedConnection(r)
    script = r.register_script("return ARGV[1] .. KEYS[1]")
    assert send.evalsha(script, ["k"], ["v"]) == "vk"  # never loaded before
    r.script_flush()
    assert send.evalsha(script, ["k"], ["w"]) == "wk"
    send.close()


def test_error_replies_raise_and_leave_the_connection_usable(r: redis.Redis) -> None:
    send = DedicatedConnection(r)
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        send("RPOP", "s", 1)
    assert send("PING") == "PONG"
    send.close()


def test_a_script_and_the_commands_after_it_share_one_round_trip(r: redis.Redis) -> None:
    send = DedicatedConnection(r)
    script = r.register_script("redis.call('RPUSH', KEYS[1], ARGV[1]); return 1")
    assert send.evalsha_then(script, ["l"], ["a"], ("LRANGE", "l", 0, -1)) == [1, ["a"]]
    r.script_flush()  # forgotten: the script is loaded and everything runs again, once
    assert send.evalsha_then(script, ["l"], ["b"], ("LRANGE", "l", 0, -1)) == [1, ["a", "b"]]
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        send.evalsha_then(script, ["l"], ["c"], ("RPOP", "s", 1), ("LLEN", "l"))
    assert send("PING") == "PONG", "every reply was read: the connection is still in step"
    assert r.lrange("l", 0, -1) == ["a", "b", "c"]
    send.close()


def _client_id(r: redis.Redis, name: str) -> int:
    return next(int(c["id"]) for c in r.client_list() if c.get("name") == name)


def test_without_decoding_replies_are_the_stored_bytes(r: redis.Redis) -> None:
    send = DedicatedConnection(r, decode=False)
    r.rpush("q", b"caf\xe9", "ok")
    assert send("RPOP", "q", 2) == [b"ok", b"caf\xe9"]  # not UTF-8, and no error
    assert send("PING") == b"PONG"
    send.close()


def _sets(*pairs: tuple[str, str]) -> bytes:
    return b"".join(
        b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k.encode(), len(v), v.encode())
        for k, v in pairs
    )


@pytest.mark.parametrize("protocol", [2, 3], ids=["RESP2, off the socket", "RESP3, by redis-py"])
def test_packed_commands_with_one_line_replies_come_back_as_those_lines(
    r: redis.Redis, redis_url: str, protocol: int
) -> None:
    client = redis.Redis.from_url(redis_url, protocol=protocol)
    send = DedicatedConnection(client, decode=False)
    many = [(f"k{n}", "v" * n) for n in range(2000)]  # replies spread over several reads
    lines = send.send_packed_lines(_sets(*many) + b"*1\r\n$6\r\nDBSIZE\r\n", 2001)
    assert lines == [b"+OK"] * 2000 + [b":2000"]
    assert r.get("k1999") == "v" * 1999
    nil = b"*4\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nx\r\n$2\r\nNX\r\n"
    assert send.send_packed_lines(nil, 1) == [b"$-1"]
    r.rpush("list", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        send.send_packed_lines(b"*2\r\n$4\r\nINCR\r\n$4\r\nlist\r\n", 1)
    send.close()
    client.close()


def test_an_error_among_packed_replies_is_raised_after_every_reply_was_read(
    r: redis.Redis,
) -> None:
    send = DedicatedConnection(r, decode=False)
    r.rpush("list", "x")
    data = _sets(("a", "1")) + b"*2\r\n$4\r\nINCR\r\n$4\r\nlist\r\n" + _sets(("b", "2"))
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        send.send_packed_lines(data, 3)
    assert r.mget("a", "b") == ["1", "2"], "the commands around the error still ran"
    assert send("PING") == b"PONG", "the connection is still in step"
    send.close()


def test_a_connection_dropped_before_the_replies_fails_the_call_and_the_next_reconnects(
    r: redis.Redis,
) -> None:
    send = DedicatedConnection(r, decode=False)
    send("CLIENT", "SETNAME", NAME)
    r.client_kill_filter(_type=None, skipme=True, client_id=_client_id(r, NAME))
    with pytest.raises(redis.ConnectionError):
        send.send_packed_lines(_sets(("a", "1")), 1)
    assert send.send_packed_lines(_sets(("a", "2")), 1) == [b"+OK"]
    assert r.get("a") == "2"
    send.close()
