"""Wire compatibility with the real Ruby Sidekiq (Debian's ruby-sidekiq, 6.x).

workhorse runs with ``--sidekiq-compat`` set to the installed Sidekiq's major
version, as a user sharing a Redis with it would: jobs, failures, processes,
running jobs and Quiet/Stop are checked in both directions, on Ruby's API and
Web UI and on workhorse's API and dashboard. Generations that cannot be
installed here are checked against Sidekiq's source in test_sidekiq_compat.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient
from support.processes import spawn_worker, stop
from support.waiting import wait_for

import workhorse
from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.web import create_app

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


def installed_major() -> str:
    """The installed Sidekiq's major version: the generation workhorse is set to share with."""
    if _reason:
        return "6"
    out = subprocess.run(
        ["ruby", "-e", "require 'sidekiq'; puts Sidekiq::VERSION"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().split(".")[0]


COMPAT = installed_major()
# Fast beats so running jobs show up at once; Quiet/Stop do not depend on them.
FAST_BEAT = {"WORKHORSE_HEARTBEAT_INTERVAL": "0.5"}


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
def python_worker(tcp_url: str, r: redis.Redis) -> Iterator[subprocess.Popen[bytes]]:
    proc = spawn_worker(
        tcp_url,
        "--sidekiq-compat",
        COMPAT,
        "-q",
        "critical,3",
        "-q",
        "default,1",
        "-t",
        "2",
        "-c",
        "2",
        env=FAST_BEAT,
        capture=False,
    )
    yield proc
    r.rpush("test:release", *["go"] * 4)
    stop(proc, 15)


@pytest.fixture
def python_client(tcp_url: str) -> Client:
    return Client(settings=Settings(redis_url=tcp_url, sidekiq_compat=int(COMPAT)))


def start_ruby_sidekiq(url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["sidekiq", "-r", str(HERE / "ruby_jobs.rb"), "-c", "2", "-t", "1", *args],
        env={**os.environ, "REDIS_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def ruby_sidekiq(tcp_url: str, r: redis.Redis) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_ruby_sidekiq(tcp_url, "-g", "rubyside")
    yield proc
    r.rpush("test:ruby_release", *["go"] * 4)
    stop(proc, 30)


def live(r: redis.Redis) -> list[str]:
    return sorted(i for i in r.smembers("processes") if r.exists(i))


def dashboard_page(r: redis.Redis, path: str = "/busy") -> str:
    inspector = Inspector(r, Keys(), Settings())
    with TestClient(create_app(inspector, tabs=[])) as browser:
        answer = browser.get(path)
        assert answer.status_code == 200
        return answer.text


def dashboard_post(r: redis.Redis, path: str, form: dict[str, str]) -> None:
    inspector = Inspector(r, Keys(), Settings())
    with TestClient(create_app(inspector, tabs=[])) as browser:
        found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', browser.get("/").text)
        assert found, "no CSRF token on the dashboard"
        answer = browser.post(
            path, data={"csrf_token": found.group(1), **form}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text


def test_job_pushed_by_ruby_client_runs_in_workhorse(
    tcp_url: str, r: redis.Redis, python_worker: subprocess.Popen[bytes]
) -> None:
    jid = ruby(tcp_url, "push")
    assert len(jid) == 24
    wait_for(lambda: r.lrange("test:ran", 0, -1) == ["from-ruby:42"], "the Ruby-pushed job", 20)


def test_job_pushed_by_workhorse_runs_in_ruby_sidekiq(
    r: redis.Redis, python_client: Client, ruby_sidekiq: subprocess.Popen[bytes]
) -> None:
    python_client.enqueue("RubyEcho", ["from-python", 7])
    wait_for(
        lambda: r.lrange("test:ruby_ran", 0, -1) == ["from-python:7"],
        "Ruby Sidekiq to run the job",
        timeout=60,
    )


def test_workhorse_failure_is_read_by_ruby_retry_set(
    tcp_url: str, r: redis.Redis, python_client: Client, python_worker: subprocess.Popen[bytes]
) -> None:
    client = python_client
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
    assert proc["pid"] == python_worker.pid and proc["identity"] == live(r)[0]
    assert proc["queues"] == ["critical", "default"]  # each once, as Sidekiq lists its own
    assert proc["concurrency"] == 2 and proc["quiet"] is False and "workhorse" in proc["labels"]
    stats = ruby(tcp_url, "stats")
    assert stats["retry_size"] == 0


def test_ruby_lists_the_jobs_running_in_workhorse(
    tcp_url: str, r: redis.Redis, python_client: Client, python_worker: subprocess.Popen[bytes]
) -> None:
    jid = python_client.enqueue("jobs_for_tests.hold", ["seen-by-ruby"])
    wait_for(lambda: r.lrange("test:started", 0, -1), "the job to start", 20)
    (work,) = wait_for(lambda: ruby(tcp_url, "workers"), "Ruby's WorkSet to list the job", 20)
    assert work["process"] == live(r)[0] and work["queue"] == "default"
    assert work["jid"] == jid and work["class"] == "jobs_for_tests.hold"
    assert work["args"] == ["seen-by-ruby"]
    assert isinstance(work["run_at"], int) and abs(work["run_at"] - time.time()) < 60
    page = ruby(tcp_url, "busy_page")  # Sidekiq's own Web UI, rendered by Ruby
    assert "jobs_for_tests.hold" in page and "seen-by-ruby" in page
    assert "critical, default" in page and "critical, critical" not in page
    r.rpush("test:release", "go")
    wait_for(lambda: ruby(tcp_url, "workers") == [], "the finished job to leave Ruby's list", 20)


def test_workhorse_lists_the_jobs_running_in_ruby_sidekiq(
    r: redis.Redis, python_client: Client, ruby_sidekiq: subprocess.Popen[bytes]
) -> None:
    jid = python_client.enqueue("RubyHold", ["seen-by-python", 3])
    wait_for(lambda: r.lrange("test:ruby_started", 0, -1), "Ruby to start the job", 60)
    processes = Inspector(r).processes
    (proc,) = wait_for(
        lambda: [p for p in processes.list() if p.running],
        "workhorse to read Ruby's running job",
        20,
    )
    assert proc.is_ruby and proc.pid == ruby_sidekiq.pid and proc.info["tag"] == "rubyside"
    (running,) = proc.running
    assert running.job.jid == jid and running.job.klass == "RubyHold"
    assert running.job.args == ["seen-by-python", 3] and running.queue == "default"
    assert abs(running.run_at - time.time()) < 60
    page = dashboard_page(r)
    assert "Ruby Sidekiq" in page and "RubyHold" in page and "seen-by-python" in page
    assert f'data-jid="{jid}"' in page


def test_ruby_quiets_and_stops_a_workhorse_process(
    tcp_url: str, r: redis.Redis, python_worker: subprocess.Popen[bytes]
) -> None:
    (identity,) = wait_for(lambda: live(r), "the worker to register", 20)
    ruby(tcp_url, "quiet", identity)  # what the Busy page's Quiet button calls
    wait_for(lambda: ruby(tcp_url, "processes")[0]["quiet"], "Ruby to see it quiet", 20)
    ruby(tcp_url, "stop", identity)
    assert python_worker.wait(20) == 0
    assert live(r) == []


def test_ruby_stop_on_each_process_stops_a_supervised_worker(
    tcp_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    supervisor = spawn_worker(
        tcp_url,
        "--sidekiq-compat",
        COMPAT,
        "-p",
        "2",
        "-c",
        "1",
        "-t",
        "2",
        env=FAST_BEAT,
        capture=False,
    )
    procs.append(supervisor)
    first, second = wait_for(lambda: len(live(r)) == 2 and live(r), "two processes", 30)
    ruby(tcp_url, "stop", first)
    wait_for(lambda: first not in live(r), "the stopped process to leave", 20)
    assert len(live(r)) == 1  # not replaced: it was told to stop
    ruby(tcp_url, "stop", second)
    assert supervisor.wait(30) == 0  # nothing left to supervise
    assert live(r) == []


def test_workhorse_quiets_and_stops_ruby_sidekiq(
    r: redis.Redis, ruby_sidekiq: subprocess.Popen[bytes]
) -> None:
    (identity,) = wait_for(lambda: live(r), "Ruby Sidekiq to register", 60)
    Inspector(r).processes.quiet(identity)  # what `workhorse quiet IDENTITY` sends
    wait_for(lambda: r.hget(identity, "quiet") == "true", "Ruby to go quiet", 30)
    dashboard_post(r, "/busy", {"action": "stop", "identity": identity})
    assert ruby_sidekiq.wait(30) == 0


# -- issue 18: handles, results, time limits, cancellation ---------------------------------


def test_lifecycle_fields_and_keys_leave_ruby_sidekiq_working(
    tcp_url: str, r: redis.Redis, python_client: Client, ruby_sidekiq: subprocess.Popen[bytes]
) -> None:
    """Ruby runs a job carrying store_result/result_ttl/timeout, and its API still reads a
    Redis holding result records and cancellation requests."""
    handle = python_client.enqueue(
        "RubyEcho", ["with-extras", 8], store_result=True, result_ttl=60, timeout=5
    )
    assert handle is not None
    cancelled = python_client.enqueue("RubyEcho", ["never", 0], queue="elsewhere")
    assert cancelled is not None and cancelled.cancel() == "removed"
    wait_for(
        lambda: r.lrange("test:ruby_ran", 0, -1) == ["with-extras:8"],
        "Ruby Sidekiq to run the job",
        timeout=60,
    )
    assert r.exists(f"result:{cancelled}") and r.zcard("cancelled") == 1
    stats = ruby(tcp_url, "stats")
    assert stats["retry_size"] == 0
    assert ruby(tcp_url, "retries") == []


def test_a_ruby_pushed_job_has_a_status_and_can_be_cancelled(
    tcp_url: str, r: redis.Redis, python_client: Client
) -> None:
    jid = ruby(tcp_url, "push")
    handle = workhorse.job_handle(jid, python_client)
    status = handle.status()
    assert (status.state, status.where) == ("queued", "queue:default")
    assert status.job is not None and status.job.klass == "HardJob"
    assert handle.cancel() == "removed" and r.llen("queue:default") == 0


def test_ruby_reads_a_timed_out_workhorse_job_in_its_retry_set(
    tcp_url: str, r: redis.Redis, python_client: Client
) -> None:
    proc = spawn_worker(tcp_url, "--sidekiq-compat", COMPAT, jobs="lifecycle_jobs", capture=False)
    try:
        jid = python_client.enqueue("lifecycle_jobs.sleeper", [30, "too-slow"], timeout=0.3)
        wait_for(lambda: r.zcard("retry") == 1, "the timeout to land in retry", 20)
    finally:
        stop(proc, 15)
    (entry,) = ruby(tcp_url, "retries")
    assert entry["jid"] == jid and entry["error_class"] == "JobTimeout"
    assert "time limit of 0.3s" in entry["error_message"] and entry["retry_count"] == 0


def test_ruby_sees_every_capsule_of_a_workhorse_process(tcp_url: str, r: redis.Redis) -> None:
    proc = spawn_worker(
        tcp_url,
        "--sidekiq-compat",
        COMPAT,
        "-q",
        "default",
        "-c",
        "3",
        "--capsule",
        "serial:payments:1",
        "-t",
        "2",
        env=FAST_BEAT,
        capture=False,
    )
    try:
        wait_for(lambda: r.scard("processes") == 1, "the worker heartbeat", 20)
        (seen,) = ruby(tcp_url, "processes")
        assert seen["queues"] == ["default", "payments"] and seen["concurrency"] == 4
        page = ruby(tcp_url, "busy_page")  # Sidekiq's own Busy page lists both capsules' queues
        assert "default, payments" in page
    finally:
        stop(proc, 15)
