"""Pro's reliable fetch across a Sentinel failover: every job that reached the replica runs.

Runs are recorded in a separate 'witness' Redis, so a lost record can't pass for a lost job.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from support import cluster_servers, redis_server
from support.licenses import subprocess_env, worker_command
from support.processes import stop_all
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings

HERE = Path(__file__).parent
JOBS = 3_000


@pytest.fixture
def witness() -> Iterator[redis_server.RedisServer]:
    server = redis_server.start(databases=1)
    yield server
    server.stop()


def test_no_job_is_lost_across_a_failover_with_reliable_fetch(
    witness: redis_server.RedisServer,
) -> None:
    group = cluster_servers.start_sentinels()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        client = Client(settings=Settings(redis_url=group.url))
        client.push_bulk({"class": "failover_jobs.witnessed", "args": [n]} for n in range(JOBS))
        client.redis.execute_command("WAIT", 1, 5000)  # every job is on the replica too
        env = subprocess_env(
            ("pro",),
            PYTHONPATH=str(HERE),
            WH_WITNESS_URL=witness.url(0),
            WORKHORSE_FETCH_TIMEOUT="1",
        )
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    worker_command(
                        "worker", "-r", "failover_jobs", "--redis-url", group.url, "-c", "10"
                    ),
                    cwd=HERE,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        runs = redis.Redis.from_url(witness.url(0), decode_responses=True)
        wait_for(lambda: runs.hlen("runs") >= 300, "the workers to get going", 30)
        started = time.monotonic()
        group.sentinel().execute_command("SENTINEL", "FAILOVER", group.service)
        wait_for(lambda: runs.hlen("runs") == JOBS, "every job to run after the failover", 90)
        counts = [int(v) for v in runs.hvals("runs")]
        twice = sum(1 for c in counts if c > 1)
        print(
            f"\n{JOBS} jobs across a SENTINEL FAILOVER: 0 lost, {twice} ran more than once, "
            f"all done {time.monotonic() - started:.1f} s after the failover began"
        )
    finally:
        stop_all(procs, 20)
        group.stop()
