"""The cron failover scenario with real processes (issue 10's proof), shared with the benchmark.

Three licensed ``workhorse worker`` subprocesses run per-second entries (one
per missed-run policy) against a private, persistent Redis. The run SIGKILLs
the leader, stops the next leader cleanly, and kills and restarts Redis; the
result says which ticks were enqueued and how long each takeover took.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from support import redis_server
from support.licenses import subprocess_env, worker_command
from support.waiting import wait_for

HERE = Path(__file__).parent
ENTRIES = ("every-second-all", "every-second-skip", "every-second-once")


@dataclass
class Timings:
    lease: float = 3.0
    grace: float = 6.0
    settle: float = 3.0  # seconds of normal running between events
    outage: float = 9.0  # seconds Redis is down; longer than grace, so some ticks are missed


@dataclass
class Result:
    jobs: list[dict[str, object]]
    sigkill_takeover: float
    clean_handover: float
    outage: tuple[float, float]
    recovered_at: float
    logs: dict[int, str] = field(default_factory=dict)

    def ticks(self, entry: str) -> list[int]:
        return [int(str(j["periodic_tick"])) for j in self.jobs if j["periodic"] == entry]

    def duplicates(self, entry: str) -> list[int]:
        return sorted(t for t, n in Counter(self.ticks(entry)).items() if n > 1)

    def gaps(self, entry: str) -> list[int]:
        ticks = sorted(set(self.ticks(entry)))
        return sorted(set(range(ticks[0], ticks[-1] + 1)) - set(ticks)) if ticks else []

    def lags_ms(self, entry: str) -> list[int]:
        """Tick time to enqueue time of the runs that were not missed (sorted)."""
        return sorted(
            int(str(j["enqueued_at"])) - int(str(j["periodic_tick"])) * 1000
            for j in self.jobs
            if j["periodic"] == entry and not j.get("periodic_missed")
        )

    def missed_runs(self, entry: str) -> list[int]:
        return [
            int(str(j["periodic_tick"]))
            for j in self.jobs
            if j["periodic"] == entry and j.get("periodic_missed")
        ]


class Cluster:
    """A persistent Redis and the worker subprocesses, always cleaned up."""

    def __init__(self, timings: Timings) -> None:
        self.timings = timings
        self.directory = tempfile.mkdtemp(prefix="whcron-")
        self.port = redis_server.free_port()
        self.server = self._start_redis()
        self.url = self.server.url(0, tcp=True)
        self.workers: dict[int, subprocess.Popen[bytes]] = {}
        self.logs: dict[int, Path] = {}
        self.closed: dict[int, str] | None = None

    def _start_redis(self) -> redis_server.RedisServer:
        return redis_server.start(
            directory=self.directory,
            port=self.port,
            appendonly=True,
            extra=["--appendfsync", "always"],
            databases=16,
        )

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=2)

    def spawn(self) -> int:
        log_path = Path(self.directory) / f"worker-{len(self.logs)}.log"
        t = self.timings
        env = subprocess_env(
            ("enterprise",),
            PYTHONPATH=str(HERE),
            WH_TEST_PERIODIC_ENTRIES="failover",
            WH_TEST_GRACE=str(t.grace),
            WORKHORSE_LEADER_LEASE=str(t.lease),
            WORKHORSE_LEADER_RENEW=str(t.lease / 3),
            WORKHORSE_LEADER_RETRY="0.5",
        )
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                worker_command(
                    "worker",
                    "-r",
                    "periodic_jobs",
                    "--redis-url",
                    self.url,
                    "-q",
                    "default",
                    "-c",
                    "2",
                    "-t",
                    "2",
                ),
                cwd=HERE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.workers[proc.pid] = proc
        self.logs[proc.pid] = log_path
        return proc.pid

    def leader_pid(self) -> int | None:
        try:
            holder = self.redis().get("dear-leader")
        except redis.RedisError:
            return None
        return int(holder.rsplit(":", 2)[1]) if holder else None

    def kill_redis(self) -> None:
        self.server.process.kill()
        self.server.process.wait(10)

    def restart_redis(self) -> None:
        self.server = self._start_redis()

    def close(self) -> dict[int, str]:
        """Stop every worker (SIGTERM, then SIGKILL) and Redis; return the worker logs."""
        if self.closed is not None:
            return self.closed
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.closed = {pid: path.read_text(errors="replace") for pid, path in self.logs.items()}
        self.server.stop()  # also removes the directory
        shutil.rmtree(self.directory, ignore_errors=True)
        return self.closed


@contextmanager
def cluster(timings: Timings) -> Iterator[Cluster]:
    c = Cluster(timings)
    try:
        yield c
    finally:
        c.close()


def _new_leader(c: Cluster, old: int, timeout: float) -> int:
    def other() -> int | None:
        pid = c.leader_pid()
        return pid if pid not in (None, old) else None

    return wait_for(other, f"a leader other than pid {old}", timeout=timeout)


def run(timings: Timings | None = None) -> Result:
    t = timings or Timings()
    with cluster(t) as c:
        for _ in range(3):
            c.spawn()
        first = wait_for(c.leader_pid, "the first leader", timeout=30)
        r = c.redis()
        wait_for(
            lambda: all(r.hexists(f"periodic-state:{e}", "last_jid") for e in ENTRIES),
            "every entry's first enqueue",
            timeout=15,
        )
        time.sleep(t.settle)

        c.workers[first].kill()  # SIGKILL: no step-down, the lease must expire
        killed_at = time.monotonic()
        second = _new_leader(c, first, timeout=t.lease * 4 + 10)
        sigkill_takeover = time.monotonic() - killed_at
        time.sleep(t.settle)

        c.workers[second].send_signal(signal.SIGTERM)  # clean stop: hands over at once
        stopped_at = time.monotonic()
        _new_leader(c, second, timeout=t.lease * 4 + 10)
        clean_handover = time.monotonic() - stopped_at
        time.sleep(t.settle)

        down_at = time.time()
        c.kill_redis()
        time.sleep(t.outage)
        c.restart_redis()
        up_at = time.time()
        r = c.redis()
        # Recovered once every entry has enqueued ticks well after the restart.
        wait_for(
            lambda: all(
                int(r.hget(f"periodic-state:{e}", "last_tick") or 0) >= up_at + 3 for e in ENTRIES
            ),
            "ticks to resume after the Redis restart",
            timeout=t.lease * 4 + 15,
        )
        recovered_at = time.time()
        raw = r.lrange("queue:cron", 0, -1)
        logs = c.close()
    return Result(
        jobs=[json.loads(x) for x in reversed(raw)],
        sigkill_takeover=sigkill_takeover,
        clean_handover=clean_handover,
        outage=(down_at, up_at),
        recovered_at=recovered_at,
        logs=logs,
    )


def report(result: Result) -> str:
    down, up = result.outage
    lines = [
        f"takeover after SIGKILL of the leader: {result.sigkill_takeover:.2f} s",
        f"handover after a clean stop:          {result.clean_handover:.2f} s",
        f"Redis outage:                         {up - down:.1f} s",
        f"{'entry':<20} {'jobs':>5} {'dups':>5} {'gaps':>5} {'missed runs':>12}",
    ]
    for entry in ENTRIES:
        lines.append(
            f"{entry:<20} {len(result.ticks(entry)):>5} "
            f"{len(result.duplicates(entry)):>5} {len(result.gaps(entry)):>5} "
            f"{len(result.missed_runs(entry)):>12}"
        )
    lags = result.lags_ms("every-second-all")
    prompt = [lag for lag in lags if lag < 1000]  # the rest were caught up after a SIGKILL
    if prompt:
        lines.append(
            f"tick -> enqueue lag under 1 s (ms): median {prompt[len(prompt) // 2]}, "
            f"p90 {prompt[int(len(prompt) * 0.9)]} (ticks during the clean handover), "
            f"max {prompt[-1]}; {len(lags) - len(prompt)} ticks caught up later"
        )
    return "\n".join(lines)
