"""Real worker processes: presence in Redis, signals, graceful shutdown, -p N."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import redis
from support.processes import spawn_worker
from support.waiting import wait_for


def spawn(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return spawn_worker(url, "-t", "3", *args, env=env)


def identities(r: redis.Redis) -> list[str]:
    return sorted(r.smembers("processes"))


def test_process_registers_heartbeat_and_info(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    procs.append(spawn(redis_url, "-q", "critical,2", "-q", "default,1", "-c", "3", "-g", "web"))
    (identity,) = wait_for(lambda: identities(r), "the process to register")
    _, pid, nonce = identity.rsplit(":", 2)
    assert int(pid) == procs[0].pid and len(nonce) == 12
    fields = r.hgetall(identity)
    info = json.loads(fields["info"])
    assert info["concurrency"] == 3 and info["tag"] == "web"
    assert info["queues"] == ["critical", "default"]  # each once, as Sidekiq 6, 7 and 8 do
    assert info["weights"] == [{"critical": 2, "default": 1}]
    assert info["capsules"]["default"]["mode"] == "weighted"
    assert fields["quiet"] == "false" and int(fields["rss"]) > 0
    assert 0 < r.ttl(identity) <= 60


def test_sigterm_requeues_unfinished_jobs_to_the_head(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    from workhorse.client import Client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=redis_url))
    client.enqueue("jobs_for_tests.slow", [30, "long"])
    procs.append(spawn(redis_url))
    wait_for(lambda: r.lrange("test:started", 0, -1), "the slow job to start")
    client.enqueue("jobs_for_tests.record", ["queued-behind"])
    procs[0].send_signal(signal.SIGTERM)
    assert procs[0].wait(15) == 0
    queued = [json.loads(x)["class"] for x in r.lrange("queue:default", 0, -1)]
    # RPUSH puts the interrupted job at the head: it is the next to be popped.
    assert queued[-1] == "jobs_for_tests.slow"
    assert r.smembers("processes") == set()
    log = procs[0].stdout.read().decode() if procs[0].stdout else ""
    assert "pushing 1 unfinished job(s) back" in log


def test_quiet_and_stop_through_the_signals_list_act_between_heartbeats(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    # No heartbeat after the first for ten minutes: the signals list is polled on its own.
    procs.append(spawn(redis_url, env={"WORKHORSE_HEARTBEAT_INTERVAL": "600"}))
    (identity,) = wait_for(lambda: identities(r), "the process to register")
    r.lpush(f"{identity}-signals", "TSTP")
    wait_for(lambda: r.hget(identity, "quiet") == "true", "the process to go quiet", timeout=15)
    r.lpush(f"{identity}-signals", "TERM")
    assert procs[0].wait(15) == 0


def test_sigkill_leaves_no_live_entry_after_ttl_cleanup(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    procs.append(spawn(redis_url))
    (identity,) = wait_for(lambda: identities(r), "the process to register")
    procs[0].kill()
    procs[0].wait(5)
    r.delete(identity)  # as if its 60 s TTL ran out
    from workhorse.api import Inspector

    assert Inspector(r).processes.list() == []


def test_processes_option_runs_n_workers_and_stops_them(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    procs.append(spawn(redis_url, "-p", "2", "-c", "2"))
    found = wait_for(
        lambda: len(identities(r)) == 2 and identities(r), "two worker processes", timeout=20
    )
    pids = {int(i.rsplit(":", 2)[1]) for i in found}
    os.kill(next(iter(pids)), signal.SIGKILL)  # a crashed child is restarted
    wait_for(
        lambda: len({int(i.rsplit(":", 2)[1]) for i in identities(r)} - pids) >= 1,
        "a replacement process",
        timeout=20,
    )
    procs[0].send_signal(signal.SIGTERM)
    assert procs[0].wait(20) == 0


def supervised_children(r: redis.Redis, supervisor_pid: int) -> list[str]:
    found = identities(r)
    infos = [json.loads(r.hget(i, "info") or "{}") for i in found]
    return [
        i
        for i, info in zip(found, infos, strict=True)
        if info.get("supervisor_pid") == supervisor_pid
    ]


def test_a_supervised_process_told_to_stop_is_not_restarted(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    procs.append(spawn(redis_url, "-p", "2", "-c", "1"))
    supervisor = procs[0]
    first, second = wait_for(
        lambda: len(supervised_children(r, supervisor.pid)) == 2 and identities(r),
        "two processes that name their supervisor",
        timeout=20,
    )
    r.lpush(f"{first}-signals", "TERM")  # a dashboard's Stop on one process
    wait_for(lambda: first not in identities(r), "the stopped process to leave", timeout=15)
    r.lpush(f"{second}-signals", "TERM")
    assert supervisor.wait(20) == 0  # both stopped on request: nothing left to supervise
    assert identities(r) == []
    log = supervisor.stdout.read().decode() if supervisor.stdout else ""
    assert log.count("stopped on request; not restarting it") == 2
    assert "restarting it" not in log.replace("not restarting it", "")


def test_workhorse_stop_of_a_supervisor_stops_the_whole_worker(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    procs.append(spawn(redis_url, "-p", "2", "-c", "1"))
    supervisor = procs[0]
    children = wait_for(
        lambda: (
            len(supervised_children(r, supervisor.pid)) == 2
            and supervised_children(r, supervisor.pid)
        ),
        "two processes that name their supervisor",
        timeout=20,
    )
    host = children[0].rsplit(":", 2)[0]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workhorse",
            "stop",
            f"{host}:{supervisor.pid}",
            "--json",
            "--redis-url",
            redis_url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)["processes"]) == sorted(children)
    assert supervisor.wait(20) == 0
