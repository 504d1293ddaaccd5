"""Bytes in a queue that are not a job go to the dead set, kept exactly, uncounted."""

from __future__ import annotations

import json
from collections.abc import Callable

import jobs_for_tests as jobs
import pytest
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess
from workhorse.worker.processor import Processor

StartWorker = Callable[..., WorkerProcess]
Ran = Callable[[], list[str]]


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
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, ran: Ran
) -> None:
    # Sidekiq sends invalid JSON to the dead set before its stats are counted.
    r.lpush("queue:default", "{not json")
    jobs.record.perform_async("counted")
    worker = start_worker()
    wait_for(lambda: r.zcard("dead") == 1 and ran() == ["counted"], "both jobs to settle")
    worker.stop()
    worker.shutdown()  # flushes the counters
    assert (r.get("stat:processed"), r.get("stat:failed")) == ("1", None)


def test_an_internal_error_keeps_the_job_in_the_dead_set_under_the_errors_own_class(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object) -> None:
        raise LookupError("a bug in workhorse, not in the job")

    monkeypatch.setattr(Processor, "_decode", bug)
    jid = jobs.record.perform_async("never")
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the dead entry")
    dead = json.loads(raw)
    assert dead["class"] == "jobs_for_tests.record" and dead["jid"] == jid  # the job, unwrapped
    assert dead["args"] == ["never"] and dead["error_class"] == "LookupError"
    assert "workhorse or a plugin failed" in dead["error_message"]
    assert "retry the job from the dead set" in dead["error_message"]
