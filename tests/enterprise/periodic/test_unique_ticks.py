"""Periodic entries honour uniqueness: no tick is enqueued while an earlier run holds the lock."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import redis
from periodic_jobs import beat, unique_beat

from workhorse.client import Client
from workhorse.keys import Keys
from workhorse_enterprise import periodic
from workhorse_enterprise.leader import LeaderElector
from workhorse_enterprise.periodic import registry
from workhorse_enterprise.periodic.ticker import PeriodicTicker

T0 = 1_800_000_000.0


@pytest.fixture
def ticking(
    rc: redis.Redis, make_elector: Callable[..., LeaderElector], wh_client: Client, enterprise: None
) -> Callable[..., PeriodicTicker]:
    elector = make_elector("host:1:aaaaaaaaaaaa")
    assert elector.wait_for(True, 5.0)
    client = Client(settings=wh_client.settings)  # built inside the license: unique middleware

    def make(*entries: periodic.Entry) -> PeriodicTicker:
        return PeriodicTicker(rc, Keys(), [registry.resolve(e) for e in entries], elector, client)

    return make


def jids(rc: redis.Redis) -> list[str]:
    return [json.loads(raw)["jid"] for raw in reversed(rc.lrange("queue:cron", 0, -1))]


def test_a_tick_is_skipped_while_the_previous_run_holds_the_lock(
    rc: redis.Redis, ticking: Callable[..., PeriodicTicker]
) -> None:
    ticker = ticking(periodic.register("* * * * *", unique_beat, args=["u"], name="uniq"))
    ticker.tick_once(now=T0 + 0.5)
    (first,) = jids(rc)
    (lock,) = rc.keys("unique:*")
    assert rc.get(lock) == first and 590_000 < rc.pttl(lock) <= 600_000
    ticker.tick_once(now=T0 + 61)  # the first run has not finished: no second copy
    assert jids(rc) == [first]
    assert rc.hget("periodic-state:uniq", "last_tick") == str(int(T0) + 60)  # consumed
    rc.delete(lock)  # the run finished and released it
    ticker.tick_once(now=T0 + 121)
    assert len(jids(rc)) == 2 and rc.get(lock) == jids(rc)[1]


def test_entries_of_plain_jobs_take_no_lock(
    rc: redis.Redis, ticking: Callable[..., PeriodicTicker]
) -> None:
    ticker = ticking(periodic.register("* * * * *", beat, args=["p"], name="plain"))
    ticker.tick_once(now=T0 + 0.5)
    ticker.tick_once(now=T0 + 61)
    assert len(jids(rc)) == 2 and rc.keys("unique:*") == []


def test_unique_for_given_on_the_entry_counts_too(
    rc: redis.Redis, ticking: Callable[..., PeriodicTicker]
) -> None:
    ticker = ticking(periodic.register("* * * * *", beat, args=["e"], name="opt", unique_for=120))
    ticker.tick_once(now=T0 + 0.5)
    ticker.tick_once(now=T0 + 61)
    assert len(jids(rc)) == 1 and len(rc.keys("unique:*")) == 1
