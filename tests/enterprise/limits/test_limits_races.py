"""Races: many threads in this process and two more processes share each limiter.

Every admission is logged with the Redis server's clock (from the same Lua call
that admitted it), and the proof is read from the log, never from elapsed time.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from limits_checks import leaky_excess, most_holders, most_per_bucket, most_per_window
from limits_hammer_local import start
from support.licenses import subprocess_env
from support.waiting import wait_for

from workhorse_enterprise import limits

pytestmark = pytest.mark.usefixtures("enterprise", "wh_client")
HAMMER = str(Path(__file__).with_name("limits_hammer.py"))
SECONDS = 2.0


def spawn(procs: list[subprocess.Popen[bytes]], *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, HAMMER, *args],
        env=subprocess_env(("enterprise",)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    procs.append(proc)
    return proc


def run_race(
    rc: redis.Redis, url: str, procs: list[subprocess.Popen[bytes]], specs: str, threads: int
) -> None:
    """Two processes and this one hammer ``specs`` for SECONDS, all starting together."""
    for _ in range(2):
        spawn(procs, url, "hammer", specs, str(threads), str(SECONDS))
    wait_for(lambda: rc.get("ready") == "2", "both hammer processes to be ready", timeout=30)
    rc.rpush("go", "1", "1")
    here = start(specs, threads, SECONDS)
    for thread in here:
        thread.join()
    for proc in procs:
        out = proc.communicate(timeout=30)[0].decode()
        assert proc.returncode == 0, out


def log(rc: redis.Redis, name: str) -> list[list[float]]:
    return [[float(x) for x in line.split()] for line in rc.lrange(f"log:{name}", 0, -1)]


def test_concurrent_never_has_more_than_limit_holders(
    rc: redis.Redis,
    redis_url: str,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    run_race(rc, redis_url, procs, "concurrent:pool:3:30", threads=6)
    held = [(a, r) for a, r in log(rc, "pool")]
    print(f"{len(held)} holds by 18 threads in 3 processes; most at once: {most_holders(held)}")
    assert len(held) > 100
    assert most_holders(held) == 3
    assert rc.hget("lmtr-m-pool", "admitted") == str(len(held))
    assert rc.zcard("lmtr-c-pool") == 0


def test_bucket_window_and_leaky_never_admit_more_than_their_limit(
    rc: redis.Redis,
    redis_url: str,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    specs = "bucket:b:10:0.25,window:w:10:0.25,leaky:l:10:0.25"
    run_race(rc, redis_url, procs, specs, threads=6)
    bucket, window, leaky = ([t for (t,) in log(rc, name)] for name in "bwl")
    print(f"admissions: bucket {len(bucket)}, window {len(window)}, leaky {len(leaky)}")
    # each ran ~2 s at up to 40/s: most of that capacity was used, never more
    assert min(len(bucket), len(window), len(leaky)) > 40
    assert most_per_bucket(bucket, 0.25) == 10
    assert most_per_window(window, 0.25) == 10
    assert leaky_excess(leaky, 10, 0.25) <= 1e-6


def test_a_sigkilled_holders_slot_is_reclaimed_after_lock_timeout(
    rc: redis.Redis,
    redis_url: str,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    holder = spawn(procs, redis_url, "hold", "fragile", "1.0")
    wait_for(lambda: rc.lrange("held", 0, -1), "the holder process to take the slot", timeout=30)
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    limiter = limits.concurrent("fragile", 1, lock_timeout=1.0, wait_timeout=5)
    with limiter.acquire() as lease:
        pass
    assert lease.waited < 1.5  # at most the rest of the dead holder's 1 s lease
    assert rc.hget("lmtr-m-fragile", "reclaimed") == "1"
    assert rc.hget("lmtr-m-fragile", "waited") == ("1" if lease.waited > 0.01 else None)


def test_threads_in_one_process_share_a_mutex_one_at_a_time(rc: redis.Redis) -> None:
    mutex = limits.concurrent("mutex", 1, wait_timeout=10)
    spans: list[tuple[float, float]] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(10):
            with mutex.acquire() as lease:
                time.sleep(rng.uniform(0, 0.005))
            assert lease.released_at is not None
            spans.append((lease.admitted_at, lease.released_at))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(spans) == 80 and most_holders(spans) == 1
