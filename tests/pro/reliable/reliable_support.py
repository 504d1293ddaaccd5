"""Helpers shared by the reliable-fetch tests and benchmarks."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from support.licenses import subprocess_env, worker_command

HERE = Path(__file__).parent
FAST_ENV = {"WORKHORSE_RELIABLE_LEASE": "1.5", "WORKHORSE_RELIABLE_RECOVERY_INTERVAL": "0.3"}


class Workers:
    """Real ``workhorse worker`` subprocesses; every one is killed and reaped at teardown."""

    def __init__(self, url: str, logs: Path) -> None:
        self.url = url
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.default_env: dict[str, str] = dict(FAST_ENV)

    def start(
        self,
        *args: str,
        tiers: tuple[str, ...] | None = ("pro",),
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        extra = {**self.default_env, **(env or {})}
        full_env = subprocess_env(tiers, PYTHONPATH=str(HERE), **extra)
        argv = worker_command("worker", "-r", "reliable_jobs", "--redis-url", self.url, *args)
        log = open(self.logs / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(argv, cwd=HERE, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        proc.wait(30)

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def output(self, proc: subprocess.Popen[bytes]) -> str:
        return (self.logs / f"worker-{self.procs.index(proc)}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)


def registered(r: redis.Redis) -> list[str]:
    """Identities registered for reliable fetch (no prefix)."""
    return sorted(r.hkeys("reliable:processes"))


def in_progress_keys(r: redis.Redis) -> list[str]:
    return sorted(r.scan_iter(match="inprogress*"))  # the hashes and their batch lists


@dataclass
class ChaosReport:
    jobs: int
    ran: int
    twice: int
    kills: int
    restarts: int
    seconds: float
    recovered: int
    redis_restarts: int = 0

    def line(self) -> str:
        return (
            f"chaos: {self.jobs} jobs, {self.ran} ran, {self.jobs - self.ran} lost, "
            f"{self.twice} ran more than once, {self.kills} SIGKILLs, {self.restarts} restarts, "
            f"{self.redis_restarts} Redis restarts, {self.recovered} recovered, "
            f"{self.seconds:.1f}s"
        )


def enqueue_ledger_jobs(url: str, count: int, sleep_ms: int) -> None:
    from workhorse.client import Client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=url))
    client.push_bulk(
        {"class": "reliable.record", "args": [f"j{n}", sleep_ms]} for n in range(count)
    )


def run_chaos(
    r: redis.Redis,
    workers: Workers,
    jobs: int,
    *,
    processes: int = 3,
    concurrency: int = 4,
    kill_every: float = 1.0,
    deadline: float = 60.0,
    on_kill: Callable[[int], None] | None = None,
) -> ChaosReport:
    """SIGKILL a random worker every ``kill_every`` s and start a new one, until all ran."""
    rng = random.Random(7)
    for _ in range(processes):
        workers.start("-c", str(concurrency))
    started = time.monotonic()
    kills = restarts = 0
    next_kill = started + kill_every
    while _ran(r) < jobs:
        if time.monotonic() - started > deadline:
            raise AssertionError(f"only {_ran(r)} of {jobs} jobs ran in {deadline}s")
        if time.monotonic() >= next_kill:
            alive = workers.alive()
            if alive:
                workers.kill(rng.choice(alive))
                kills += 1
                if on_kill is not None:
                    on_kill(kills)
            if len(workers.alive()) < processes:
                workers.start("-c", str(concurrency))
                restarts += 1
            next_kill = time.monotonic() + kill_every * rng.uniform(0.5, 1.5)
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    counts = [int(v) for v in r.hvals("test:runs")]
    stats = r.hgetall("reliable:stats")
    return ChaosReport(
        jobs,
        len(counts),
        sum(1 for c in counts if c > 1),
        kills,
        restarts,
        elapsed,
        int(stats.get("recovered", 0)),
    )


def _ran(r: redis.Redis) -> int:
    """Jobs that ran so far; -1 while Redis is restarting."""
    try:
        return int(r.hlen("test:runs"))
    except redis.ConnectionError:
        return -1
