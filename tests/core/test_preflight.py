"""Start-up checks: -r modules that do not import, -q queues Redis never saw (preflight.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from support.processes import CORE_TESTS, output, spawn_worker
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess
from workhorse.worker.preflight import RequireError, locate, queue_warnings, require

BROKEN = str(CORE_TESTS / "broken_jobs_for_tests.py")


def test_a_missing_module_is_one_line_naming_it_the_cwd_and_sys_path() -> None:
    with pytest.raises(RequireError) as caught:
        require(["myapp_that_is_not_there.jobs"])
    message = str(caught.value)
    assert "\n" not in message
    assert "cannot import -r myapp_that_is_not_there.jobs: no module named " in message
    assert "'myapp_that_is_not_there'" in message, "the part that is missing"
    assert f"the current directory {os.getcwd()}" in message and "sys.path (" in message
    assert "PYTHONPATH" in message


def test_a_module_that_raises_while_importing_is_one_line_with_the_error_and_where() -> None:
    with pytest.raises(RequireError) as caught:
        require([BROKEN])
    message = str(caught.value)
    assert "\n" not in message
    assert "importing it raised KeyError: 'timeout' at " in message
    assert "broken_jobs_for_tests.py:11" in message
    assert 'python -c "import broken_jobs_for_tests"' in message


def test_a_missing_file_says_which_path_was_tried(tmp_path: Path) -> None:
    with pytest.raises(RequireError, match=f"there is no file {tmp_path}/nope.py"):
        require([str(tmp_path / "nope.py")])


def test_a_missing_dependency_of_the_module_is_not_reported_as_the_module_missing(
    tmp_path: Path,
) -> None:
    (tmp_path / "needs_dep.py").write_text("import dependency_that_is_not_installed\n")
    with pytest.raises(RequireError) as caught:
        require([str(tmp_path / "needs_dep.py")])
    assert "raised ModuleNotFoundError: No module named 'dependency_that_is_not_installed'" in str(
        caught.value
    )


def test_locate_finds_modules_without_running_them() -> None:
    locate([BROKEN, "jobs_for_tests"])  # the broken module is found; it is not executed
    with pytest.raises(RequireError, match="no module named 'no_such_jobs_module'"):
        locate(["no_such_jobs_module"])


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workhorse", "worker", "--redis-url", url, *args],
        cwd=CORE_TESTS,
        env={**os.environ, "PYTHONPATH": str(CORE_TESTS)},
        capture_output=True,
        text=True,
        timeout=120,
    )


MODES = [[], ["-p", "2"], ["--shard", "URL"]]


@pytest.mark.parametrize("mode", MODES, ids=["single", "p2", "shards"])
def test_worker_with_a_missing_module_prints_one_line_and_exits_2(
    redis_url: str, mode: list[str]
) -> None:
    mode = [redis_url if arg == "URL" else arg for arg in mode]
    done = run_cli(redis_url, "-r", "no_such_jobs_module", *mode)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "cannot import" in line]
    assert errors == [errors[0]] and errors[0].startswith("Error: cannot import -r no_such_jobs_")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("mode", [[], ["-p", "2"]], ids=["single", "p2"])
def test_worker_with_a_module_that_fails_to_import_exits_2_without_restarting(
    redis_url: str, mode: list[str]
) -> None:
    done = run_cli(redis_url, "-r", BROKEN, *mode)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "cannot import" in line]
    assert 1 <= len(errors) <= 2, "one line per process that tried"
    assert "KeyError: 'timeout'" in errors[0]
    assert "Traceback" not in done.stderr
    if mode:
        assert "configuration error" in done.stderr and "restart in" not in done.stderr


def test_unknown_queue_gets_a_near_match() -> None:
    (warning,) = queue_warnings(["critcal"], {"critical", "default"})
    assert "queue 'critcal' given to -q is unknown to Redis" in warning
    assert "did you mean 'critical'?" in warning


def test_unknown_queue_without_a_near_match_lists_known_ones() -> None:
    (warning,) = queue_warnings(["zzz"], {"critical", "default"})
    assert "did you mean" not in warning and "known queues: critical, default" in warning


def test_a_redis_without_any_queue_hints_at_the_url_and_prefix() -> None:
    (warning,) = queue_warnings(["default"], set())
    assert "check --redis-url and --prefix" in warning


def test_known_queues_get_no_warning() -> None:
    assert queue_warnings(["critical", "default"], {"critical", "default", "low"}) == []


def test_worker_warns_at_start_about_a_queue_name_redis_never_saw(
    wh_client: Client,
    start_worker: Callable[..., WorkerProcess],
    caplog: pytest.LogCaptureFixture,
) -> None:
    wh_client.enqueue("jobs_for_tests.record", [1], queue="critical")
    with caplog.at_level(logging.WARNING, "workhorse.worker"):
        start_worker(("critcal", "critical"))
    warnings = [r.getMessage() for r in caplog.records if "unknown to Redis" in r.getMessage()]
    assert len(warnings) == 1 and "did you mean 'critical'?" in warnings[0]


def test_worker_process_prints_the_queue_warning(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    r.sadd("queues", "critical")
    procs.append(spawn_worker(redis_url, "-q", "critcal", "-t", "1"))
    proc = procs[0]
    wait_for(lambda: r.smembers("processes"), "the worker to start")
    proc.terminate()
    proc.wait(20)
    assert "did you mean 'critical'?" in output(proc)
