"""Redis going away mid-run: the worker logs it once, backs off, and resumes by itself."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from support import redis_server
from support.processes import output, spawn_worker, stop
from support.waiting import wait_for


@pytest.mark.parametrize(
    ("job", "ran"),
    [
        ("record", ""),
        # Async jobs only: by the outage the async lane fetches on its own event loop.
        ("async_record", "async:"),
    ],
)
def test_worker_survives_a_redis_restart(tmp_path: Path, job: str, ran: str) -> None:
    directory = str(tmp_path / "redis")
    server = redis_server.start(directory=directory, appendonly=True)
    url = server.url(0, tcp=True)
    worker = spawn_worker(url, "-t", "2", env={"WORKHORSE_FETCH_TIMEOUT": "1"})
    try:
        r = redis.Redis.from_url(url, decode_responses=True)
        r.lpush("queue:default", f'{{"class":"jobs_for_tests.{job}","args":["before"],"jid":"a"}}')
        wait_for(lambda: r.lrange("test:ran", 0, -1) == [f"{ran}before"], "the first job")
        server.process.kill()
        server.process.wait()
        time.sleep(2.0)  # the worker notices the outage while Redis is down
        server = redis_server.start(directory=directory, appendonly=True, port=server.port)
        r = redis.Redis.from_url(url, decode_responses=True)
        r.lpush("queue:default", f'{{"class":"jobs_for_tests.{job}","args":["after"],"jid":"b"}}')
        wait_for(
            lambda: f"{ran}after" in r.lrange("test:ran", 0, -1),
            "the job after the restart",
            timeout=20,
        )
        assert stop(worker, 15) == 0
        log = output(worker)
        assert log.count("lost connection to Redis") == 1, log
        assert "connection to Redis restored" in log
    finally:
        stop(worker)
        server.stop()
