"""Issue 18 beyond one Redis: handles, results and cancellation on a Redis Cluster
(hash-tagged prefix) and over shards (a handle asks the shard that owns the job's queue)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import redis
from support import cluster_servers, redis_server
from support.processes import output, spawn_worker, stop

import workhorse
from workhorse.client import Client
from workhorse.connection import connect
from workhorse.keys import Keys
from workhorse.sharding import ShardedClient, Shards

PREFIX = "{wh}"


@pytest.fixture
def no_crossslot(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    bad = [
        r.getMessage()
        for r in caplog.records
        if "CROSSSLOT" in r.getMessage() or (r.exc_text and "CROSSSLOT" in r.exc_text)
    ]
    assert not bad, bad


def test_results_status_and_cancel_on_a_cluster(
    cluster: cluster_servers.Cluster, no_crossslot: None
) -> None:
    settings = cluster_servers.fast_settings(cluster, PREFIX)
    connect(settings).flushall()
    client = Client(settings=settings)
    later = client.enqueue("lifecycle_jobs.add", [1, 1], at=4_000_000_000)
    stored = client.enqueue("lifecycle_jobs.add", [2, 3])
    dies = client.enqueue("lifecycle_jobs.explodes", ["on-a-cluster"], retry=0)
    assert later is not None and stored is not None and dies is not None
    assert later.status().state == "scheduled" and later.cancel() == "removed"
    proc = spawn_worker(cluster.url, "--prefix", PREFIX, "-t", "2", jobs="lifecycle_jobs")
    try:
        assert stored.result(timeout=20) == 5, output(proc)
        with pytest.raises(workhorse.JobFailed, match="on-a-cluster"):
            dies.result(timeout=20)
    finally:
        stop(proc, 15)
        print(output(proc))
    assert later.status().state == "cancelled"
    assert Keys(PREFIX).result(str(stored)).startswith("{wh}:")


@pytest.fixture
def two_servers() -> Iterator[list[redis_server.RedisServer]]:
    started = [redis_server.start(databases=1) for _ in range(2)]
    yield started
    for server in started:
        server.stop()


def test_a_handle_asks_the_shard_that_owns_its_queue(
    two_servers: list[redis_server.RedisServer],
) -> None:
    urls = [s.url(0) for s in two_servers]
    shards = Shards.from_urls(urls)
    far = next(q for q in (f"q{i}" for i in range(100)) if shards.shard_for(q) == "shard1")
    handle = ShardedClient(shards).enqueue(
        "lifecycle_jobs.add", [4, 5], queue=far, store_result=True
    )
    assert handle is not None
    owner = redis.Redis.from_url(urls[1], decode_responses=True)
    assert json.loads(owner.lindex(f"queue:{far}", 0))["jid"] == handle
    assert handle.status().state == "queued"  # found on shard1, not the first shard
    argv = ["-q", far, "-t", "2", "--shard", urls[0], "--shard", urls[1]]
    proc = spawn_worker(urls[0], *argv, jobs="lifecycle_jobs")
    try:
        assert handle.result(timeout=20) == 9
    finally:
        stop(proc, 15)
