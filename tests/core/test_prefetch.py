"""How many fetched jobs a worker holds beyond its running ones (--prefetch, Settings.prefetch):
with basic fetch a killed process loses them (issue 17)."""

from __future__ import annotations

import subprocess

import pytest
import redis
from support.processes import spawn_worker
from support.waiting import wait_for

from workhorse.cli.worker_cmd import _child_argv, worker
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.fetch import BasicFetch
from workhorse.worker.executor import Executor
from workhorse.worker.job_speed import FAST_JOB


def fast_executor(concurrency: int, prefetch: int) -> Executor:
    """An executor that believes its jobs are fast (never started: nothing is fetched)."""
    fetcher: BasicFetch = None  # type: ignore[assignment]
    executor = Executor(None, fetcher, concurrency, 1.0, prefetch)  # type: ignore[arg-type]
    executor.mean_job_seconds = FAST_JOB / 10
    executor._size_prefetch_permits()
    return executor


def test_prefetch_zero_fetches_only_for_idle_threads_even_when_jobs_are_fast() -> None:
    executor = fast_executor(4, prefetch=0)
    assert executor.prefetch_permits == 0
    assert executor._take_permits() == 4
    assert executor._take_permits() == 0, "nothing more until a thread is free"


def test_prefetch_sets_the_jobs_per_thread_held_while_jobs_are_fast() -> None:
    assert fast_executor(4, prefetch=2).prefetch_permits == 8
    assert fast_executor(4, prefetch=8).prefetch_permits == 32  # the default


def test_prefetch_comes_from_the_environment_and_must_not_be_negative() -> None:
    assert Settings.from_env({}).prefetch == 8
    assert Settings.from_env({"WORKHORSE_PREFETCH": "0"}).prefetch == 0
    assert Settings.from_env({"WORKHORSE_PREFETCH": "0"}, prefetch=3).prefetch == 3
    with pytest.raises(ConfigError, match=r"prefetch must be 0 .* or more, got -1"):
        Settings.from_env({"WORKHORSE_PREFETCH": "-1"})
    with pytest.raises(ConfigError, match="WORKHORSE_PREFETCH='lots' is not a number"):
        Settings.from_env({"WORKHORSE_PREFETCH": "lots"})


def test_supervised_children_get_zero_values_too() -> None:
    ctx = worker.make_context("worker", ["-p", "2", "--prefetch", "0", "-t", "0", "-r", "app"])
    argv = _child_argv(ctx)
    assert argv[argv.index("--prefetch") + 1] == "0"
    assert argv[argv.index("--timeout") + 1] == "0.0"
    assert "--processes" not in argv


def test_cli_refuses_a_negative_prefetch(redis_url: str) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(worker, ["--prefetch", "-1", "--redis-url", redis_url])
    assert result.exit_code == 2 and "--prefetch" in result.output


def lost_after_sigkill(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]], *args: str
) -> int:
    """Kill a worker in the middle of a long run of fast jobs; jobs neither run nor queued."""
    total = 30_000
    Client(settings=Settings(redis_url=redis_url)).push_bulk(
        {"class": "jobs_for_tests.record", "args": [n]} for n in range(total)
    )
    procs.append(spawn_worker(redis_url, *args, capture=False))
    # By then the worker knows its jobs are fast, so any buffer is in use.
    wait_for(lambda: r.llen("test:ran") >= 2_000, "2,000 jobs to run", timeout=60)
    procs[-1].kill()
    procs[-1].wait(10)
    ran, queued = len(set(r.lrange("test:ran", 0, -1))), r.llen("queue:default")
    assert queued > 0, "the worker was killed in the middle of the run"
    return total - ran - queued


def test_with_prefetch_zero_a_sigkill_loses_at_most_the_running_jobs(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    assert lost_after_sigkill(redis_url, r, procs, "--prefetch", "0", "-c", "2") <= 2
