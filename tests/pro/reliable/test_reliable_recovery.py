"""Orphan recovery: expired leases, racing recoverers, orphan scan, poison pills."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
import redis

from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.poison import ERROR_CLASS
from workhorse_pro.reliable.recovery import Recoverer

DEAD = "host:41:000000000dead"
ALIVE = "host:42:0000000a11fe"

# ReliableFetch and Recoverer refuse to exist without a Pro license (issue 16).
pytestmark = pytest.mark.usefixtures("pro_license")


def job(n: int, **extra: object) -> str:
    return json.dumps(
        {"class": "reliable.noop", "args": [n], "jid": f"{n:024x}", "queue": "default", **extra}
    )


def crashed(r: redis.Redis, identity: str, jobs: dict[str, list[str]], lease: bool = False) -> None:
    """Leave Redis as a process that died holding ``jobs`` (queue -> raws) would."""
    r.hset("reliable:processes", identity, json.dumps({"queues": sorted(jobs)}))
    for queue, raws in jobs.items():
        if raws:
            hold(r, f"inprogress|{identity}|{queue}", 1, raws)
    if lease:
        r.set(f"reliable:lease|{identity}", "1", px=10_000)


def hold(r: redis.Redis, key: str, first_seq: int, raws: list[str], done: str = "") -> None:
    """Write one fetch batch as fetch.lua does (``done``: finished offsets, "1,3")."""
    field, batch = f"{first_seq}+{len(raws)}", f"{key}|batch|{first_seq}"
    r.lpush(batch, *raws)  # newest first, as the queue had them
    r.hset(key, field, batch)
    if done:
        r.hset(key, f"{field}:done", done)


def recoverer(r: redis.Redis, **config: object) -> Recoverer:
    return Recoverer(r, Keys(), Settings(), ReliableConfig(**config))  # type: ignore[arg-type]


def test_jobs_of_a_process_whose_lease_expired_go_back_to_their_queues(r: redis.Redis) -> None:
    crashed(r, DEAD, {"default": [job(1), job(2)], "low": [job(3)]})
    assert recoverer(r).recover_expired() == 3
    # Oldest first at the head, as they were taken.
    assert r.lrange("queue:default", 0, -1) == [job(2), job(1)]
    assert r.lrange("queue:low", 0, -1) == [job(3)]
    assert r.keys("inprogress|*") == [] and r.hlen("reliable:processes") == 0
    assert r.hget("reliable:stats", "recovered") == "3"


def test_finished_jobs_of_a_partly_finished_batch_are_not_recovered(r: redis.Redis) -> None:
    crashed(r, DEAD, {"default": []})
    hold(r, f"inprogress|{DEAD}|default", 1, [job(1), job(2), job(3)], done="2")
    hold(r, f"inprogress|{DEAD}|default", 4, [job(4)])
    assert recoverer(r).recover_expired() == 3
    assert r.lrange("queue:default", 0, -1) == [job(4), job(3), job(1)]
    assert r.keys("inprogress*") == [], "the batch lists go with their hash"


def test_a_live_lease_is_never_recovered(r: redis.Redis) -> None:
    crashed(r, ALIVE, {"default": [job(1)]}, lease=True)
    assert recoverer(r).recover_expired() == 0
    assert r.hlen(f"inprogress|{ALIVE}|default") == 1 and r.llen("queue:default") == 0


def test_many_processes_recovering_the_same_death_requeue_each_job_once(r: redis.Redis) -> None:
    raws = [job(n) for n in range(500)]
    crashed(r, DEAD, {"default": raws})
    crashed(r, ALIVE, {"default": [job(999)]}, lease=True)
    gate = threading.Barrier(8)
    totals: list[int] = []

    def race() -> None:
        own = recoverer(redis.Redis(connection_pool=r.connection_pool))
        gate.wait()
        totals.append(own.recover_expired())

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sum(totals) == 500
    assert Counter(r.lrange("queue:default", 0, -1)) == Counter(raws)
    assert r.hlen(f"inprogress|{ALIVE}|default") == 1


def test_orphan_scan_recovers_lists_no_registration_points_to(r: redis.Redis) -> None:
    # Its registration was lost. (A plain "<seq>" -> job field counts as a batch of one.)
    r.hset(f"inprogress|{DEAD}|default", "1", job(1))
    crashed(r, ALIVE, {"default": [job(2)]}, lease=True)
    r.hdel("reliable:processes", ALIVE)  # alive but not (yet) registered: left alone
    rec = recoverer(r, orphan_scan_interval=60)
    assert rec.scan_orphans() == 1
    assert r.lrange("queue:default", 0, -1) == [job(1)]
    assert r.hlen(f"inprogress|{ALIVE}|default") == 1
    assert rec.scan_orphans() == 0  # at most once per interval, cluster-wide


def test_a_job_recovered_max_recoveries_times_goes_to_the_dead_set(r: redis.Redis) -> None:
    rec = recoverer(r, max_recoveries=3)
    for death in range(3):
        crashed(r, f"host:{death}:0000000000{death:02d}", {"default": [job(1)]})
        rec.recover_expired()
        r.delete("queue:default")  # it was fetched again by the next victim
    assert rec.bury_poison() == 1
    (dead,) = r.zrange("dead", 0, -1)
    buried = json.loads(dead)
    assert buried["jid"] == f"{1:024x}" and buried["error_class"] == ERROR_CLASS
    assert "died" in buried["error_message"] and "3 times" in buried["error_message"]
    assert r.llen("reliable:poison") == 0 and r.hget("reliable:stats", "poisoned") == "1"
    assert r.hexists("reliable:recoveries", f"{1:024x}") == 0


def test_a_poison_pill_with_dead_false_is_discarded(r: redis.Redis) -> None:
    rec = recoverer(r, max_recoveries=1)
    crashed(r, DEAD, {"default": [job(1, dead=False)]})
    rec.recover_expired()
    assert rec.bury_poison() == 1
    assert r.zcard("dead") == 0 and r.llen("queue:default") == 0


def test_two_recoverers_bury_a_poison_pill_once(r: redis.Redis) -> None:
    first, second = recoverer(r, max_recoveries=1), recoverer(r, max_recoveries=1)
    crashed(r, DEAD, {"default": [job(1)]})
    first.recover_expired()
    assert first.bury_poison() + second.bury_poison() == 1
    assert r.zcard("dead") == 1


def test_max_recoveries_zero_recovers_forever(r: redis.Redis) -> None:
    rec = recoverer(r, max_recoveries=0)
    for death in range(5):
        crashed(r, f"host:{death}:0000000000{death:02d}", {"default": [job(1)]})
        rec.recover_expired()
        assert r.rpop("queue:default") == job(1)
    assert r.llen("reliable:poison") == 0
