"""Real processes: pushers racing on one identity, and a SIGKILLed worker under reliable fetch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis
from support.licenses import LICENSED_CLI, process_tree_env, subprocess_env, token, worker_command
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings

HERE = Path(__file__).parent
FAST = {
    "WORKHORSE_RELIABLE_LEASE": "1.5",
    "WORKHORSE_RELIABLE_RECOVERY_INTERVAL": "0.3",
    "WORKHORSE_ENCRYPTION_KEYS": "1:" + "A" * 43 + "=",
}
TIERS = ("pro", "enterprise")


def test_pushers_in_four_processes_get_exactly_one_job_through(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    env = process_tree_env(token(TIERS), str(HERE))
    for _ in range(4):
        procs.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "unique_racer.py"), redis_url, "50"],
                cwd=HERE,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    wait_for(lambda: r.get("racers:ready") == "4", "the four pushers to be ready", timeout=60)
    r.rpush("racers:go", *["1"] * 4)
    lines = []
    for proc in procs:
        out, err = (b.decode() for b in proc.communicate(timeout=60))
        assert proc.returncode == 0, err
        lines += out.split()
    pushed = [line for line in lines if line != "-"]
    assert len(lines) == 200 and len(pushed) == 1
    assert r.llen("queue:default") == 1
    assert json.loads(r.lindex("queue:default", 0))["jid"] == pushed[0]


def start_worker(
    url: str, logs: Path, procs: list[subprocess.Popen[bytes]], *args: str
) -> subprocess.Popen[bytes]:
    env = subprocess_env(TIERS, PYTHONPATH=str(HERE), **FAST)
    argv = worker_command("worker", "-r", "unique_jobs", "--redis-url", url, *args)
    with open(logs / f"worker-{len(procs)}.log", "wb") as log:
        proc = subprocess.Popen(argv, cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)
    procs.append(proc)
    return proc


def test_a_sigkilled_job_keeps_its_lock_until_the_recovered_run_finishes(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    assert Path(LICENSED_CLI).exists()
    with __import__("support.licenses", fromlist=["licensed"]).licensed(TIERS):
        client = Client(settings=Settings(redis_url=redis_url))
        victim = start_worker(redis_url, tmp_path, procs)
        jid = client.enqueue("u.gate", ["k"], unique_for=60)
        wait_for(lambda: r.llen("test:started") == 1, "the job to start", timeout=30)
        victim.kill()
        victim.wait(10)
        assert client.enqueue("u.gate", ["k"], unique_for=60) is None  # lock survives the kill
        start_worker(redis_url, tmp_path, procs)
        wait_for(lambda: r.llen("test:started") == 2, "the recovered job to start again", 30)
        assert r.get(r.keys("unique:*")[0]) == jid
        assert client.enqueue("u.gate", ["k"], unique_for=60) is None
        r.rpush("test:go:k", "1", "1")
        wait_for(lambda: r.keys("unique:*") == [], "the recovered run to release the lock", 30)
        assert r.lrange("test:ran", 0, -1) == ["k"]
        assert client.enqueue("u.gate", ["k"], unique_for=60) is not None
