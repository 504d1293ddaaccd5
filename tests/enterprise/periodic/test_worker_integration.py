"""Periodic jobs inside a real (in-process) worker: license gate, startup report, CLI."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
import redis
from click.testing import CliRunner
from periodic_jobs import beat, explode, touch
from support.waiting import wait_for

from workhorse.cli import main
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import periodic
from workhorse_enterprise.leader import current_leader

StartWorker = Callable[..., WorkerProcess]


def test_licensed_worker_elects_itself_and_runs_the_schedule(
    start_worker: StartWorker, rc: redis.Redis
) -> None:
    periodic.register(None, touch, every=1, args=["ran:every-second"], name="touch")
    worker = start_worker()
    wait_for(lambda: current_leader(rc) == worker.identity, "the worker to become leader")
    wait_for(lambda: rc.llen("ran:every-second") >= 2, "two scheduled runs", timeout=10)
    assert {s.name for s in worker.services} >= {"periodic", "leader-election"}


def test_invalid_entries_are_reported_by_name_and_the_others_keep_running(
    start_worker: StartWorker, rc: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    periodic.register("61 * * * *", beat, name="bad-minute")
    periodic.register("* * * * *", "NoSuchJob", name="ghost")
    periodic.register(None, touch, every=1, args=["ran:good"], name="good")
    with caplog.at_level(logging.ERROR, logger="workhorse_enterprise.periodic"):
        start_worker()
        wait_for(lambda: rc.llen("ran:good") >= 1, "the valid entry to run")
    errors = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert 'periodic entry "bad-minute": invalid cron expression' in errors
    assert 'periodic entry "ghost": job "NoSuchJob" is not registered' in errors
    with pytest.raises(periodic.PeriodicConfigError, match="bad-minute"):
        periodic.check()


def test_unlicensed_worker_warns_and_runs_no_cron(
    settings: object, wh_client: object, rc: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    periodic.register(None, touch, every=1, args=["ran:unlicensed"], name="unlicensed")
    worker = WorkerProcess(settings)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="workhorse_enterprise.periodic"):
        worker.start()
    try:
        assert any("OFF in this worker" in r.getMessage() for r in caplog.records)
        assert not {s.name for s in worker.services} & {"periodic", "leader-election"}
        assert current_leader(rc) is None and rc.llen("ran:unlicensed") == 0
    finally:
        worker.stop()
        worker.shutdown()


def test_cron_cli_lists_pauses_resumes_and_runs(
    start_worker: StartWorker, rc: redis.Redis, redis_url: str
) -> None:
    periodic.register("0 9 * * 1", beat, args=["weekly"], tz="Asia/Tokyo", name="weekly")
    worker = start_worker()
    wait_for(lambda: rc.hexists("periodic-entries", "weekly"), "the leader to publish entries")
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, ["cron", *args, "--redis-url", redis_url])
        assert result.exit_code == 0, result.output
        return result.output

    listing = cli("list")
    assert worker.identity in listing and "weekly" in listing and "JST" in listing
    assert "paused" in cli("pause", "weekly")
    assert json.loads(cli("list", "--json"))["entries"][0]["state"] == "paused"
    cli("resume", "weekly")
    out = cli("run", "weekly")
    jid = out.strip().rsplit(" ", 1)[-1]
    (raw,) = rc.lrange("queue:cron", 0, -1)
    assert json.loads(raw)["jid"] == jid
    row = json.loads(cli("list", "--json"))["entries"][0]
    assert row["state"] == "active" and row["last_jid"] == jid
    missing = runner.invoke(main, ["cron", "run", "nope", "--redis-url", redis_url])
    assert missing.exit_code == 3 and 'no periodic entry named "nope"' in missing.output


def test_status_shows_how_recent_runs_ended(start_worker: StartWorker, rc: redis.Redis) -> None:
    periodic.register(None, touch, every=1, args=["ran:ok"], name="fine")
    periodic.register(None, explode, every=1, name="failing")
    start_worker()

    def outcomes() -> dict[str, set[str]] | None:
        rows = {r.entry.name: {h.get("result", "") for h in r.history} for r in periodic.status()}
        done = all(rows.get(n, set()) - {""} for n in ("fine", "failing"))
        return rows if done else None

    rows = wait_for(outcomes, "both entries to report a finished run")
    assert rows["fine"] - {""} == {"ok"}
    assert rows["failing"] - {""} == {"failed: RuntimeError"}


def test_workhorse_status_names_the_elected_leader(
    start_worker: StartWorker, rc: redis.Redis, redis_url: str
) -> None:
    worker = start_worker()
    wait_for(lambda: current_leader(rc) == worker.identity, "the worker to become leader")
    result = CliRunner().invoke(main, ["status", "--json", "--redis-url", redis_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["leader"] == worker.identity
