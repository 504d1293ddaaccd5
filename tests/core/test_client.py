"""Enqueueing: the payload on the wire, scheduling, bulk, and refusing bad arguments."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import jobs_for_tests as jobs
import pytest
import redis

import workhorse
from workhorse.client import Client
from workhorse.errors import ArgumentError, ConfigError


def test_perform_async_pushes_sidekiq_payload(wh_client: Client, r: redis.Redis) -> None:
    jid = jobs.record.perform_async("hello")
    assert r.smembers("queues") == {"default"}
    (raw,) = r.lrange("queue:default", 0, -1)
    job = json.loads(raw)
    assert job["class"] == "jobs_for_tests.record"
    assert job["args"] == ["hello"]
    assert job["jid"] == jid and len(jid) == 24 and int(jid, 16) >= 0
    assert job["queue"] == "default" and job["retry"] is True
    assert isinstance(job["created_at"], int) and isinstance(job["enqueued_at"], int)
    assert abs(job["enqueued_at"] / 1000 - time.time()) < 5
    assert raw == json.dumps(job, separators=(",", ":"), ensure_ascii=False)


def test_job_options_and_set_override(wh_client: Client, r: redis.Redis) -> None:
    jobs.always_fails.set(queue="critical", retry=7).perform_async(1)
    job = json.loads(r.lindex("queue:critical", 0))
    assert (job["queue"], job["retry"]) == ("critical", 7)


def test_ruby_class_name_registration(wh_client: Client, r: redis.Redis) -> None:
    jobs.hard_job.perform_async("bob", 5)
    assert json.loads(r.lindex("queue:default", 0))["class"] == "HardJob"


def test_float_timestamps_for_sidekiq_7(settings: workhorse.Settings, r: redis.Redis) -> None:
    client = Client(settings=settings.with_changes(sidekiq_compat=7))
    client.enqueue("HardJob", ["x", 1])
    job = json.loads(r.lindex("queue:default", 0))
    assert isinstance(job["created_at"], float) and isinstance(job["enqueued_at"], float)


def test_timestamps_override_the_generation(settings: workhorse.Settings, r: redis.Redis) -> None:
    client = Client(settings=settings.with_changes(sidekiq_compat=8, timestamps="float"))
    client.enqueue("HardJob", ["x", 1])
    job = json.loads(r.lindex("queue:default", 0))
    assert isinstance(job["created_at"], float)


def test_perform_in_goes_to_schedule_without_enqueued_at(wh_client: Client, r: redis.Redis) -> None:
    before = time.time()
    jobs.record.perform_in(60, "later")
    ((raw, score),) = r.zrange("schedule", 0, -1, withscores=True)
    assert before + 59 < score < time.time() + 61
    job = json.loads(raw)
    assert "enqueued_at" not in job and "at" not in job
    assert r.llen("queue:default") == 0


def test_perform_at_accepts_aware_datetimes_and_epochs(wh_client: Client, r: redis.Redis) -> None:
    when = datetime.now(UTC) + timedelta(hours=1)
    jobs.record.perform_at(when, "dt")
    jobs.record.perform_at(when.timestamp() + 1, "epoch")
    scores = [s for _, s in r.zrange("schedule", 0, -1, withscores=True)]
    assert scores == pytest.approx([when.timestamp(), when.timestamp() + 1], abs=0.01)
    with pytest.raises(ArgumentError, match="naive datetime"):
        jobs.record.perform_at(datetime.now(), "naive")


def test_perform_in_takes_a_timedelta(wh_client: Client, r: redis.Redis) -> None:
    before = time.time()
    jobs.record.perform_in(timedelta(minutes=5), "later")
    jobs.record.set(queue="low").perform_in(timedelta(hours=1), "much later")
    scores = [s for _, s in r.zrange("schedule", 0, -1, withscores=True)]
    assert before + 299 < scores[0] < time.time() + 301
    assert before + 3599 < scores[1] < time.time() + 3601


def test_perform_in_a_negative_timedelta_enqueues_now(wh_client: Client, r: redis.Redis) -> None:
    jobs.record.perform_in(timedelta(seconds=-5), "overdue")
    assert r.llen("queue:default") == 1 and r.zcard("schedule") == 0


def test_perform_at_refuses_a_duration_and_points_to_perform_in(
    wh_client: Client, r: redis.Redis
) -> None:
    with pytest.raises(ArgumentError, match=r"perform_at takes a time.*perform_in\(timedelta"):
        jobs.record.perform_at(timedelta(minutes=5), "when?")  # type: ignore[arg-type]
    assert r.zcard("schedule") == 0 and r.llen("queue:default") == 0


def test_perform_in_the_past_enqueues_now(wh_client: Client, r: redis.Redis) -> None:
    jobs.record.perform_at(time.time() - 10, "overdue")
    assert r.llen("queue:default") == 1 and r.zcard("schedule") == 0


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (datetime(2026, 1, 1), "args[0] is a datetime.datetime"),
        ({1, 2}, "args[0] is a builtins.set"),
        ({"ok": [1, {2: "x"}]}, "args[0]['ok'][1] has the non-string key 2"),
        (float("nan"), "args[0] is nan"),
        (object(), "args[0] is a builtins.object"),
    ],
)
def test_non_json_arguments_are_refused_naming_the_argument(
    wh_client: Client, r: redis.Redis, bad: object, named: str
) -> None:
    with pytest.raises(ArgumentError) as info:
        jobs.record.perform_async(bad)
    assert named in str(info.value) and "argument 1" in str(info.value)
    assert r.llen("queue:default") == 0


def test_keyword_arguments_are_refused(wh_client: Client) -> None:
    with pytest.raises(ArgumentError, match="positionally"):
        jobs.record.perform_async(value=1)  # type: ignore[call-arg]


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown job option"):
        jobs.record.set(queue_name="typo")


def test_bulk_enqueue_in_chunks_keeps_order(wh_client: Client, r: redis.Redis) -> None:
    jids = jobs.record.perform_bulk([[i] for i in range(2_500)], batch_size=1_000)
    assert len(jids) == 2_500 and len(set(jids)) == 2_500
    queued = [json.loads(x) for x in r.lrange("queue:default", 0, -1)]
    assert [j["args"][0] for j in reversed(queued)] == list(range(2_500))


def test_client_middleware_can_change_or_drop_jobs(
    settings: workhorse.Settings, r: redis.Redis
) -> None:
    def tag(job, call_next):  # type: ignore[no-untyped-def]
        job["tags"] = ["mw"]
        return call_next(job)

    def drop_secret(job, call_next):  # type: ignore[no-untyped-def]
        return None if job["args"] == ["secret"] else call_next(job)

    client = Client(settings=settings, middleware=[tag, drop_secret])
    assert client.enqueue("X", ["secret"]) is None
    assert client.enqueue("X", ["ok"]) is not None
    (raw,) = r.lrange("queue:default", 0, -1)
    assert json.loads(raw)["tags"] == ["mw"]


def test_capture_collects_pushes_instead_of_writing(wh_client: Client, r: redis.Redis) -> None:
    with wh_client.capture() as captured:
        jobs.record.perform_async(1)
        jobs.record.perform_async(2)
    assert r.llen("queue:default") == 0 and len(captured) == 2
    wh_client.write(captured, atomic=True)
    assert r.llen("queue:default") == 2


def test_async_and_class_jobs_register_by_qualname() -> None:
    assert jobs.async_record.is_async and jobs.async_record.name == "jobs_for_tests.async_record"
    assert jobs.ClassJob.is_class and jobs.ClassJob.name == "jobs_for_tests.ClassJob"
    assert workhorse.lookup("HardJob") is jobs.hard_job


def test_duplicate_job_names_are_refused() -> None:
    with pytest.raises(ConfigError, match="already registered"):

        @workhorse.job(name="HardJob")
        def impostor() -> None: ...
