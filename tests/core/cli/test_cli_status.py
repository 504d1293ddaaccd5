"""``workhorse status``, ``queues``, ``quiet`` and ``stop`` against live in-process workers."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis
from cli_support import Invoke, as_json, job  # type: ignore[import-not-found]

from workhorse.worker.launcher import WorkerProcess

WaitFor = Callable[..., object]


def test_status_shows_processes_queues_counts_and_leader(
    cli: Invoke, r: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = start_worker(("critical", "default"))
    r.lpush("queue:low", json.dumps(job(queue="low")))
    r.sadd("queues", "low")
    r.zadd("dead", {json.dumps(job()): 1})
    r.set("stat:processed", 42)
    r.set("dear-leader", worker.identity)
    data = as_json(cli("status", "--json"))
    assert [p["identity"] for p in data["processes"]] == [worker.identity]
    assert data["processes"][0]["queues"] == ["critical", "default"]
    assert {"name": "low", "size": 1, "paused": False}.items() <= data["queues"][0].items()
    assert (data["totals"]["processed"], data["totals"]["dead"]) == (42, 1)
    assert data["leader"] == worker.identity
    text = cli("status").output
    assert worker.identity in text and "processed 42" in text and "leader" in text


def test_status_on_an_empty_redis_is_fine(cli: Invoke) -> None:
    data = as_json(cli("status", "--json"))
    assert data["processes"] == [] and data["queues"] == []


def test_queues_lists_sizes_and_shows_jobs_next_first(cli: Invoke, r: redis.Redis) -> None:
    first, second = job(args=["first"]), job(args=["second"])
    r.lpush("queue:default", json.dumps(first), json.dumps(second))
    r.sadd("queues", "default")
    assert as_json(cli("queues", "--json"))[0]["size"] == 2
    jobs = as_json(cli("queues", "jobs", "default", "--json"))
    assert [j["args"] for j in jobs] == [["first"], ["second"]]
    assert "default" in cli("queues", "list").output


def test_queues_delete_removes_one_job_by_jid(cli: Invoke, r: redis.Redis) -> None:
    keep, gone = job(), job()
    r.lpush("queue:default", json.dumps(keep), json.dumps(gone))
    assert cli("queues", "delete", "default", gone["jid"]).exit_code == 0
    assert [json.loads(x)["jid"] for x in r.lrange("queue:default", 0, -1)] == [keep["jid"]]
    assert cli("queues", "delete", "default", gone["jid"]).exit_code == 3


def test_queues_clear_asks_first_unless_yes(cli: Invoke, r: redis.Redis) -> None:
    r.lpush("queue:default", *(json.dumps(job()) for _ in range(3)))
    r.sadd("queues", "default")
    refused = cli("queues", "clear", "default", input="n\n")
    assert refused.exit_code == 1 and r.llen("queue:default") == 3
    cleared = cli("queues", "clear", "default", "--yes")
    assert "3 jobs deleted" in cleared.output and r.llen("queue:default") == 0
    assert cli("queues", "clear", "nope", "--yes").exit_code == 3


def test_quiet_by_identity_prefix_makes_the_worker_stop_fetching(
    cli: Invoke, start_worker: Callable[..., WorkerProcess], waiter: WaitFor
) -> None:
    worker = start_worker()
    host_pid = worker.identity.rsplit(":", 1)[0]
    other = start_worker()
    result = cli("quiet", worker.identity)
    assert result.exit_code == 0, result.output
    waiter(lambda: worker.quiet, "the worker to turn quiet")
    assert not other.quiet
    assert cli("quiet", host_pid).exit_code == 2  # two processes share host:pid here


def test_stop_all_stops_every_worker(
    cli: Invoke, start_worker: Callable[..., WorkerProcess], waiter: WaitFor
) -> None:
    workers = [start_worker(), start_worker()]
    out = as_json(cli("stop", "--all", "--json"))
    assert sorted(out["processes"]) == sorted(w.identity for w in workers)
    for worker in workers:
        waiter(worker.stopping.is_set, f"{worker.identity} to begin stopping")


def test_signalling_an_unknown_process_exits_3_and_lists_live_ones(
    cli: Invoke, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = start_worker()
    result = cli("stop", "nohost:1:abc")
    assert result.exit_code == 3 and worker.identity in result.output
    assert cli("stop").exit_code == 2


def test_status_shows_every_shard(cli: Invoke, redis_srv: object) -> None:
    from workhorse.sharding import ShardedClient, Shards

    urls = [redis_srv.url(1900), redis_srv.url(1901)]  # type: ignore[attr-defined]
    for url in urls:
        redis.Redis.from_url(url).flushdb()
    shards = Shards.from_urls(urls)
    client = ShardedClient(shards)
    for i in range(6):
        client.enqueue("X", [], queue=f"q{i}")
    args = ["status", "--json"]
    for url in urls:
        args += ["--shard", url]
    data = as_json(cli(*args, url=""))
    sizes = [sum(q["size"] for q in shard["queues"]) for shard in data["shards"]]
    assert len(sizes) == 2 and sum(sizes) == 6 and all(sizes)


def test_stop_host_and_supervisor_pid_signals_every_process_of_that_worker(
    cli: Invoke, r: redis.Redis
) -> None:
    import time

    for identity, info in [
        ("host:11:0123456789ab", {"hostname": "host", "pid": 11, "supervisor_pid": 10}),
        ("host:12:0123456789ab", {"hostname": "host", "pid": 12, "supervisor_pid": 10}),
        ("host:13:0123456789ab", {"hostname": "host", "pid": 13}),
    ]:
        r.sadd("processes", identity)
        r.hset(identity, mapping={"info": json.dumps(info), "beat": time.time()})
    out = as_json(cli("stop", "host:10", "--json"))
    assert sorted(out["processes"]) == ["host:11:0123456789ab", "host:12:0123456789ab"]
    assert not r.exists("host:13:0123456789ab-signals")
    assert cli("stop", "host:1").exit_code == 2  # a prefix of three identities, not a worker
