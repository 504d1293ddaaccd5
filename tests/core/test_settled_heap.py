"""A worker process takes its start-up objects out of the garbage collector's sight
(``gc.freeze``), so no full collection walks them while jobs run (issue 24); a worker
embedded in another program leaves that program's collector alone."""

from __future__ import annotations

import gc
import subprocess
from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.processes import spawn_worker
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess


def test_a_worker_process_freezes_what_start_up_built(
    redis_url: str, r: redis.Redis, wh_client: Client, procs: list[subprocess.Popen[bytes]]
) -> None:
    procs.append(spawn_worker(redis_url))
    jobs.record_frozen.perform_async()
    wait_for(lambda: r.llen("test:frozen"), "the job to run")
    assert int(r.lindex("test:frozen", 0)) > 10_000, "imports, plugins and settings"


def test_a_worker_started_in_process_does_not_freeze_its_hosts_objects(
    start_worker: Callable[..., WorkerProcess],
) -> None:
    before = gc.get_freeze_count()
    start_worker()
    assert gc.get_freeze_count() == before
