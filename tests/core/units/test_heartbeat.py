"""workhorse.heartbeat: a process's presence in Redis, as Sidekiq's dashboard reads it."""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import redis

from workhorse import stats
from workhorse.config import Settings, parse_queues
from workhorse.heartbeat import Heartbeat, new_identity, work_entries
from workhorse.keys import Keys
from workhorse.types import UnitOfWork

IDENTITY = "host-a:123:0123456789ab"


@pytest.fixture
def heartbeat(r: redis.Redis, settings: Settings) -> Heartbeat:
    tuned = settings.with_changes(queues=parse_queues(["high,2", "low,1"]), process_ttl=30)
    return Heartbeat(r, Keys(), tuned, IDENTITY, "1.2.3")


def test_identity_is_hostname_pid_and_12_hex(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNO", "web.1")
    assert re.fullmatch(rf"web\.1:{os.getpid()}:[0-9a-f]{{12}}", new_identity())
    assert new_identity() != new_identity()


def test_a_beat_registers_the_process_with_its_info_and_a_ttl(
    heartbeat: Heartbeat, r: redis.Redis
) -> None:
    heartbeat.beat({}, stats.Totals(), quiet=False)
    assert r.smembers("processes") == {IDENTITY}
    fields = r.hgetall(IDENTITY)
    assert fields["busy"] == "0" and fields["quiet"] == "false"
    assert 0 < time.time() - float(fields["beat"]) < 5
    info = json.loads(fields["info"])
    assert info["hostname"] == "host-a" and info["identity"] == IDENTITY
    assert info["queues"] == ["high", "low"] and info["weights"] == [{"high": 2, "low": 1}]
    assert info["version"] == "workhorse-1.2.3" and "workhorse" in info["labels"]
    assert 0 < r.ttl(IDENTITY) <= 30


def test_a_beat_lists_the_running_jobs_and_clears_finished_ones(
    heartbeat: Heartbeat, r: redis.Redis
) -> None:
    busy = {1: (UnitOfWork("high", '{"class":"A","args":[]}'), time.time())}
    heartbeat.beat(busy, stats.Totals(), quiet=True)
    (entry,) = r.hgetall(heartbeat.work_key).values()
    assert json.loads(entry)["queue"] == "high" and r.hget(IDENTITY, "quiet") == "true"
    heartbeat.beat({}, stats.Totals(), quiet=True)
    assert not r.exists(heartbeat.work_key)


def test_a_beat_flushes_only_what_was_counted_since_the_last_one(
    heartbeat: Heartbeat, r: redis.Redis
) -> None:
    heartbeat.beat({}, stats.Totals(processed=5, failed=1), quiet=False)
    heartbeat.beat({}, stats.Totals(processed=7, failed=1), quiet=False)
    assert r.get("stat:processed") == "7" and r.get("stat:failed") == "1"


@pytest.mark.parametrize("signal", ["TSTP", "TERM", "TTIN"])
def test_a_signal_sent_through_redis_comes_back_from_the_beat(
    heartbeat: Heartbeat, r: redis.Redis, signal: str
) -> None:
    r.lpush(f"{IDENTITY}-signals", signal)
    assert heartbeat.beat({}, stats.Totals(), quiet=False) == signal
    assert heartbeat.beat({}, stats.Totals(), quiet=False) is None


def test_an_unknown_signal_is_ignored(heartbeat: Heartbeat, r: redis.Redis) -> None:
    r.lpush(f"{IDENTITY}-signals", "rm -rf /")
    assert heartbeat.poll_signal() is None


def test_clear_removes_the_process_and_flushes_the_last_counts(
    heartbeat: Heartbeat, r: redis.Redis
) -> None:
    heartbeat.beat({}, stats.Totals(), quiet=False)
    heartbeat.clear(stats.Totals(processed=3))
    assert r.smembers("processes") == set() and not r.exists(IDENTITY)
    assert r.get("stat:processed") == "3"


def test_cleanup_drops_processes_whose_hash_expired_at_most_once_a_minute(
    heartbeat: Heartbeat, r: redis.Redis
) -> None:
    r.sadd("processes", "gone:1:aaaaaaaaaaaa")
    heartbeat.beat({}, stats.Totals(), quiet=False)
    assert heartbeat.cleanup_dead_processes() == 1
    assert r.smembers("processes") == {IDENTITY}
    r.sadd("processes", "gone:2:bbbbbbbbbbbb")
    assert heartbeat.cleanup_dead_processes() == 0  # not again within the minute


def test_work_entries_are_keyed_by_a_short_thread_id() -> None:
    unit = UnitOfWork("q", "{}")
    entries = work_entries({1: (unit, 10.0), 2: (unit, 11.0)})
    assert len(entries) == 2 and all(re.fullmatch(r"[0-9a-z]+", k) for k in entries)
    assert {json.loads(v)["run_at"] for v in entries.values()} == {10, 11}
