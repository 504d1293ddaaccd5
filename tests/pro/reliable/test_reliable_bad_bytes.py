"""Reliable fetch with bytes that are not a job (issue 17): nothing stuck, nothing lost.

A job that is not UTF-8 used to fail the whole fetch after fetch.lua had moved its
batch into the in-progress hash: the batch stayed there while the process lived,
and recovery after a restart pushed it back to fail again.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from reliable_support import Workers
from support.waiting import wait_for
from test_reliable_recovery import DEAD, crashed, recoverer

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.reliable import read_status
from workhorse_pro.reliable.poison import ERROR_CLASS

NOT_UTF8 = b'{"class":"reliable.record","args":["caf\xe9"]}'


@pytest.fixture
def rb(redis_url: str) -> Iterator[redis.Redis]:
    """A client that neither encodes nor decodes: the test's view of the exact bytes."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def good(token: str, **extra: object) -> bytes:
    return json.dumps({"class": "reliable.record", "args": [token], **extra}).encode()


def runs(r: redis.Redis) -> dict[str, str]:
    return r.hgetall("test:runs")


def dead_originals(rb: redis.Redis) -> list[bytes]:
    wrappers = [json.loads(raw) for raw in rb.zrange("dead", 0, -1)]
    assert all(w["class"] == "workhorse.UndecodableJob" for w in wrappers)
    return [base64.b64decode(w["original_base64"]) for w in wrappers]


def nothing_in_progress(client: Client) -> bool:
    return read_status(client).in_progress == 0


def test_worker_process_runs_every_good_job_and_buries_non_utf8_bytes(
    pro_license: str, r: redis.Redis, rb: redis.Redis, wh_client: Client, workers: Workers
) -> None:
    rb.lpush(
        "queue:default",
        *[good(f"g{n}") for n in range(12)],
        NOT_UTF8,
        *[good(f"g{n}") for n in range(12, 25)],
    )
    workers.start("-c", "25")
    wait_for(lambda: len(runs(r)) == 25 and rb.zcard("dead") == 1, "25 good jobs and 1 dead")
    assert set(runs(r).values()) == {"1"}
    assert dead_originals(rb) == [NOT_UTF8]
    wait_for(lambda: nothing_in_progress(wh_client), "the fetch batch to be acknowledged")
    assert rb.llen("queue:default") == 0


def test_expired_and_undecodable_jobs_in_one_batch(
    pro_license: str,
    r: redis.Redis,
    rb: redis.Redis,
    wh_client: Client,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    expired = good("late", expires_at=time.time() - 60)
    rb.lpush("queue:default", good("a"), expired, NOT_UTF8, good("b"))
    start_worker()
    wait_for(lambda: len(runs(r)) == 2 and rb.zcard("dead") == 1, "2 good jobs and 1 dead")
    assert runs(r) == {"a": "1", "b": "1"}
    assert dead_originals(rb) == [NOT_UTF8]
    wait_for(lambda: nothing_in_progress(wh_client), "the fetch batch to be acknowledged")


def test_a_crashed_process_batch_with_non_utf8_bytes_is_recovered_and_runs(
    pro_license: str,
    r: redis.Redis,
    rb: redis.Redis,
    wh_client: Client,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    crashed(r, DEAD, {"default": [good("x").decode(), NOT_UTF8, good("y").decode()]})  # type: ignore[list-item]
    start_worker()
    wait_for(lambda: len(runs(r)) == 2 and rb.zcard("dead") == 1, "2 good jobs and 1 dead")
    assert dead_originals(rb) == [NOT_UTF8]
    wait_for(lambda: nothing_in_progress(wh_client), "the recovered batch to be acknowledged")
    assert r.hlen("reliable:processes") == 1  # only the live worker


def test_a_non_utf8_poison_pill_goes_to_dead_with_its_bytes(
    pro_license: str, r: redis.Redis, rb: redis.Redis
) -> None:
    rec = recoverer(r, max_recoveries=1)
    crashed(r, DEAD, {"default": [NOT_UTF8]})  # type: ignore[list-item]
    rec.recover_expired()
    assert rb.lrange("reliable:poison", 0, -1) == [NOT_UTF8]
    assert rec.bury_poison() == 1
    (wrapper,) = [json.loads(raw) for raw in rb.zrange("dead", 0, -1)]
    assert base64.b64decode(wrapper["original_base64"]) == NOT_UTF8
    assert wrapper["error_class"] == ERROR_CLASS and "died" in wrapper["error_message"]
    assert rb.llen("reliable:poison") == 0


def test_a_nan_poison_pill_goes_to_dead_with_its_bytes(
    pro_license: str, r: redis.Redis, rb: redis.Redis
) -> None:
    nan_job = b'{"class":"reliable.record","args":[NaN],"jid":"' + b"a" * 24 + b'"}'
    rec = recoverer(r, max_recoveries=1)
    crashed(r, DEAD, {"default": [nan_job]})  # type: ignore[list-item]
    rec.recover_expired()
    assert rec.bury_poison() == 1
    (wrapper,) = [json.loads(raw) for raw in rb.zrange("dead", 0, -1)]
    assert wrapper["class"] == "workhorse.UnparseableJob" and wrapper["args"] == [nan_job.decode()]
    assert wrapper["error_class"] == ERROR_CLASS and "JSON" in wrapper["error_message"]
