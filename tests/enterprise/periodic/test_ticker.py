"""The ticker with an injected clock: one enqueue per tick, missed-run policies, pause, run now."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from periodic_jobs import beat

from workhorse.client import Client
from workhorse.keys import Keys
from workhorse_enterprise import periodic
from workhorse_enterprise.leader import LeaderElector
from workhorse_enterprise.periodic import registry
from workhorse_enterprise.periodic.entry import Entry
from workhorse_enterprise.periodic.ticker import PeriodicTicker

MakeElector = Callable[..., LeaderElector]
T0 = 1_800_000_000.0  # a whole minute (2027-01-15 08:00 UTC)


def queued(rc: redis.Redis, queue: str = "cron") -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in reversed(rc.lrange(f"queue:{queue}", 0, -1))]


def ticks_of(rc: redis.Redis, entry: str) -> list[int]:
    return [job["periodic_tick"] for job in queued(rc) if job["periodic"] == entry]


@pytest.fixture
def leader(make_elector: MakeElector) -> LeaderElector:
    elector = make_elector("host:1:aaaaaaaaaaaa")
    assert elector.wait_for(True, 5.0)
    return elector


def ticker_for(
    rc: redis.Redis, elector: LeaderElector, client: Client, *entries: Entry
) -> PeriodicTicker:
    return PeriodicTicker(rc, Keys(), [registry.resolve(e) for e in entries], elector, client)


def test_each_tick_is_enqueued_once_with_its_job_options(
    rc: redis.Redis, leader: LeaderElector, wh_client: Client, enterprise: None
) -> None:
    entry = periodic.register("* * * * *", beat, args=["x"], retry=3, name="minutely")
    ticker = ticker_for(rc, leader, wh_client, entry)
    ticker.tick_once(now=T0 + 0.5)  # first sight: a tick this very second still runs
    ticker.tick_once(now=T0 + 30)
    ticker.tick_once(now=T0 + 61)
    ticker.tick_once(now=T0 + 61.5)
    jobs = queued(rc)
    assert [j["periodic_tick"] for j in jobs] == [int(T0), int(T0) + 60]
    assert all(
        j["class"] == beat.name
        and j["args"] == ["x"]
        and j["retry"] == 3
        and j["queue"] == "cron"
        and j["periodic"] == "minutely"
        for j in jobs
    )
    assert "cron" in rc.smembers("queues")
    state = rc.hgetall("periodic-state:minutely")
    assert state["last_tick"] == str(int(T0) + 60) and state["last_jid"] == jobs[-1]["jid"]


def test_a_second_ticker_on_a_follower_enqueues_nothing(
    rc: redis.Redis,
    leader: LeaderElector,
    make_elector: MakeElector,
    wh_client: Client,
    enterprise: None,
) -> None:
    entry = periodic.register(None, beat, every=10, args=["y"])
    follower = make_elector("host:2:bbbbbbbbbbbb")
    ours = ticker_for(rc, leader, wh_client, entry)
    theirs = ticker_for(rc, follower, wh_client, entry)
    assert not follower.is_leader
    theirs.tick_once(now=T0)  # a stale or confused follower is fenced by the Lua script
    ours.tick_once(now=T0)
    theirs.tick_once(now=T0)
    assert ticks_of(rc, entry.name) == [int(T0)]


def test_a_new_leader_does_not_repeat_ticks_of_the_old_one(
    rc: redis.Redis, make_elector: MakeElector, wh_client: Client, enterprise: None
) -> None:
    entry = periodic.register(None, beat, every=10, args=["z"])
    first = make_elector("host:1:aaaaaaaaaaaa")
    assert first.wait_for(True, 5.0)
    ticker_for(rc, first, wh_client, entry).tick_once(now=T0 + 20.5)
    first.stop(2.0)
    second = make_elector("host:2:bbbbbbbbbbbb")
    assert second.wait_for(True, 5.0)
    successor = ticker_for(rc, second, wh_client, entry)
    successor.tick_once(now=T0 + 25)
    successor.tick_once(now=T0 + 41)  # 30 and 40 are due; 20 was the old leader's
    assert ticks_of(rc, entry.name) == [int(T0) + 20, int(T0) + 30, int(T0) + 40]


def test_tick_key_blocks_a_repeat_even_if_the_entry_state_is_lost(
    rc: redis.Redis, leader: LeaderElector, wh_client: Client, enterprise: None
) -> None:
    entry = periodic.register(None, beat, every=10, args=["k"])
    ticker_for(rc, leader, wh_client, entry).tick_once(now=T0 + 1)
    rc.delete(f"periodic-state:{entry.name}")  # e.g. someone cleared it by hand
    rc.hset(f"periodic-state:{entry.name}", "last_tick", int(T0) - 1)
    ticker_for(rc, leader, wh_client, entry).tick_once(now=T0 + 2)
    assert ticks_of(rc, entry.name) == [int(T0)]


@pytest.mark.parametrize(
    ("policy", "expected_missed"),
    [
        ("skip", []),
        ("once", [1140]),
        ("all", [1080, 1110, 1140]),
    ],
)
def test_missed_ticks_follow_the_policy_and_late_ticks_still_run(
    rc: redis.Redis,
    leader: LeaderElector,
    wh_client: Client,
    enterprise: None,
    policy: periodic.MissedPolicy,
    expected_missed: list[int],
) -> None:
    # Every 30 s; the last run was at T0, then no leader until T0 + 1205.
    entry = periodic.register(
        None,
        beat,
        every=30,
        args=[policy],
        missed=policy,
        max_missed=3,
        grace=60,
        name=f"policy-{policy}",
    )
    rc.hset(f"periodic-state:{entry.name}", "last_tick", int(T0))
    ticker_for(rc, leader, wh_client, entry).tick_once(now=T0 + 1205)
    jobs = [j for j in queued(rc) if j["periodic"] == entry.name]
    missed = [j["periodic_tick"] - int(T0) for j in jobs if j.get("periodic_missed")]
    on_time = [j["periodic_tick"] - int(T0) for j in jobs if not j.get("periodic_missed")]
    assert missed == expected_missed
    assert on_time == [1170, 1200]  # within the 60 s grace: a failover's late ticks
    assert rc.hget(f"periodic-state:{entry.name}", "last_tick") == str(int(T0) + 1200)


def test_pause_consumes_ticks_and_resume_continues_without_backlog(
    rc: redis.Redis, leader: LeaderElector, wh_client: Client, enterprise: None
) -> None:
    entry = periodic.register(None, beat, every=10, args=["p"], missed="all", name="pausable")
    ticker = ticker_for(rc, leader, wh_client, entry)
    ticker.tick_once(now=T0)
    periodic.pause("pausable")
    ticker.tick_once(now=T0 + 10)
    ticker.tick_once(now=T0 + 20)
    periodic.resume("pausable")
    ticker.tick_once(now=T0 + 30)
    assert ticks_of(rc, "pausable") == [int(T0), int(T0) + 30]
    assert [row.paused for row in periodic.status() if row.entry.name == "pausable"] == [False]


def test_run_now_enqueues_at_once_and_leaves_the_schedule_alone(
    rc: redis.Redis, leader: LeaderElector, wh_client: Client, enterprise: None
) -> None:
    entry = periodic.register("0 0 1 1 *", beat, args=["now"], name="yearly")
    ticker = ticker_for(rc, leader, wh_client, entry)
    ticker.tick_once(now=T0)
    jid = periodic.run_now("yearly")
    (job,) = queued(rc)
    assert job["jid"] == jid and job["args"] == ["now"] and "periodic_tick" not in job
    (row,) = [r for r in periodic.status(now=T0) if r.entry.name == "yearly"]
    assert row.last_jid == jid and row.history[0]["kind"] == "manual"
    assert row.next_run is not None and row.next_run.year == 2028


def test_run_now_of_an_unknown_entry_names_the_known_ones(
    wh_client: Client, enterprise: None
) -> None:
    periodic.register("* * * * *", beat, name="known-one")
    with pytest.raises(periodic.UnknownEntryError, match="known-one"):
        periodic.run_now("nope")


def test_control_api_needs_an_enterprise_license(wh_client: Client) -> None:
    from workhorse_licensing import FeatureNotLicensed

    periodic.register("* * * * *", beat, name="unlicensed")
    with pytest.raises(FeatureNotLicensed):
        periodic.run_now("unlicensed")
    with pytest.raises(FeatureNotLicensed):
        periodic.pause("unlicensed")


def test_daily_job_runs_once_on_both_dst_days_with_an_injected_clock(
    rc: redis.Redis, leader: LeaderElector, wh_client: Client, enterprise: None
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    entry = periodic.register("30 2 * * *", beat, args=["dst"], tz="Europe/Berlin", name="dst")
    ticker = ticker_for(rc, leader, wh_client, entry)
    for start in (
        datetime(2026, 3, 28, 12, tzinfo=berlin),
        datetime(2026, 10, 24, 12, tzinfo=berlin),
    ):
        now = start.timestamp()
        end = now + 2 * 86400
        while now < end:  # a tick every 10 simulated minutes, like a live ticker would
            ticker.tick_once(now=now)
            now += 600
    runs = [
        datetime.fromtimestamp(t, berlin).strftime("%m-%d %H:%M%z") for t in ticks_of(rc, "dst")
    ]
    assert runs == ["03-29 03:00+0200", "03-30 02:30+0200", "10-25 02:30+0200", "10-26 02:30+0100"]
