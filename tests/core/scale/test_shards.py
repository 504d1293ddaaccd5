"""Queues spread over independent Redis servers: routing, and a worker over all shards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from support import redis_server
from support.waiting import wait_for

from workhorse.errors import ConfigError
from workhorse.sharding import ShardedClient, Shards

CORE_TESTS = Path(__file__).parent.parent


@pytest.fixture
def servers() -> Iterator[list[redis_server.RedisServer]]:
    started = [redis_server.start(databases=1) for _ in range(3)]
    yield started
    for server in started:
        server.stop()


def test_consistent_hashing_is_stable_and_spreads_queues() -> None:
    shards = Shards.from_urls(["redis://a", "redis://b", "redis://c"])
    owners = Counter(shards.shard_for(f"queue{i}") for i in range(3_000))
    assert set(owners) == {"shard0", "shard1", "shard2"}
    assert min(owners.values()) > 700  # roughly a third each
    grown = Shards.from_urls(["redis://a", "redis://b", "redis://c", "redis://d"])
    moved = sum(shards.shard_for(f"queue{i}") != grown.shard_for(f"queue{i}") for i in range(3_000))
    assert moved < 3_000 * 0.4  # only about a quarter of queues move to the new shard


def test_explicit_routes_win_and_must_name_known_shards() -> None:
    shards = Shards({"a": "redis://a", "b": "redis://b"}, routes={"critical": "b"})
    assert shards.shard_for("critical") == "b"
    with pytest.raises(ConfigError, match="unknown shard"):
        Shards({"a": "redis://a"}, routes={"critical": "z"})


def test_sharded_client_and_worker_over_three_servers(
    servers: list[redis_server.RedisServer],
) -> None:
    urls = [s.url(0) for s in servers]
    shards = Shards.from_urls(urls)
    client = ShardedClient(shards)
    queues = [f"q{i}" for i in range(9)]
    for queue in queues:
        client.enqueue("jobs_for_tests.record", [queue], queue=queue)
    conns = [redis.Redis.from_url(u, decode_responses=True) for u in urls]
    for queue in queues:
        owner = conns[int(shards.shard_for(queue)[-1])]
        assert json.loads(owner.lindex(f"queue:{queue}", 0))["args"] == [queue]
    argv = [sys.executable, "-m", "workhorse", "worker", "-r", "jobs_for_tests", "-t", "2"]
    for url in urls:
        argv += ["--shard", url]
    for queue in queues:
        argv += ["-q", queue]
    proc = subprocess.Popen(
        argv,
        cwd=CORE_TESTS,
        env={**os.environ, "PYTHONPATH": str(CORE_TESTS)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ran = lambda: sorted(x for c in conns for x in c.lrange("test:ran", 0, -1))  # noqa: E731
        wait_for(lambda: ran() == sorted(queues), "every queue's job on its own shard", 20)
        assert sum(c.scard("processes") for c in conns) == len(
            {shards.shard_for(q) for q in queues}
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_supervised_sharded_process_told_to_stop_says_so_in_its_exit_code(
    redis_srv: redis_server.RedisServer, redis_url: str, r: redis.Redis
) -> None:
    from workhorse.worker.supervisor import EXIT_STOPPED, SUPERVISOR_ENV

    url = redis_srv.url(int(redis_url.rsplit("=", 1)[1]), tcp=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workhorse",
            "worker",
            "-r",
            "jobs_for_tests",
            "-t",
            "1",
            "--shard",
            url,
        ],
        cwd=CORE_TESTS,
        env={**os.environ, "PYTHONPATH": str(CORE_TESTS), SUPERVISOR_ENV: str(os.getpid())},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        (identity,) = wait_for(lambda: r.smembers("processes"), "the process to register", 20)
        r.lpush(f"{identity}-signals", "TERM")  # a dashboard's Stop
        assert proc.wait(20) == EXIT_STOPPED  # so its supervisor does not restart it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
