"""The core engine on a real 3-master Redis Cluster (hash-tagged prefix: one slot).

A CROSSSLOT error anywhere is a failure: it surfaces either as an exception in
the test or as a logged error of a worker thread, and both are checked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from support import cluster_servers
from support.processes import output, spawn_worker, stop
from support.waiting import wait_for

from workhorse.api import Inspector
from workhorse.client import Client, set_default_client
from workhorse.config import Settings, parse_queues
from workhorse.connection import connect
from workhorse.errors import ConfigError
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess

PREFIX = "{wh}"


@pytest.fixture
def settings(cluster: cluster_servers.Cluster) -> Iterator[Settings]:
    s = cluster_servers.fast_settings(cluster, PREFIX)
    conn = connect(s)
    conn.flushall()
    yield s
    conn.close()


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


def test_cluster_url_without_hash_tag_is_refused(cluster: cluster_servers.Cluster) -> None:
    with pytest.raises(ConfigError, match="hash tag"):
        connect(Settings(redis_url=cluster.url, prefix="wh"))


def test_worker_runs_jobs_retries_schedules_and_reports_on_a_cluster(
    settings: Settings, no_crossslot: None
) -> None:
    import jobs_for_tests as jobs

    client = Client(settings=settings)
    previous = set_default_client(client)
    worker = WorkerProcess(settings.with_changes(queues=parse_queues(["default", "other"])))
    try:
        jobs.record.perform_async("now")
        jobs.record.set(queue="other").perform_async("other-queue")
        jobs.record.perform_in(0.3, "scheduled")
        jobs.record.perform_bulk([[f"bulk{i}"] for i in range(50)])
        jobs.always_fails.perform_async("x")
        jobs.dies_at_once.perform_async()
        worker.start()
        conn = client.redis
        keys = Keys(PREFIX)
        wait_for(lambda: conn.llen("test:ran") == 53, "53 successful jobs on the cluster")
        wait_for(
            lambda: conn.zcard(keys.retry) == 1 and conn.zcard(keys.dead) == 1,
            "one retry and one dead entry",
        )
        wait_for(lambda: conn.get(keys.stat("processed")) == "55", "stats flushed")
        api = Inspector(conn, keys, settings)
        summary = api.stats.summary()
        assert (summary.retries, summary.dead, summary.processes) == (1, 1, 1)
        (retry,) = api.retries.page()
        assert api.retries.retry_now(retry)
        wait_for(
            lambda: conn.zcard(keys.retry) == 1 and api.stats.summary().failed == 3,
            "the manual retry to run and fail again",
        )
        assert [p.identity for p in api.processes.list()] == [worker.identity]
    finally:
        set_default_client(previous)
        worker.stop()
        worker.shutdown()
    assert client.redis.scard(Keys(PREFIX).processes) == 0


def test_worker_process_on_a_cluster_url_stops_gracefully(
    settings: Settings, cluster: cluster_servers.Cluster
) -> None:
    client = Client(settings=settings)
    proc = spawn_worker(cluster.url, "--prefix", PREFIX, "-t", "2")
    try:
        client.enqueue("jobs_for_tests.record", ["via-cli"])
        wait_for(lambda: client.redis.lrange("test:ran", 0, -1) == ["via-cli"], "the job", 20)
        assert stop(proc) == 0
        log = output(proc)
        assert "CROSSSLOT" not in log and "Traceback" not in log, log
    finally:
        stop(proc)
