"""Helpers of the batch tests: a retry clock and real worker subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from support.licenses import subprocess_env, worker_command

from workhorse.keys import Keys

JOBS = str(Path(__file__).with_name("batch_jobs.py"))


class RetryClock:
    """Makes every job in the retry set due now, several times a second.

    Core's retry delay always adds Sidekiq's jitter (up to 10 s x attempt), even
    with ``retry_in``; the tests are about counting, not waiting.
    """

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis, self.key = client, keys.retry
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="retry-clock", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            members = [str(m) for m in self.redis.zrange(self.key, 0, -1)]
            if members:
                self.redis.zadd(self.key, dict.fromkeys(members, 0), xx=True)


class Workers:
    """Real ``workhorse worker`` subprocesses; every one is reaped at teardown."""

    def __init__(self, redis_url: str, r: redis.Redis) -> None:
        self.redis_url, self.r = redis_url, r
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(
        self,
        tmp: Path,
        *,
        concurrency: int = 5,
        tiers: tuple[str, ...] | None = ("pro",),
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        log = tmp / f"worker-{len(self.procs)}.log"
        argv = worker_command(
            "worker", "-r", JOBS, "-c", str(concurrency), "-t", "2", "--redis-url", self.redis_url
        )
        environ = subprocess_env(tiers, WORKHORSE_POLL_INTERVAL="0.05", **(env or {}))
        environ["PYTHONPATH"] = os.pathsep.join(sys.path)
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env=environ, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def wait_registered(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.r.scard("processes") < count:
            for proc, log in zip(self.procs, self.logs, strict=True):
                if proc.poll() is not None:
                    pytest.fail(f"worker exited with {proc.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"timed out after {timeout}s waiting for {count} worker(s) to "
                    f"register in `processes`"
                )
            time.sleep(0.05)

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()}" for log in self.logs)

    def reap(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
