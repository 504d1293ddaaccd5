"""Real `workhorse worker` subprocesses for tests: start one on the engine's test jobs, stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

CORE_TESTS = Path(__file__).parent.parent / "core"


def spawn_worker(
    url: str,
    *args: str,
    env: dict[str, str] | None = None,
    capture: bool = True,
    jobs: str = "jobs_for_tests",
    home: Path = CORE_TESTS,
) -> subprocess.Popen[bytes]:
    """``workhorse worker -r JOBS --redis-url URL ARGS...`` run in ``home`` (where the
    ``jobs`` module lives); captures its output unless ``capture`` is False."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "workhorse", "worker", "-r", jobs, "--redis-url", url, *args],
        cwd=home,
        # Job start/done lines off: a pipe nobody reads would fill up and block the worker.
        env={**os.environ, "PYTHONPATH": str(home), "WORKHORSE_JOB_LOGS": "0", **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int | None:
    """SIGTERM, wait ``timeout`` s, then SIGKILL; the exit code of a graceful stop, else None."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def stop_all(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    """SIGTERM every process first (so they stop side by side), then wait for each up to
    ``timeout`` s and SIGKILL the ones still running."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def output(process: subprocess.Popen[bytes]) -> str:
    """Everything a finished process printed (empty if its output was not captured)."""
    return process.stdout.read().decode() if process.stdout else ""
