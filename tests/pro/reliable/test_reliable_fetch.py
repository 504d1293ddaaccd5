"""ReliableFetch on its own: moving, acknowledging, requeueing, blocking, reconciling."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import pytest
import redis
from support.waiting import blocked_on, wait_for

from workhorse.config import QueueWeight
from workhorse.keys import Keys
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.fetch import ReliableFetch

IDENTITY = "host:1:abcdefabcdef"
PRIVATE = f"inprogress|{IDENTITY}|default"
# ReliableFetch and Recoverer refuse to exist without a Pro license (issue 16).
pytestmark = pytest.mark.usefixtures("pro_license")


def held(fetch: ReliableFetch, key: str = PRIVATE) -> list[str]:
    """The unfinished jobs Redis holds in an in-progress hash, oldest first."""
    return fetch.scripts.unfinished(key)


def job(n: int, queue: str = "default") -> str:
    return json.dumps({"class": "reliable.noop", "args": [n], "jid": f"{n:024x}", "queue": queue})


@pytest.fixture
def make_fetch(r: redis.Redis) -> Iterator[Callable[..., ReliableFetch]]:
    made: list[ReliableFetch] = []

    def make(*queues: str, prefix: str = "", identity: str = IDENTITY) -> ReliableFetch:
        weights = tuple(QueueWeight(q) for q in (queues or ("default",)))
        fetch = ReliableFetch(r, Keys(prefix), identity, weights, ReliableConfig(lease=5))
        made.append(fetch)
        return fetch

    yield make
    for fetch in made:
        fetch.lease.release()


def test_fetched_jobs_stay_in_the_in_progress_list_until_acknowledged(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1), job(2), job(3))
    fetch = make_fetch()
    units = fetch.fetch(2, 0)
    assert [json.loads(u.raw)["args"] for u in units] == [[1], [2]]  # FIFO: oldest first
    assert held(fetch) == [job(1), job(2)] and r.llen("queue:default") == 1
    fetch.acknowledge(units[0])
    assert held(fetch) == [job(1), job(2)]  # acks ride on the next round trip
    fetch.fetch(1, 0)
    assert held(fetch) == [job(2), job(3)]


def test_one_fetch_stores_its_jobs_as_one_field_and_records_partial_progress(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1), job(2), job(3), job(4))
    fetch = make_fetch()
    units = fetch.fetch(3, 0)
    batch = f"inprogress-batch|{IDENTITY}|default|1"
    assert r.hgetall(PRIVATE) == {"1+3": batch}
    assert r.lrange(batch, 0, -1) == [job(3), job(2), job(1)]  # the queue's own order
    fetch.acknowledge(units[0])
    fetch.acknowledge(units[2])
    fetch.fetch(1, 0)
    assert sorted(r.hkeys(PRIVATE)) == ["1+3", "1+3:done", "4+1"]
    # The last job: taking a whole queue renames it to the batch list.
    assert r.lrange(r.hget(PRIVATE, "4+1"), 0, -1) == [job(4)]
    assert r.exists("queue:default") == 0
    assert r.hget(PRIVATE, "1+3:done") == "1,3"
    assert held(fetch) == [job(2), job(4)]
    fetch.acknowledge(units[1])
    fetch.fetch(1, 0)
    assert r.hkeys(PRIVATE) == ["4+1"] and r.exists(batch) == 0  # a finished batch goes


def test_one_fetch_takes_jobs_from_several_queues_in_strict_order(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:critical", job(1, "critical"))
    r.lpush("queue:default", job(2), job(3))
    units = make_fetch("critical", "default").fetch(10, 0)
    assert [(u.queue, json.loads(u.raw)["args"][0]) for u in units] == [
        ("critical", 1),
        ("default", 2),
        ("default", 3),
    ]


def test_registration_and_lease_exist_before_the_first_job_is_taken(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    make_fetch("default", "low").fetch(1, 0)
    registration = json.loads(r.hget("reliable:processes", IDENTITY) or "{}")
    assert registration["queues"] == ["default", "low"]
    assert 0 < r.pttl(f"reliable:lease|{IDENTITY}") <= 5000


def test_blocking_fetch_returns_a_job_pushed_while_it_waits(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    fetch = make_fetch("critical", "default")
    fetch.fetch(1, 0)  # registers; nothing to take
    threading.Timer(0.3, lambda: r.lpush("queue:default", job(7))).start()
    units = fetch.fetch(3, 5.0)
    assert [json.loads(u.raw)["args"] for u in units] == [[7]]
    assert held(fetch) == [job(7)]


def test_requeue_puts_unfinished_jobs_back_at_the_head_exactly_once(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1), job(2), job(3))
    fetch = make_fetch()
    units = fetch.fetch(2, 0)
    fetch.requeue(units)
    fetch.requeue(units)  # a second requeue (or one racing recovery) must not duplicate
    assert r.lrange("queue:default", 0, -1) == [job(3), job(2), job(1)]
    assert r.exists(PRIVATE) == 0


def test_requeue_of_part_of_a_batch_leaves_the_rest_in_progress(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1), job(2), job(3))
    fetch = make_fetch()
    first, second, third = fetch.fetch(3, 0)
    fetch.acknowledge(first)
    fetch.requeue([third])
    assert r.lrange("queue:default", 0, -1) == [job(3)]
    assert held(fetch) == [job(1), job(2)]  # the ack of job(1) is not written yet
    fetch.acknowledge(second)
    fetch.close()
    assert r.lrange("queue:default", 0, -1) == [job(3)]  # nothing pushed twice
    assert r.keys("inprogress|*") == []


def test_close_pushes_leftovers_back_and_unregisters(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1), job(2))
    fetch = make_fetch()
    done, unfinished = fetch.fetch(2, 0)
    fetch.acknowledge(done)
    fetch.close()
    assert r.lrange("queue:default", 0, -1) == [unfinished.raw]
    assert r.keys("inprogress|*") == [] and r.hlen("reliable:processes") == 0
    assert r.exists(f"reliable:lease|{IDENTITY}") == 0


def test_every_key_carries_the_hash_tagged_prefix(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("{wh}:queue:default", job(1), job(2))
    fetch = make_fetch(prefix="{wh}")
    (unit, _) = fetch.fetch(2, 0)
    fetch.acknowledge(unit)
    fetch.fetch(1, 0)
    assert all(key.startswith("{wh}:") for key in r.keys("*")), r.keys("*")


def test_acks_of_jobs_finishing_during_a_blocking_fetch_are_flushed_while_idle(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1))
    fetch = make_fetch()
    (unit,) = fetch.fetch(1, 0)
    blocked = threading.Thread(target=fetch.fetch, args=(1, 1.5))
    blocked.start()
    wait_for(lambda: blocked_on(r, "blmove"), "the fetch to block")
    fetch.acknowledge(unit)
    wait_for(
        lambda: r.exists(PRIVATE) == 0,
        "the ack to reach Redis during the blocking fetch",
        timeout=3,
    )
    blocked.join(5)


def test_identical_payloads_in_progress_together_are_tracked_separately(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:default", job(1), job(1))
    fetch = make_fetch()
    first, second = fetch.fetch(2, 0)
    fetch.acknowledge(first)
    fetch.fetch(1, 0)
    assert held(fetch) == [second.raw]


def test_a_failed_round_trip_keeps_its_acks_and_reconciles_before_the_next_fetch(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch], monkeypatch: pytest.MonkeyPatch
) -> None:
    r.lpush("queue:default", job(1), job(2))
    fetch = make_fetch()
    (done,) = fetch.fetch(1, 0)
    fetch.acknowledge(done)
    real = fetch.scripts.fetch

    def lost_reply(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise redis.ConnectionError("reply lost")

    monkeypatch.setattr(fetch.scripts, "fetch", lost_reply)
    with pytest.raises(redis.ConnectionError):
        fetch.fetch(1, 0)
    monkeypatch.undo()
    # job(2) went into the in-progress hash, but we never received it: it must come back.
    (again,) = fetch.fetch(1, 0)
    assert again.raw == job(2)
    assert held(fetch) == [job(2)]


def test_acks_of_a_fetch_across_several_queues_go_to_each_queues_hash(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    r.lpush("queue:critical", job(1, "critical"), job(2, "critical"))
    r.lpush("queue:default", job(3), job(4))
    fetch = make_fetch("critical", "default")
    units = fetch.fetch(10, 0)
    critical = f"inprogress|{IDENTITY}|critical"
    # Each queue's batch starts at its own reserved sequence number (10 per queue here).
    assert r.hkeys(critical) == ["1+2"] and r.hkeys(PRIVATE) == ["11+2"]
    fetch.acknowledge(units[0])  # job(1), critical
    fetch.acknowledge(units[2])  # job(3), default
    fetch.acknowledge(units[1])  # job(2): the critical batch is complete
    fetch.fetch(1, 0)
    assert r.exists(critical) == 0
    assert held(fetch) == [job(4)] and r.hget(PRIVATE, "11+2:done") == "1"


def test_a_job_pushed_back_and_then_finished_does_not_complete_its_batch_early(
    r: redis.Redis, make_fetch: Callable[..., ReliableFetch]
) -> None:
    # A hard shutdown pushes running jobs back; one of them may still finish after.
    r.lpush("queue:default", job(1), job(2), job(3))
    fetch = make_fetch()
    first, second, _still_running = fetch.fetch(3, 0)
    fetch.requeue([first])
    assert r.rpop("queue:default") == job(1)  # pushed back (and taken by someone else)
    fetch.acknowledge(first)  # finished after all: its offset is now listed twice
    fetch.acknowledge(second)
    fetch.fetch(1, 0)  # carries the acks; nothing left to take
    assert held(fetch) == [job(3)]  # third is still running, so its batch stays


def test_the_unfinished_listing_shows_non_utf8_bytes_escaped_instead_of_failing(
    r: redis.Redis, redis_url: str, make_fetch: Callable[..., ReliableFetch]
) -> None:
    raw_client = redis.Redis.from_url(redis_url)  # writes the exact bytes
    raw_client.lpush("queue:default", b'{"class":"reliable.noop","args":["caf\xe9"]}')
    raw_client.close()
    fetch = make_fetch()
    [_undecodable] = fetch.fetch(1, 0)  # held in progress until the processor buries it
    assert held(fetch) == ['{"class":"reliable.noop","args":["caf\\xe9"]}']
