"""The async lane (issue 24): async def jobs run as tasks on the process's event loop,
at most --async-concurrency at once, with no thread each, and everything that holds
for thread jobs holds for them."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable

import async_lane_jobs as jobs
import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse import handlers
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.middleware import AsyncRunNext, JobContext, RunNext
from workhorse.stats import snapshot
from workhorse.worker import capsule
from workhorse.worker.async_runner import new_event_loop
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def lane_notes(r: redis.Redis) -> list[str]:
    return r.lrange("test:lane", 0, -1)


def test_async_jobs_run_on_the_loop_and_sync_jobs_on_threads(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.gate.set()
    jobs.held.perform_async("co")
    jobs.sync_note.perform_async("plain")
    worker = start_worker()
    wait_for(lambda: len(lane_notes(r)) == 2, "both jobs")
    assert sorted(lane_notes(r)) == ["co:workhorse-asyncio", "sync:plain:workhorse-0"]
    assert worker.capsules[0].lane is not None


def test_no_more_than_the_limit_run_and_no_more_are_fetched(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    for i in range(4):
        jobs.held.perform_async(f"job{i}")
    start_worker(async_concurrency=3, concurrency=2)
    wait_for(lambda: len(jobs.running) == 3, "three jobs to run")
    wait_for(lambda: r.llen("queue:default") == 1, "the fourth job to stay in Redis", timeout=1)
    assert len(jobs.running) == 3  # still, a while later
    jobs.gate.set()
    wait_for(lambda: len(lane_notes(r)) == 4, "all four jobs")


def test_three_hundred_concurrent_async_jobs_take_no_thread_each(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    start_worker(async_concurrency=300, concurrency=2)
    threads_idle = threading.active_count()
    wh_client.push_bulk({"class": "async_lane_jobs.held", "args": [str(i)]} for i in range(300))
    wait_for(lambda: len(jobs.running) == 300, "300 jobs to run at once", timeout=20)
    # The shared async Redis client's first use, Redis outcome writes etc. may add a
    # helper thread or two; a thread per job would add 300.
    assert threading.active_count() - threads_idle <= 3
    jobs.gate.set()
    wait_for(lambda: len(lane_notes(r)) == 300, "all 300 to finish", timeout=20)


def test_shutdown_pushes_unfinished_async_jobs_back_to_their_queue(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    raws = [
        wh_client.push({"class": "async_lane_jobs.held_forever", "args": [i]}) for i in range(3)
    ]
    worker = start_worker(shutdown_timeout=0.3)
    wait_for(lambda: len(jobs.running) == 3, "three jobs to run")
    worker.stop()
    worker.shutdown()
    queued = [json.loads(raw)["jid"] for raw in r.lrange("queue:default", 0, -1)]
    assert sorted(queued) == sorted(raws)
    wait_for(lambda: not jobs.running, "the tasks to be cancelled")
    assert r.zcard("retry") == 0 and r.zcard("dead") == 0  # pushed back is no outcome


def test_async_jobs_count_as_processed_like_thread_jobs(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.gate.set()
    for name in ("a", "b", "c"):
        jobs.held.perform_async(name)
    jobs.sync_note.perform_async("plain")
    worker = start_worker()
    wait_for(lambda: len(lane_notes(r)) == 4, "all four jobs")
    totals = wait_for(
        lambda: (t := snapshot(capsule.thread_stats(worker.capsules))).processed == 4 and t,
        "four jobs counted",
    )
    assert totals.failed == 0 and totals.by_job["async_lane_jobs.held"][0] == 3


def test_a_cancelled_job_leaves_its_runner_to_the_next_job(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    cancelled = jobs.held_forever.set(store_result=True).perform_async("first")
    jobs.held.perform_async("second")
    start_worker(async_concurrency=1)  # one runner: the second job runs on the first's
    wait_for(lambda: "first" in jobs.running, "the first job to run")
    workhorse.cancel(cancelled)
    with pytest.raises(workhorse.JobCancelled):
        cancelled.result(timeout=10)
    wait_for(lambda: "second" in jobs.running, "the second job to run")
    jobs.gate.set()
    wait_for(lambda: lane_notes(r) == ["second:workhorse-asyncio"], "the second job to finish")
    assert r.zcard("retry") == 0 and r.zcard("dead") == 0  # nothing of the cancel reached it


def test_a_failing_async_job_is_retried_with_its_error(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.fails.perform_async(7)
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the retry entry")
    job = json.loads(raw)
    assert job["jid"] == jid and job["retry_count"] == 0
    assert job["error_class"] == "ValueError" and job["error_message"] == "async boom 7"


def test_time_limit_cancels_the_task_and_cancel_stops_it(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    timed = jobs.held_forever.set(timeout=0.2, store_result=True).perform_async("timed")
    cancelled = jobs.held_forever.set(store_result=True).perform_async("cancelled")
    start_worker()
    wait_for(lambda: "cancelled" in jobs.running, "the job to run")
    workhorse.cancel(cancelled)
    with pytest.raises(workhorse.JobFailed) as failed:
        timed.result(timeout=10)
    assert failed.value.error_class == "JobTimeout"
    with pytest.raises(workhorse.JobCancelled):
        cancelled.result(timeout=10)
    assert not jobs.running


def test_results_current_job_and_the_shared_async_redis(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    handle = jobs.whoami.perform_async()
    start_worker()
    seen = handle.result(timeout=10)
    assert seen == {"jid": handle, "class": "async_lane_jobs.whoami", "thread": "workhorse-asyncio"}
    assert r.get("test:lane:incr") == "1"


def test_current_async_redis_outside_a_worker_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match="make a client of your own"):
        workhorse.current_async_redis()


def test_running_async_jobs_are_on_the_busy_page(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.held.perform_async("busy")
    worker = start_worker()
    wait_for(lambda: "busy" in jobs.running, "the job to run")
    work_key = f"{worker.identity}:work"
    entries = wait_for(lambda: r.hgetall(work_key), "the work hash entry")
    (entry,) = [json.loads(value) for value in entries.values()]
    assert entry["queue"] == "default" and json.loads(entry["payload"])["jid"] == jid


class Around:
    """A middleware with an async form: both halves run around the job on the loop."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        self.seen.append(f"sync:{ctx.name}")
        return call_next()

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:  # noqa: ARG002
        self.seen.append(f"before:{threading.current_thread().name}")
        try:
            return await call_next()
        finally:
            self.seen.append("after")


def test_middleware_with_an_async_form_wraps_async_jobs_on_the_loop(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    seen: list[str] = []
    handlers.add_server_middleware(Around(seen))
    try:
        jobs.gate.set()
        jobs.held.perform_async("wrapped")
        jobs.sync_note.perform_async("plain")
        start_worker()
        wait_for(lambda: len(lane_notes(r)) == 2, "both jobs")
        wait_for(lambda: "after" in seen, "the middleware's after part")
    finally:
        handlers.clear()
    assert sorted(seen) == sorted(
        ["before:workhorse-asyncio", "after", "sync:async_lane_jobs.sync_note"]
    )


def test_a_sync_only_middleware_keeps_async_jobs_on_threads_and_says_so(
    wh_client: Client,
    r: redis.Redis,
    start_worker: StartWorker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    def plain(ctx: JobContext, call_next: RunNext) -> object:
        seen.append(ctx.name)
        return call_next()

    handlers.add_server_middleware(plain)
    try:
        jobs.gate.set()
        jobs.held.perform_async("on-a-thread")
        with caplog.at_level(logging.WARNING, "workhorse.worker"):
            worker = start_worker()
        wait_for(lambda: lane_notes(r), "the job")
    finally:
        handlers.clear()
    assert worker.capsules[0].lane is None and seen == ["async_lane_jobs.held"]
    assert "without an async form" in caplog.text and "plain" in caplog.text


def test_async_concurrency_zero_runs_async_jobs_on_threads(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.gate.set()
    jobs.held.perform_async("threaded")
    worker = start_worker(async_concurrency=0)
    wait_for(lambda: lane_notes(r), "the job")
    assert worker.capsules[0].lane is None
    assert lane_notes(r) == ["threaded:workhorse-asyncio"]  # the loop, awaited by a thread


def test_a_task_that_ignores_its_cancellation_is_cancelled_again_and_failed_once(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.stubborn.perform_async(1.0)
    worker = start_worker(timeout_grace=0.3)
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the job failed past its grace")
    dead = json.loads(raw)
    assert dead["jid"] == jid and dead["error_class"] == "JobTimeout"
    assert "its task was cancelled again" in dead["error_message"]
    lane = worker.capsules[0].lane
    assert lane is not None
    wait_for(lambda: len(lane.idle) == len(lane.runners) == 1, "its runner to be idle again")
    assert not worker.processor.running
    assert r.zcard("dead") == 1 and r.zcard("retry") == 0  # one outcome, not two
    assert lane_notes(r) == []  # the second cancellation ended it


def test_jobs_held_ahead_for_the_runners_go_back_to_their_queue_when_the_worker_quiets(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.gate.set()
    worker = start_worker(async_concurrency=2, concurrency=1)
    for i in range(3):  # short jobs: from now on the lane holds jobs ahead
        jobs.held.perform_async(f"quick{i}")
    wait_for(lambda: len(lane_notes(r)) == 3, "the short jobs")
    lane = worker.capsules[0].lane
    assert lane is not None
    wait_for(lambda: lane.fetching_here, "the lane to fetch on its own loop")
    jobs.gate.clear()
    wh_client.push_bulk({"class": "async_lane_jobs.held", "args": [f"slow{i}"]} for i in range(4))
    wait_for(lambda: len(jobs.running) == 2, "two jobs to run")
    wait_for(lambda: r.llen("queue:default") == 0, "two more to be held ahead")
    worker.set_quiet()
    wait_for(lambda: r.llen("queue:default") == 2, "the two held ahead to go back")
    assert len(jobs.running) == 2
    jobs.gate.set()
    wait_for(lambda: len(lane_notes(r)) == 5, "the running two to finish")


def test_the_lane_fetches_on_its_loop_while_only_async_jobs_come_and_hands_others_back(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.gate.set()
    worker = start_worker(concurrency=2)
    lane = worker.capsules[0].lane
    assert lane is not None
    wh_client.push_bulk({"class": "async_lane_jobs.held", "args": [f"co{i}"]} for i in range(5))
    wait_for(lambda: len(lane_notes(r)) == 5, "the async jobs")
    wait_for(lambda: lane.fetching_here, "the lane to fetch on its own loop")
    jobs.sync_note.perform_async("plain")  # fetched on the loop, run on a thread
    jobs.held.perform_async("after")
    wait_for(lambda: len(lane_notes(r)) == 7, "the sync job and the next async one")
    notes = lane_notes(r)
    assert any(n.startswith("sync:plain:workhorse-") for n in notes), notes  # a job thread
    assert "after:workhorse-asyncio" in notes


def test_the_lane_runs_on_asyncio_when_asked(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.loop_kind.perform_async()
    worker = start_worker(event_loop="asyncio")
    wait_for(lambda: lane_notes(r) == ["loop:asyncio"], "the job")
    assert "200 async (asyncio)" in worker.capsules[0].describe()


def test_auto_takes_uvloop_when_it_is_installed(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    pytest.importorskip("uvloop")
    jobs.loop_kind.perform_async()
    worker = start_worker()
    wait_for(lambda: lane_notes(r) == ["loop:uvloop"], "the job")
    assert "200 async (uvloop)" in worker.capsules[0].describe()


def test_uvloop_asked_for_but_not_installed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    with pytest.raises(ConfigError, match="uvloop is not installed"):
        new_event_loop("uvloop")
    new_event_loop("auto").close()  # auto: asyncio's, quietly


def test_an_unknown_event_loop_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="event loop must be 'auto'"):
        settings.with_changes(event_loop="trio")
