"""Workers on a Sentinel-managed primary follow failovers by themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from support import cluster_servers
from support.processes import output, spawn_worker, stop
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings


@pytest.fixture
def sentinels() -> Iterator[cluster_servers.SentinelGroup]:
    group = cluster_servers.start_sentinels()
    yield group
    group.stop()


def primary_port(group: cluster_servers.SentinelGroup) -> int:
    _, port = group.sentinel().sentinel_get_master_addr_by_name(group.service)
    return int(port)


def test_worker_follows_failover_and_primary_crash(
    sentinels: cluster_servers.SentinelGroup,
) -> None:
    url = sentinels.url
    client = Client(settings=Settings(redis_url=url))
    worker = spawn_worker(url, "-t", "2", env={"WORKHORSE_FETCH_TIMEOUT": "1"})
    ran = lambda: client.redis.lrange("test:ran", 0, -1)  # noqa: E731
    try:
        client.enqueue("jobs_for_tests.record", ["before"])
        wait_for(lambda: ran() == ["before"], "a job before the failover", 20)

        first = primary_port(sentinels)
        sentinels.sentinel().execute_command("SENTINEL", "FAILOVER", sentinels.service)
        wait_for(lambda: primary_port(sentinels) != first, "sentinels to promote the replica", 30)
        wait_for(lambda: _replicating(first), "the demoted primary to replicate the new one", 30)
        wait_for(
            lambda: _try_enqueue(client, "after-failover"),
            "the client to reach the new primary",
            30,
        )
        wait_for(
            lambda: "after-failover" in ran(), "the worker to run a job after the failover", 30
        )

        promoted = primary_port(sentinels)
        victim = sentinels.primary if sentinels.primary.port == promoted else sentinels.replica
        victim.process.kill()
        victim.process.wait()
        wait_for(
            lambda: primary_port(sentinels) != promoted,
            "sentinels to replace the killed primary",
            40,
        )
        wait_for(
            lambda: _try_enqueue(client, "after-crash"), "the client to reach the survivor", 30
        )
        wait_for(lambda: "after-crash" in ran(), "the worker to run a job after the crash", 40)
    finally:
        stop(worker)
    print(output(worker))


def _try_enqueue(client: Client, marker: str) -> bool:
    try:
        client.enqueue("jobs_for_tests.record", [marker])
        return True
    except Exception:  # noqa: BLE001 - reconnecting through the failover
        return False


def _replicating(port: int) -> bool:
    """True once the server on ``port`` is a replica in sync with its primary."""
    info = redis.Redis(port=port, decode_responses=True).info("replication")
    return info.get("role") == "slave" and info.get("master_link_status") == "up"
