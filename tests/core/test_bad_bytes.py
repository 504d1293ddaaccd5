"""Bytes in Redis that are not a job we can run or write back (issue 17).

The rule: once a job has left a Redis structure, no exception path drops it.
Bytes that are not UTF-8, or JSON that cannot be written back (NaN, lone
surrogates), go to the dead set inside a wrapper job that keeps the original
bytes, and every other job of the same round trip runs.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import jobs_for_tests  # noqa: F401 - registers the jobs the worker runs
import pytest
import redis
from support.processes import spawn_worker, stop
from support.waiting import blocked_on, wait_for

from workhorse.client import Client
from workhorse.config import Settings, parse_queues
from workhorse.fetch import BasicFetch
from workhorse.keys import Keys
from workhorse.scheduler import Poller
from workhorse.types import UnitOfWork
from workhorse.worker.launcher import WorkerProcess

NOT_UTF8 = b'{"class":"jobs_for_tests.record","args":["caf\xe9"]}'  # Latin-1, as Ruby may write
NAN_JOB = b'{"class":"jobs_for_tests.record","args":[NaN],"queue":"default"}'
SURROGATE_JOB = b'{"class":"jobs_for_tests.record","args":["\\ud800"],"queue":"default"}'


@pytest.fixture
def rb(redis_url: str) -> Iterator[redis.Redis]:
    """A client that neither encodes nor decodes: the test's view of the exact bytes."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def good(n: int) -> bytes:
    return json.dumps({"class": "jobs_for_tests.record", "args": [f"good-{n}"]}).encode()


def dead_wrappers(rb: redis.Redis) -> list[dict[str, object]]:
    return [json.loads(raw) for raw in rb.zrange("dead", 0, -1)]


def original_bytes(wrapper: dict[str, object]) -> bytes:
    if "original_base64" in wrapper:
        return base64.b64decode(str(wrapper["original_base64"]))
    args = wrapper["args"]
    assert isinstance(args, list)
    return str(args[0]).encode()


def ran(r: redis.Redis) -> list[str]:
    return r.lrange("test:ran", 0, -1)


# -- basic fetch ------------------------------------------------------------------


def test_worker_process_runs_every_good_job_and_buries_non_utf8_bytes(
    redis_url: str, r: redis.Redis, rb: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    # One RPOP takes all of them (-c 25 asks for 25 at once): the bad job shares its
    # round trip with good ones, which used to be dropped together with it.
    rb.lpush(
        "queue:default", *[good(n) for n in range(12)], NOT_UTF8, *[good(n) for n in range(12, 25)]
    )
    procs.append(spawn_worker(redis_url, "-c", "25", "-t", "3"))
    wait_for(lambda: len(ran(r)) == 25 and rb.zcard("dead") == 1, "25 good jobs and 1 dead")
    assert sorted(ran(r)) == sorted(f"good-{n}" for n in range(25))
    (wrapper,) = dead_wrappers(rb)
    assert wrapper["class"] == "workhorse.UndecodableJob"
    assert original_bytes(wrapper) == NOT_UTF8
    assert wrapper["queue"] == "default" and wrapper["retry"] == 0
    assert wrapper["error_class"] == "workhorse.errors.PayloadError"
    message = str(wrapper["error_message"])
    assert "not UTF-8" in message and "0xe9" in message and "original_base64" in message
    assert rb.llen("queue:default") == 0 and rb.zcard("retry") == 0
    assert stop(procs[0]) == 0


def fetcher(redis_url: str, *queues: str) -> BasicFetch:
    settings = Settings(redis_url=redis_url)
    client = Client(settings=settings).redis
    return BasicFetch(client, Keys(), parse_queues(queues or ("default",)))


def test_fetch_hands_out_undecodable_bytes_as_a_unit_of_their_own(
    redis_url: str, rb: redis.Redis
) -> None:
    rb.lpush("queue:default", good(1), NOT_UTF8, good(2))
    units = fetcher(redis_url).fetch(10, 1.0)
    assert [u.undecodable for u in units] == [None, NOT_UTF8, None]
    assert json.loads(units[0].raw)["args"] == ["good-1"]
    assert "\\xe9" in units[1].raw  # a readable rendering, for the busy list


def test_fetch_across_several_queues_keeps_undecodable_bytes(
    redis_url: str, rb: redis.Redis
) -> None:
    rb.lpush("queue:a", NOT_UTF8)
    rb.lpush("queue:b", good(1))
    units = fetcher(redis_url, "a", "b").fetch(10, 1.0)
    assert [(u.queue, u.undecodable) for u in units] == [("a", NOT_UTF8), ("b", None)]


def test_blocking_fetch_keeps_undecodable_bytes(redis_url: str, rb: redis.Redis) -> None:
    fetch = fetcher(redis_url)
    got: list[UnitOfWork] = []
    thread = threading.Thread(target=lambda: got.extend(fetch.fetch(10, 5.0)))
    thread.start()
    wait_for(lambda: blocked_on(rb, "brpop"), "the fetch to reach its blocking pop")
    rb.lpush("queue:default", NOT_UTF8)
    thread.join(10)
    assert [u.undecodable for u in got] == [NOT_UTF8]


def test_requeue_writes_back_the_exact_bytes_in_order(redis_url: str, rb: redis.Redis) -> None:
    rb.lpush("queue:default", good(1), NOT_UTF8, good(2))
    stored = rb.lrange("queue:default", 0, -1)
    fetch = fetcher(redis_url)
    fetch.requeue(fetch.fetch(10, 1.0))
    assert rb.lrange("queue:default", 0, -1) == stored


def test_shutdown_requeue_of_a_running_undecodable_job_keeps_its_bytes(
    redis_url: str, rb: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = start_worker()
    worker.executor.stop_fetching(2.0)  # this test hands the worker its units itself
    unit = UnitOfWork("default", NOT_UTF8.decode("utf-8", "backslashreplace"), None, NOT_UTF8)
    worker.processor.running.register(1, unit, time.time())
    worker._requeue_running("test")
    worker.processor.running.finish(1)
    assert rb.lrange("queue:default", 0, -1) == [NOT_UTF8]


# -- the poller -----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [NOT_UTF8, NAN_JOB, SURROGATE_JOB, b"{not json"],
    ids=["not-utf8", "nan", "lone-surrogate", "not-json"],
)
@pytest.mark.parametrize("set_name", ["retry", "schedule"])
def test_a_bad_member_goes_to_dead_and_every_due_job_still_moves(
    settings: Settings, rb: redis.Redis, wh_client: Client, bad: bytes, set_name: str
) -> None:
    past = time.time() - 1
    rb.zadd(set_name, {bad: past - 1})
    rb.zadd("retry", {good(1): past})
    rb.zadd("schedule", {good(2): past})
    moved, wait = Poller(wh_client.redis, Keys(), settings).poll()
    assert moved == 2 and wait >= 0
    assert rb.zcard("retry") == 0 and rb.zcard("schedule") == 0
    queued = sorted(json.loads(x)["args"][0] for x in rb.lrange("queue:default", 0, -1))
    assert queued == ["good-1", "good-2"]
    (wrapper,) = dead_wrappers(rb)
    assert original_bytes(wrapper) == bad
    assert wrapper["error_class"] == "workhorse.errors.PayloadError"
    assert set_name in str(wrapper["error_message"])


def test_next_wait_reads_a_non_utf8_member_without_failing(
    settings: Settings, rb: redis.Redis, wh_client: Client
) -> None:
    rb.zadd("schedule", {NOT_UTF8: time.time() + 0.2})
    moved, wait = Poller(wh_client.redis, Keys(), settings.with_changes(poll_interval=5)).poll()
    assert moved == 0 and 0 < wait <= 0.21


def test_worker_with_bad_retry_member_still_runs_scheduled_jobs(
    r: redis.Redis,
    rb: redis.Redis,
    wh_client: Client,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    rb.zadd("retry", {NOT_UTF8: time.time() - 5, NAN_JOB: time.time() - 5})
    wh_client.enqueue("jobs_for_tests.record", ["scheduled"], at=time.time())
    start_worker()
    wait_for(lambda: ran(r) == ["scheduled"], "the scheduled job to run")
    wait_for(lambda: rb.zcard("dead") == 2, "both bad members in the dead set")
    assert sorted(original_bytes(w) for w in dead_wrappers(rb)) == sorted([NOT_UTF8, NAN_JOB])
