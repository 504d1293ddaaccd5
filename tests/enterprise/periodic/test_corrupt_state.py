"""Periodic state another program garbled: the ticker and the status API carry on (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import redis
from periodic_jobs import beat

from workhorse.client import Client
from workhorse.keys import Keys
from workhorse_enterprise import periodic
from workhorse_enterprise.leader import LeaderElector
from workhorse_enterprise.periodic import control, registry
from workhorse_enterprise.periodic.ticker import PeriodicTicker

T0 = 1_800_000_000.0
BAD_TICKS = [b"\xff\xfe not utf-8", b"soon", b"nan", b"inf", b""]


@pytest.fixture
def leader(make_elector: Callable[..., LeaderElector]) -> LeaderElector:
    elector = make_elector("host:1:aaaaaaaaaaaa")
    assert elector.wait_for(True, 5.0)
    return elector


def queued_ticks(rc: redis.Redis) -> list[int]:
    return [json.loads(raw)["periodic_tick"] for raw in reversed(rc.lrange("queue:cron", 0, -1))]


@pytest.mark.parametrize("bad", BAD_TICKS, ids=repr)
def test_a_garbled_last_tick_is_overwritten_and_ticks_keep_coming(
    rc: redis.Redis, leader: LeaderElector, wh_client: Client, enterprise: None, bad: bytes
) -> None:
    entry = periodic.register("* * * * *", beat, name="minutely")
    rc.hset("periodic-state:minutely", "last_tick", bad)
    ticker = PeriodicTicker(rc, Keys(), [registry.resolve(entry)], leader, wh_client)
    ticker.tick_once(now=T0 + 0.5)
    ticker.tick_once(now=T0 + 61)
    assert queued_ticks(rc) == [int(T0), int(T0) + 60]
    assert rc.hget("periodic-state:minutely", "last_tick") == str(int(T0) + 60)


def test_status_reads_garbled_state_and_history_without_failing(
    rc: redis.Redis, wh_client: Client, enterprise: None
) -> None:
    periodic.register("* * * * *", beat, name="minutely")
    rc.hset(
        "periodic-state:minutely",
        mapping={"last_tick": b"\xff", "last_enqueued_at": b"yesterday", "last_jid": b"\xfe\xff"},
    )
    good = {"tick": int(T0), "jid": "a" * 24, "at": 1, "kind": "tick"}
    rc.rpush("periodic-history:minutely", b"\xff{", b"[1,2]", json.dumps(good), b"null")
    rc.rpush("periodic-results:minutely", b"\x00", json.dumps({"jid": "a" * 24, "result": "ok"}))
    [row] = control.status(wh_client, now=T0)
    assert row.last_tick is None and row.last_run is None
    assert [item["jid"] for item in row.history] == ["a" * 24]
    assert row.history[0].get("result") == "ok"
