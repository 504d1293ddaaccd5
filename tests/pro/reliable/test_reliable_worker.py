"""In-process workers: license gate, running jobs through reliable fetch, pausing, expiry."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import pytest
import redis
from click.testing import CliRunner
from support.waiting import blocked_on, wait_for

from workhorse.client import Client
from workhorse.errors import ConfigError
from workhorse.types import UnitOfWork
from workhorse.worker.launcher import WorkerProcess
from workhorse_licensing import FeatureNotLicensed
from workhorse_pro.reliable import pause, paused_queues, read_status, unpause
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.inflight import Token

StartWorker = Callable[..., WorkerProcess]


def runs(r: redis.Redis) -> dict[str, str]:
    return r.hgetall("test:runs")


def test_licensed_worker_runs_jobs_through_reliable_fetch(
    pro_license: str, r: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    worker = start_worker()
    assert isinstance(worker.fetcher, ReliableFetch)
    for n in range(50):
        wh_client.enqueue("reliable.record", [f"t{n}"])
    wait_for(lambda: len(runs(r)) == 50, "50 jobs to run")
    wait_for(lambda: read_status(wh_client).in_progress == 0, "every job to be acknowledged")
    assert set(runs(r).values()) == {"1"}
    assert [p.identity for p in read_status(wh_client).processes] == [worker.identity]


def test_unlicensed_worker_falls_back_to_basic_fetch_and_says_so(
    r: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import workhorse_testkeys

    monkeypatch.delenv("WORKHORSE_LICENSE", raising=False)
    monkeypatch.setenv("WORKHORSE_LICENSE_FILE", "/nonexistent/license")
    workhorse_testkeys.reset()
    with caplog.at_level(logging.WARNING, logger="workhorse_pro.reliable"):
        worker = start_worker()
    assert type(worker.fetcher).__name__ == "BasicFetch"
    assert "reliable fetch is OFF" in caplog.text
    wh_client.enqueue("reliable.record", ["free"])
    wait_for(lambda: runs(r).get("free") == "1", "the free worker to run a job")
    with pytest.raises(FeatureNotLicensed):
        pause("default", wh_client)
    monkeypatch.undo()
    workhorse_testkeys.reset()  # leave no cached "missing" state behind


def test_paused_queue_keeps_pushes_and_no_worker_takes_them(
    pro_license: str, r: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    start_worker(("critical", "default"))
    assert pause("default", wh_client) is True
    assert paused_queues(wh_client) == {"default"}
    wh_client.enqueue("reliable.record", ["held"])
    wh_client.enqueue("reliable.record", ["urgent"], queue="critical")
    wait_for(lambda: "urgent" in runs(r), "the unpaused queue to keep working")
    # Each fetch reads the paused set atomically with the pop; two more fetches after
    # "held" was pushed prove no fetch takes it, as long as the pause lasts.
    for marker in ("urgent 2", "urgent 3"):
        wh_client.enqueue("reliable.record", [marker], queue="critical")
        wait_for(lambda m=marker: m in runs(r), "a later fetch to take a job from critical")
    assert "held" not in runs(r) and r.llen("queue:default") == 1
    assert unpause("default", wh_client) is True
    wait_for(lambda: "held" in runs(r), "the job to run once its queue is unpaused")


def test_pause_lands_while_a_fetch_is_blocked_on_that_queue(
    pro_license: str, r: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    start_worker()
    wait_for(lambda: blocked_on(r, "blmove"), "the fetcher to block in BLMOVE on queue:default")
    pause("default", wh_client)
    wh_client.enqueue("reliable.record", ["racing"])
    time.sleep(1.2)
    assert "racing" not in runs(r)
    assert r.llen("queue:default") == 1 and r.keys("inprogress*") == []


def test_cli_pauses_unpauses_and_reports(pro_license: str, r: redis.Redis, redis_url: str) -> None:
    from workhorse.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["pause", "mail", "--redis-url", redis_url])
    assert out.exit_code == 0 and "paused mail" in out.output
    assert r.smembers("paused") == {"mail"}
    out = runner.invoke(main, ["reliable", "--json", "--redis-url", redis_url])
    assert json.loads(out.output)["paused"] == ["mail"]
    out = runner.invoke(main, ["unpause", "mail", "--redis-url", redis_url])
    assert out.exit_code == 0 and r.smembers("paused") == set()


def test_expired_job_is_discarded_at_fetch_and_counted(
    pro_license: str, r: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    from reliable_jobs import record

    record.set(expires_in=0.2).perform_async("late")
    record.set(expires_in=60).perform_async("in-time")
    time.sleep(0.4)
    start_worker()
    wait_for(lambda: "in-time" in runs(r), "the unexpired job to run")
    wait_for(lambda: read_status(wh_client).expired == 1, "the expired job to be counted")
    assert "late" not in runs(r) and r.llen("queue:default") == 0
    wait_for(lambda: read_status(wh_client).in_progress == 0, "the discarded job to be acked")


def test_expiry_counts_from_the_scheduled_time(
    pro_license: str, r: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    from reliable_jobs import record

    record.set(expires_in=5).perform_in(0.5, "scheduled")
    (member,) = r.zrange("schedule", 0, -1, withscores=True)
    assert json.loads(member[0])["expires_at"] == pytest.approx(member[1] + 5, abs=0.01)
    start_worker()
    wait_for(lambda: "scheduled" in runs(r), "the scheduled job to run within its window")


@pytest.mark.parametrize("bad", [0, -1, "soon", True])
def test_expires_in_must_be_positive_seconds(bad: object) -> None:
    from reliable_jobs import record

    with pytest.raises(ConfigError, match="expires_in"):
        record.set(expires_in=bad)


def test_an_idle_worker_runs_the_job_its_waiting_thread_fetched_and_holds_it_in_progress(
    pro_license: str,
    r: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiting: list[int] = []
    fetched_on: list[int] = []
    pop_waiting = ReliableFetch.pop_waiting

    def recorded(self: ReliableFetch, timeout: float) -> list[UnitOfWork[Token]]:
        waiting.append(threading.get_ident())
        units = pop_waiting(self, timeout)
        if units:
            fetched_on.append(threading.get_ident())
        return units

    monkeypatch.setattr(ReliableFetch, "pop_waiting", recorded)
    worker = start_worker(concurrency=3)
    wait_for(lambda: waiting, "the idle worker to wait for a job")
    wh_client.enqueue("reliable.slow", [1.0, "idle"])
    wait_for(lambda: r.lrange("test:started", 0, -1) == ["idle"], "the job to start")
    assert list(worker.running()) == fetched_on, "run by the thread whose wait fetched it"
    assert read_status(wh_client).in_progress == 1, "held in Redis while it runs"
    wait_for(lambda: r.lrange("test:ran", 0, -1) == ["idle"], "the job to finish")
    wait_for(lambda: read_status(wh_client).in_progress == 0, "the job to be acknowledged")
