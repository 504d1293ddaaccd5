"""A batch hash holding bytes another program wrote (issue 17): callbacks still run, or
their job fails with an error that says which field is wrong; nothing is dropped."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis
from batch_jobs import on_event, record

from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.batches import Batch, BatchStatus

Waiter = Callable[..., object]


def test_a_description_that_is_not_utf8_does_not_stop_the_callbacks(
    r: redis.Redis, redis_url: str, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(description="plain", on_complete=on_event) as batch:
        record.perform_async(1)
    redis.Redis.from_url(redis_url).hset(f"batch:{batch.bid}", "desc", b"caf\xe9")
    start_worker()
    waiter(lambda: r.llen("t:callbacks") == 1, "the complete callback")
    assert json.loads(r.lindex("t:callbacks", 0))["event"] == "complete"
    assert BatchStatus(batch.bid).description == "caf\\xe9"


def test_a_corrupt_callback_field_fails_the_callback_job_with_a_clear_error(
    r: redis.Redis, redis_url: str, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(on_complete=on_event) as batch:
        record.perform_async(1)
    redis.Redis.from_url(redis_url).hset(f"batch:{batch.bid}", "cb", b'{"complete":"\xff"}')
    start_worker()
    (raw,) = waiter(lambda: r.zrange("retry", 0, -1), "the callback job in the retry set")
    job = json.loads(raw)
    assert job["class"] == "workhorse_pro.batch_callback" and job["args"] == ["complete", batch.bid]
    assert "field 'cb'" in job["error_message"] and batch.bid in job["error_message"]
    assert r.llen("t:callbacks") == 0
