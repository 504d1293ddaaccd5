"""Wire compatibility with the real Ruby Sidekiq (Debian's ruby-sidekiq, 6.x).

Sidekiq 6 reads times as float seconds, so these workers run with
``--timestamps float`` (Sidekiq 7's format); Sidekiq 8 reads both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from support.processes import spawn_worker, stop
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings

pytestmark = pytest.mark.ruby
HERE = Path(__file__).parent


def ruby_available() -> str | None:
    if shutil.which("ruby") is None or shutil.which("sidekiq") is None:
        return "ruby/sidekiq not installed (apt-get install ruby-sidekiq; tests/run.py does it)"
    probe = subprocess.run(["ruby", "-e", "require 'sidekiq'"], capture_output=True, check=False)
    return None if probe.returncode == 0 else f"ruby cannot load sidekiq: {probe.stderr!r}"


_reason = ruby_available()
if _reason and os.environ.get("CI"):
    raise RuntimeError(f"Sidekiq interop tests cannot run in CI: {_reason}")
pytestmark = [
    pytest.mark.ruby,
    pytest.mark.skipif(_reason is not None, reason=f"SKIPPED LOUDLY: {_reason}"),
]


def ruby(url: str, *args: str) -> Any:
    out = subprocess.run(
        ["ruby", str(HERE / "ruby_client.rb"), *args],
        env={**os.environ, "REDIS_URL": url},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return (
        json.loads(out.stdout) if out.stdout.strip().startswith(("[", "{")) else out.stdout.strip()
    )


@pytest.fixture
def tcp_url(redis_srv: Any, redis_url: str) -> str:
    db = int(redis_url.rsplit("=", 1)[1])
    return redis_srv.url(db, tcp=True)


@pytest.fixture
def python_worker(tcp_url: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = spawn_worker(tcp_url, "--timestamps", "float", "-t", "2", "-c", "2", capture=False)
    yield proc
    stop(proc, 15)


def test_job_pushed_by_ruby_client_runs_in_workhorse(
    tcp_url: str, r: redis.Redis, python_worker: subprocess.Popen[bytes]
) -> None:
    jid = ruby(tcp_url, "push")
    assert len(jid) == 24
    wait_for(lambda: r.lrange("test:ran", 0, -1) == ["from-ruby:42"], "the Ruby-pushed job", 20)


def test_job_pushed_by_workhorse_runs_in_ruby_sidekiq(tcp_url: str, r: redis.Redis) -> None:
    client = Client(settings=Settings(redis_url=tcp_url, timestamp_format="float"))
    client.enqueue("RubyEcho", ["from-python", 7])
    proc = subprocess.Popen(
        ["sidekiq", "-r", str(HERE / "ruby_jobs.rb"), "-c", "1", "-t", "1"],
        env={**os.environ, "REDIS_URL": tcp_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: r.lrange("test:ruby_ran", 0, -1) == ["from-python:7"],
            "Ruby Sidekiq to run the job",
            timeout=60,
        )
    finally:
        stop(proc)


def test_workhorse_failure_is_read_by_ruby_retry_set(
    tcp_url: str, r: redis.Redis, python_worker: subprocess.Popen[bytes]
) -> None:
    client = Client(settings=Settings(redis_url=tcp_url, timestamp_format="float"))
    jid = client.enqueue("jobs_for_tests.always_fails", ["ruby-reads-me"], backtrace=True)
    wait_for(lambda: r.zcard("retry") == 1, "the failure to land in retry", 20)
    (entry,) = ruby(tcp_url, "retries")
    assert entry["jid"] == jid and entry["klass"] == "jobs_for_tests.always_fails"
    assert entry["error_class"] == "ValueError" and entry["error_message"] == "boom ruby-reads-me"
    assert entry["retry_count"] == 0 and isinstance(entry["failed_at"], float)
    assert entry["backtrace_lines"] and entry["backtrace_lines"] > 0
    assert entry["args"] == ["ruby-reads-me"] and entry["queue"] == "default"


def test_ruby_process_set_lists_a_workhorse_process(
    tcp_url: str, r: redis.Redis, python_worker: subprocess.Popen[bytes]
) -> None:
    wait_for(lambda: r.scard("processes") == 1, "the worker heartbeat", 20)
    (proc,) = ruby(tcp_url, "processes")
    assert proc["pid"] == python_worker.pid and proc["queues"] == ["default"]
    assert proc["concurrency"] == 2 and proc["identity"].endswith(proc["identity"][-12:])
    stats = ruby(tcp_url, "stats")
    assert stats["retry_size"] == 0
