"""The client's own round trip (issue 24): one connection per thread, commands packed by
workhorse, queues listed on every push, and failures that say what happened."""

from __future__ import annotations

import json
import os
import threading

import jobs_for_tests as jobs
import pytest
import redis
from support.waiting import wait_for

from workhorse import payload, wire
from workhorse.api.queues import Queue
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import RedisUnavailable
from workhorse.keys import Keys
from workhorse.wire import ThreadConnections, pack
from workhorse.wire import lean_connection as lean


def test_pack_writes_resp_arrays_of_bulk_strings() -> None:
    assert pack([("SADD", "queues", "a")]) == b"*3\r\n$4\r\nSADD\r\n$6\r\nqueues\r\n$1\r\na\r\n"
    assert pack([("ZADD", "s", 1.5, b"\xff")]) == (
        b"*4\r\n$4\r\nZADD\r\n$1\r\ns\r\n$3\r\n1.5\r\n$1\r\n\xff\r\n"
    )
    assert pack([("X", "é", 7)]) == b"*3\r\n$1\r\nX\r\n$2\r\n\xc3\xa9\r\n$1\r\n7\r\n"


@pytest.mark.parametrize("queue", ["default", "café ✓"])
def test_one_push_is_packed_as_the_generic_commands_are(
    wh_client: Client, monkeypatch: pytest.MonkeyPatch, queue: str
) -> None:
    monkeypatch.setattr(payload, "timestamp", lambda fmt: 1_700_000_000_000)
    job = wh_client.normalize({"class": "Report", "args": ["naïve ✓", 1.5], "queue": queue})
    generic = pack(wh_client.commands_for([dict(job)]))  # type: ignore[list-item]
    assert wh_client._packed_push(dict(job)) == generic  # type: ignore[arg-type]
    assert wh_client._packed_push(dict(job)) == generic, "from the cached head too"


def test_a_push_lands_on_its_own_queue_whatever_its_name(wh_client: Client, r: redis.Redis) -> None:
    for queue in ("a", "b", "ünïcode", "a"):
        jobs.record.set(queue=queue).perform_async(queue)
    assert r.smembers("queues") == {"a", "b", "ünïcode"}
    assert [json.loads(r.lindex(f"queue:{q}", 0))["args"] for q in ("b", "ünïcode")] == [
        ["b"],
        ["ünïcode"],
    ]
    assert r.llen("queue:a") == 2


@pytest.mark.parametrize("bad", [None, True, object(), ["a"]])
def test_pack_refuses_what_is_not_a_string_or_number(bad: object) -> None:
    with pytest.raises(TypeError, match=r"cannot send .* to Redis"):
        pack([("LPUSH", "queue:default", bad)])


def test_a_push_after_queues_clear_lists_the_queue_again(wh_client: Client, r: redis.Redis) -> None:
    jobs.record.perform_async("first")
    Queue(r, Keys(), "default").clear()
    assert r.smembers("queues") == set() and r.llen("queue:default") == 0
    jobs.record.perform_async("second")
    assert r.smembers("queues") == {"default"}, "the dashboard must see the new job's queue"
    assert json.loads(r.lindex("queue:default", 0))["args"] == ["second"]


def test_pushes_from_many_threads_each_use_their_own_connection(
    wh_client: Client, r: redis.Redis
) -> None:
    def push_many() -> None:
        for i in range(50):
            jobs.record.perform_async(i)

    threads = [threading.Thread(target=push_many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.llen("queue:default") == 400
    assert wh_client.redis.connection_pool._created_connections == 0, "no pool checkout per push"


def test_a_connection_redis_closed_is_replaced_once_and_the_push_lands(
    wh_client: Client, r: redis.Redis
) -> None:
    jobs.record.perform_async("before")
    r.client_kill_filter(_type="normal", skipme=True)  # what a Redis restart or timeout does
    jobs.record.perform_async("after")
    assert [json.loads(x)["args"] for x in r.lrange("queue:default", 0, -1)] == [
        ["after"],
        ["before"],
    ]


def test_a_redis_error_reply_is_raised_and_the_connection_stays_usable(
    wh_client: Client, r: redis.Redis
) -> None:
    r.set("queue:default", "not a list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        jobs.record.perform_async("x")
    r.delete("queue:default")
    jobs.record.perform_async("y")
    assert json.loads(r.lindex("queue:default", 0))["args"] == ["y"]


def test_a_push_redis_does_not_answer_in_time_fails_and_is_not_sent_again(
    redis_url: str, settings: Settings, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel keeps the socket timeout (wire.lean_connection). A push that timed out
    may yet be done by a slow Redis, so it is not resent on a new connection, where a
    second copy could land; the caller hears of it and decides."""
    client = Client(redis.Redis.from_url(redis_url, socket_timeout=0.2), settings, middleware=[])
    client.enqueue("HardJob", ["warm"])
    opened: list[object] = []
    monkeypatch.setattr(wire, "lean_connection", lambda pool: opened.append(pool) or lean(pool))
    r.execute_command("CLIENT", "PAUSE", "5000", "WRITE")
    with pytest.raises(RedisUnavailable, match="did not answer in time: Timeout reading"):
        client.enqueue("HardJob", ["slow"])
    assert opened == [], "no second connection, no second copy"
    r.execute_command("CLIENT", "UNPAUSE")
    client.enqueue("HardJob", ["after"])  # a new connection, once Redis writes again
    assert len(opened) == 1
    # Redis drops what a client it never read from sent, when it goes.
    assert [json.loads(x)["args"][0] for x in r.lrange("queue:default", 0, -1)] == [
        "after",
        "warm",
    ]


def test_a_push_interrupted_before_its_reply_never_reads_it_as_the_next_ones(
    wh_client: Client, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A time limit raised in the thread between send and reply: the connection goes, so
    the late reply cannot answer the next push (which here must fail: WRONGTYPE)."""
    jobs.record.perform_async("warm")
    with monkeypatch.context() as patched:
        patched.setattr(wire, "_read_raw_lines", _interrupted)
        with pytest.raises(KeyboardInterrupt):
            jobs.record.perform_async("interrupted")
    wait_for(lambda: r.llen("queue:default") == 2, "the interrupted push to land")
    r.delete("queue:default")
    r.set("queue:default", "not a list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        jobs.record.perform_async("next")


def _interrupted(*args: object) -> list[bytes]:
    raise KeyboardInterrupt


def test_an_unreachable_redis_is_named_in_the_error() -> None:
    client = Client(settings=Settings(redis_url="redis://127.0.0.1:1/0"), middleware=[])
    with pytest.raises(RedisUnavailable, match=r"cannot reach Redis at redis://127\.0\.0\.1:1/0"):
        client.enqueue("HardJob", ["x"])


def test_a_forked_child_never_writes_on_its_parents_socket(
    wh_client: Client, r: redis.Redis
) -> None:
    jobs.record.perform_async("parent")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        try:
            jobs.record.perform_async("child")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    jobs.record.perform_async("parent again")
    assert sorted(json.loads(x)["args"][0] for x in r.lrange("queue:default", 0, -1)) == [
        "child",
        "parent",
        "parent again",
    ]


def test_sentinel_cluster_and_other_pools_keep_redis_pys_own_path() -> None:
    assert ThreadConnections.supports(redis.Redis())
    assert not ThreadConnections.supports(object())
    blocking = redis.Redis(connection_pool=redis.BlockingConnectionPool())
    assert not ThreadConnections.supports(blocking), "a pool of the user's choice is kept"


def test_a_thread_that_ends_closes_its_connection(wh_client: Client, r: redis.Redis) -> None:
    db = str(r.connection_pool.connection_kwargs.get("db", 0))

    def clients() -> int:  # on this test's database only: other tests come and go
        return sum(1 for c in r.client_list() if str(c.get("db")) == db)

    jobs.record.perform_async("warm")  # this thread's own connection, kept
    before = clients()
    thread = threading.Thread(target=jobs.record.perform_async, args=("from a thread",))
    thread.start()
    thread.join()
    del thread
    wait_for(lambda: clients() == before, "the finished thread's connection to close")
