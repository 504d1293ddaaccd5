"""Running jobs: success, retries, death, discard, async and class jobs, bad input."""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def ran(r: redis.Redis) -> list[str]:
    return r.lrange("test:ran", 0, -1)


def test_runs_sync_async_and_class_jobs(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.record.perform_async("plain")
    jobs.async_record.perform_async("co")
    jobs.ClassJob.perform_async("obj")
    jobs.hard_job.perform_async("ruby", 3)
    start_worker()
    wait_for(lambda: len(ran(r)) == 4, "four jobs to run")
    assert sorted(ran(r)) == ["async:co", "class:obj", "plain", "ruby:3"]


def test_failure_schedules_retry_with_sidekiq_error_fields(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.always_fails.perform_async(7)
    start_worker()
    ((raw, score),) = wait_for(lambda: r.zrange("retry", 0, -1, withscores=True), "the retry entry")
    job = json.loads(raw)
    assert job["jid"] == jid and job["retry_count"] == 0
    assert job["error_class"] == "ValueError" and job["error_message"] == "boom 7"
    assert isinstance(job["failed_at"], int) and "retried_at" not in job
    # count 0: 0**4 + 15 + rand(10) seconds
    assert time.time() + 14 < score < time.time() + 26
    wait_for(lambda: r.get("stat:failed") == "1", "the failed counter to be flushed")


def test_retries_exhausted_goes_to_dead(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    worker = start_worker()
    # Already failed twice (retry_count 1) with retry=2: this failure is the last.
    wh_client.push(
        {
            "class": "jobs_for_tests.always_fails",
            "args": [1],
            "retry": 2,
            "retry_count": 1,
            "failed_at": 1,
        }
    )
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the dead entry")
    job = json.loads(raw)
    assert job["retry_count"] == 2 and "retried_at" in job
    assert r.zcard("retry") == 0
    wait_for(lambda: not worker.processor.running, "the worker thread to finish the job")


def test_retry_zero_sends_job_straight_to_dead_with_backtrace(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.dies_at_once.perform_async()
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the dead entry")
    job = json.loads(raw)
    lines = json.loads(zlib.decompress(base64.b64decode(job["error_backtrace"])))
    assert any("dies_at_once" in line for line in lines)
    assert r.zcard("retry") == 0


def test_retry_false_discards_without_dead_entry(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.discarded.perform_async()
    start_worker()
    wait_for(lambda: r.get("stat:failed") == "1", "the failure to be counted")
    assert r.zcard("dead") == 0 and r.zcard("retry") == 0


def test_unknown_job_name_fails_like_a_job_error(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    wh_client.enqueue("NoSuchJob", [1])
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the retry entry")
    job = json.loads(raw)
    assert job["error_class"] == "workhorse.errors.UnknownJobError"
    assert 'no job named "NoSuchJob"' in job["error_message"]
    assert "attempt 1 of 26" in job["error_message"]


def test_unparseable_payload_goes_to_dead_with_original_bytes(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    r.lpush("queue:default", "{not json")
    r.lpush("queue:default", '{"args": []}')
    start_worker()
    raws = wait_for(
        lambda: len(r.zrange("dead", 0, -1)) == 2 and r.zrange("dead", 0, -1), "two dead"
    )
    dead = [json.loads(x) for x in raws]  # type: ignore[union-attr]
    assert sorted(d["args"][0] for d in dead) == ['{"args": []}', "{not json"]
    assert all(d["error_class"] == "workhorse.errors.PayloadError" for d in dead)
    assert any("not valid JSON" in d["error_message"] for d in dead)
    assert any('no "class"' in d["error_message"] for d in dead)


def test_unparseable_payload_is_not_counted_as_processed_or_failed(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    # Sidekiq sends invalid JSON to the dead set before its stats are counted.
    r.lpush("queue:default", "{not json")
    jobs.record.perform_async("counted")
    worker = start_worker()
    wait_for(lambda: r.zcard("dead") == 1 and ran(r) == ["counted"], "both jobs to settle")
    worker.stop()
    worker.shutdown()  # flushes the counters
    assert (r.get("stat:processed"), r.get("stat:failed")) == ("1", None)


def test_unknown_fields_are_preserved_through_retry(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    r.lpush(
        "queue:default",
        json.dumps(
            {
                "class": "jobs_for_tests.always_fails",
                "args": [1],
                "jid": "a" * 24,
                "retry": 3,
                "queue": "default",
                "custom": {"nested": [1, 2]},
                "bid": "xyz",
            }
        ),
    )
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the retry entry")
    job = json.loads(raw)
    assert job["custom"] == {"nested": [1, 2]} and job["bid"] == "xyz"


def test_dead_set_is_trimmed_to_its_caps(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    now = time.time()
    r.zadd("dead", {f'{{"class":"old{i}","args":[]}}': now - 200 * 86400 for i in range(3)})
    r.zadd("dead", {f'{{"class":"new{i}","args":[]}}': now - i for i in range(5)})
    worker = start_worker(dead_max_jobs=4)
    worker.processor.bury('{"class":"latest","args":[]}')
    members = r.zrange("dead", 0, -1)
    assert len(members) == 4 and not any("old" in m for m in members)
    assert members[-1] == '{"class":"latest","args":[]}'


def test_weighted_queues_all_get_work(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    # Weighted order is random (critical first 3 times in 4): 100 jobs each keep the
    # chance that low wins the first half by luck near 1 in 10 million.
    for queue, tag in (("critical", "c"), ("low", "l")):
        jobs.record.set(queue=queue).perform_bulk([[f"{tag}{i}"] for i in range(100)])
    start_worker(queues=("critical,3", "low,1"), concurrency=1)
    wait_for(lambda: len(ran(r)) == 200, "all two hundred jobs")
    first_half = ran(r)[:100]
    assert sum(x.startswith("c") for x in first_half) > sum(x.startswith("l") for x in first_half)
    assert any(x.startswith("l") for x in first_half), "a weight-1 queue is not starved"


def test_strict_queue_order_drains_higher_priority_first(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    for i in range(10):
        jobs.record.set(queue="low").perform_async(f"l{i}")
        jobs.record.set(queue="high").perform_async(f"h{i}")
    start_worker(queues=("high", "low"), concurrency=1)
    wait_for(lambda: len(ran(r)) == 20, "all twenty jobs")
    assert [x[0] for x in ran(r)] == ["h"] * 10 + ["l"] * 10


def test_server_middleware_wraps_execution(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    from workhorse import hookimpl, plugins

    seen: list[str] = []

    class AuditPlugin:
        @hookimpl
        def workhorse_server_middleware(self):  # type: ignore[no-untyped-def]
            def audit(ctx, call_next):  # type: ignore[no-untyped-def]
                seen.append(f"before {ctx.name} {ctx.jid}")
                result = call_next()
                seen.append("after")
                return result

            return [audit]

    plugin = AuditPlugin()
    plugins.register(plugin)
    try:
        jid = jobs.record.perform_async("mw")
        start_worker()
        wait_for(lambda: ran(r) == ["mw"] and len(seen) == 2, "the job through the middleware")
        assert seen == [f"before jobs_for_tests.record {jid}", "after"]
    finally:
        plugins.unregister(plugin)


def test_handlers_registered_in_code_see_errors_deaths_and_events(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    import workhorse.handlers as wh

    seen: list[str] = []
    wh.on_error(lambda ctx, error: seen.append(f"error {ctx.name} {type(error).__name__}"))
    wh.on_death(lambda job, error: seen.append(f"death {job['class']}"))
    wh.on("startup", lambda process: seen.append("startup"))
    wh.on_error(lambda ctx, error: 1 / 0)  # a broken handler is logged, not fatal
    try:
        jobs.dies_at_once.perform_async()
        start_worker()
        wait_for(lambda: r.zcard("dead") == 1 and len(seen) == 3, "the death to be handled")
        assert seen == [
            "startup",
            "error jobs_for_tests.dies_at_once RuntimeError",
            "death jobs_for_tests.dies_at_once",
        ]
    finally:
        wh.clear()


def test_json_log_format_is_one_object_per_line() -> None:
    import logging

    from workhorse.logs import JSONFormatter

    record = logging.LogRecord(
        "workhorse.job", logging.WARNING, __file__, 1, "fail %s jid=%s", ("X", "abc"), None
    )
    line = JSONFormatter().format(record)
    entry = json.loads(line)
    assert entry["lvl"] == "WARNING" and entry["msg"] == "fail X jid=abc" and "\n" not in line
