"""A license's ``max_processes``: counted across processes and hosts, warned, never enforced."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from support.licenses import licensed, process_tree_env, token
from support.processes import CORE_TESTS, output, spawn_worker, stop
from support.waiting import wait_for

from workhorse.cli import main
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse_pro import license_usage
from workhorse_pro.license_usage import WINDOW, UsageMonitor

KEY = "license:lic_123:processes"
OVER = "3 worker processes are running under license lic_123, which allows 2"


@dataclass
class Process:
    """What the usage monitor sees of a worker process (a ``ProcessContext``)."""

    identity: str
    redis: redis.Redis
    settings: Settings
    keys: Keys = field(default_factory=Keys)


def processes(r: redis.Redis, *hosts: str) -> list[Process]:
    return [
        Process(f"{host}:{n}:00000000000{n}", r, Settings(concurrency=5))
        for n, host in enumerate(hosts, 1)
    ]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]


def test_processes_on_several_hosts_count_against_one_license_and_over_it_warn_once(
    r: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    monitor = UsageMonitor()
    first, second, third = processes(r, "web1", "web1", "web2")
    with licensed(("pro",), max_processes=2), caplog.at_level(logging.INFO):
        monitor.startup(first)
        monitor.startup(second)
        assert warnings(caplog) == []
        monitor.startup(third)
        for process in (first, second, third):
            monitor.beat(process)  # every process sees 3; each says so once
        over = warnings(caplog)
        assert len(over) == 3 and all(OVER in line for line in over)
        assert "stop the extra ones or ask licensing@workhorse.dev" in over[0]
        monitor.beat(third)
        assert len(warnings(caplog)) == 3, "no repeat while the count is unchanged"
        monitor.shutdown(third)
        monitor.beat(first)
        assert "within its limit again" in caplog.records[-1].getMessage()
    assert r.zcard(KEY) == 2


def test_a_process_that_stopped_beating_drops_out_of_the_count(r: redis.Redis) -> None:
    now = time.time()
    license_usage.record(r, Keys(), "dead:1:000000000001", "lic_123", now - WINDOW - 1)
    assert license_usage.record(r, Keys(), "live:2:000000000002", "lic_123", now) == 1
    assert license_usage.count(r, Keys(), "lic_123", now) == 1


def test_the_thread_limit_is_checked_per_process(
    r: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    with licensed(("pro",), max_threads=4), caplog.at_level(logging.WARNING):
        UsageMonitor().startup(processes(r, "web1")[0])  # concurrency 5
    assert "this process runs 5 threads; license lic_123 allows 4 per process" in caplog.text


def test_doctor_shows_the_count_and_warns_when_over(r: redis.Redis, redis_url: str) -> None:
    monitor = UsageMonitor()
    with licensed(("pro",), max_processes=2):
        for process in processes(r, "a", "b"):
            monitor.startup(process)
        within = CliRunner().invoke(main, ["doctor", "--json", "--redis-url", redis_url])
        monitor.startup(processes(r, "a", "b", "c")[2])
        over = CliRunner().invoke(main, ["doctor", "--json", "--redis-url", redis_url])
        version = CliRunner().invoke(main, ["version", "--json"])
    pro = next(
        c
        for c in json.loads(within.output)["checks"]
        if c["name"] == "plugin" and "workhorse-pro" in c["detail"]
    )
    assert pro["level"] == "ok"
    assert "license lic_123: 2 worker process(es) running, max 2" in pro["detail"]
    pro = next(
        c
        for c in json.loads(over.output)["checks"]
        if c["name"] == "plugin" and "workhorse-pro" in c["detail"]
    )
    assert pro["level"] == "warn" and OVER in pro["detail"]
    (report,) = [p for p in json.loads(version.output)["plugins"] if p["name"] == "workhorse-pro"]
    assert report["notes"] == [
        "license lic_123: worker processes max 2 (`workhorse doctor` counts them)"
    ]


@pytest.mark.slow
def test_the_children_of_a_supervisor_are_counted_and_over_the_limit_keep_working(
    redis_url: str, r: redis.Redis, tmp_path: Path
) -> None:
    env = process_tree_env(
        token(("pro",), max_processes=2),
        pythonpath=str(CORE_TESTS),
        HOME=str(tmp_path),
        WORKHORSE_HEARTBEAT_INTERVAL="0.5",
    )
    supervisor = spawn_worker(redis_url, "-p", "3", "-c", "1", env=env)
    try:
        wait_for(lambda: r.zcard(KEY) == 3, "three children to count themselves", timeout=60)
        wait_for(lambda: r.scard("processes") == 3, "three children to keep beating", timeout=30)
    finally:
        stop(supervisor)
    log = output(supervisor)
    assert OVER in log, log
    assert r.zcard(KEY) == 0, "each child takes itself out of the count at shutdown"
