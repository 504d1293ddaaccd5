"""Pro and Enterprise features on a real 3-master Redis Cluster with a hash-tagged prefix:
reliable fetch, batches, rate limiters and periodic jobs. A CROSSSLOT error anywhere fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import jobs_for_tests as jobs
import pytest
from support import cluster_servers
from support.licenses import licensed
from support.waiting import wait_for

from workhorse.client import Client, set_default_client
from workhorse.connection import connect
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import limits
from workhorse_enterprise.periodic import registry
from workhorse_pro import Batch, BatchStatus
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.keys import ReliableKeys
from workhorse_pro.reliable.scripts import ReliableScripts

PREFIX = "{wh}"


@pytest.fixture
def cluster_worker(
    cluster: cluster_servers.Cluster, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[WorkerProcess, Client]]:
    caplog.set_level(logging.WARNING)
    settings = cluster_servers.fast_settings(
        cluster, PREFIX, extras={"leader_lease": 1.0, "leader_renew": 0.3, "leader_retry": 0.2}
    )
    connect(settings).flushall()
    with licensed(("enterprise",)):
        registry.clear()
        registry.register(job=jobs.record, every=1, name="tick", args=["tick"])
        client = Client(settings=settings)
        previous = set_default_client(client)
        worker = WorkerProcess(settings)
        worker.start()
        try:
            yield worker, client
        finally:
            worker.stop()
            worker.shutdown()
            registry.clear()
            set_default_client(previous)
    bad = [
        r.getMessage()
        for r in caplog.records
        if "CROSSSLOT" in r.getMessage() or (r.exc_text and "CROSSSLOT" in r.exc_text)
    ]
    assert not bad, bad


def test_paid_features_run_on_a_cluster(cluster_worker: tuple[WorkerProcess, Client]) -> None:
    worker, client = cluster_worker
    conn = client.redis
    assert isinstance(worker.fetcher, ReliableFetch)

    jobs.record.perform_bulk([[f"r{i}"] for i in range(100)])
    with Batch(description="cluster", on_complete=jobs.record) as batch:
        for i in range(10):
            jobs.record.perform_async(f"b{i}")
    limiter = limits.bucket("cluster-bucket", 5, per="minute")
    with limiter:
        pass

    ran = lambda: conn.lrange("test:ran", 0, -1)  # noqa: E731
    wait_for(lambda: sum(x.startswith(("r", "b")) for x in ran()) >= 110, "110 jobs", 30)
    wait_for(
        lambda: BatchStatus(batch.bid, client).complete_at is not None,
        "the batch's complete callback",
        30,
    )
    wait_for(lambda: ran().count("tick") >= 2, "two periodic ticks from the leader", 30)
    keys = Keys(PREFIX)
    assert conn.get(keys.key("dear-leader")) == worker.identity
    pattern = ReliableKeys(keys).in_progress_pattern()
    scripts = ReliableScripts(conn, ReliableKeys(keys))

    def unacknowledged() -> list[str]:
        # Periodic ticks keep arriving every second, so only our jobs must be gone.
        held = [v for k in conn.scan_iter(match=pattern) for v in scripts.unfinished(k)]
        return [v for v in held if '"tick"' not in v]

    wait_for(lambda: not unacknowledged(), "every finished job to be acknowledged", 15)
