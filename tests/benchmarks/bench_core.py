"""Core engine benchmark (issue 3). Prints a table; asserts nothing about speed.

Run: hatch run bench tests/benchmarks/bench_core.py   (or python -m pytest ... -s)

Measures, on one private redis-server, workhorse next to Dramatiq 2.2.1 (installed
in its own venv under tests/benchmarks/.venv-dramatiq on first run):
no-op drain rate of 20,000 pre-enqueued jobs (2 processes x 8 threads), 10 ms
jobs at high concurrency, enqueue rates (single and bulk), enqueue-to-start
latency with idle workers, peak RSS per worker process, Redis commands per job.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from support import redis_server  # noqa: E402
from support.proc_stats import peak_rss_mib  # noqa: E402
from support.processes import spawn_worker  # noqa: E402

DRAMATIQ_VENV = HERE / ".venv-dramatiq"
N_NOOP = int(os.environ.get("BENCH_NOOP_JOBS", "20000"))
N_SLEEP = int(os.environ.get("BENCH_SLEEP_JOBS", "4000"))


def dramatiq_python() -> Path | None:
    python = DRAMATIQ_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DRAMATIQ_VENV)], check=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "dramatiq[redis]==2.2.1"], check=False
        )
        if done.returncode != 0:
            return None
    return python


def commands(r: redis.Redis) -> int:
    return int(r.info("stats")["total_commands_processed"])


def child_pids(parent: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_drained(
    r: redis.Redis,
    is_empty: callable[[], bool],
    started: callable[[], bool],
    timeout: float = 300,
) -> float:
    deadline = time.monotonic() + timeout
    while not started():
        if time.monotonic() > deadline:
            raise RuntimeError("workers never started consuming")
        time.sleep(0.001)
    t0 = time.perf_counter()
    while not is_empty():
        if time.monotonic() > deadline:
            raise RuntimeError("queue not drained in time")
        time.sleep(0.002)
    return time.perf_counter() - t0


def workhorse_worker(url: str, processes: int, threads: int) -> subprocess.Popen[bytes]:
    return spawn_worker(
        url,
        "-q",
        "bench",
        "-p",
        str(processes),
        "-c",
        str(threads),
        capture=False,
        jobs="bench_jobs",
        home=HERE,
    )


def workhorse_drain(
    url: str, name: str, count: int, processes: int, threads: int
) -> dict[str, float]:
    from workhorse.client import Client
    from workhorse.config import Settings

    r = redis.Redis.from_url(url, decode_responses=True)
    r.flushdb()
    Client(settings=Settings(redis_url=url)).push_bulk(
        {"class": f"bench_jobs.{name}", "args": [], "queue": "bench"} for _ in range(count)
    )
    before = commands(r)
    proc = workhorse_worker(url, processes, threads)
    try:
        elapsed = wait_drained(
            r, lambda: r.llen("queue:bench") == 0, lambda: r.llen("queue:bench") < count
        )
        rss = peak_rss_mib(child_pids(proc.pid) if processes > 1 else [proc.pid])
        per_job = (commands(r) - before) / count
    finally:
        stop(proc)
    return {"rate": count / elapsed, "rss": max(rss) if rss else 0.0, "cmds": per_job}


def dramatiq_drain(
    url: str, name: str, count: int, processes: int, threads: int
) -> dict[str, float]:
    python = dramatiq_python()
    if python is None:
        return {"rate": float("nan"), "rss": float("nan"), "cmds": float("nan")}
    r = redis.Redis.from_url(url, decode_responses=True)
    r.flushdb()
    env = {**os.environ, "BENCH_REDIS_URL": url, "PYTHONPATH": str(HERE)}
    subprocess.run(
        [str(python), str(HERE / "dramatiq_fill.py"), str(count), name],
        env=env,
        cwd=HERE,
        check=True,
    )
    before = commands(r)
    proc = subprocess.Popen(
        [
            str(python),
            "-m",
            "dramatiq",
            "dramatiq_tasks",
            "-p",
            str(processes),
            "-t",
            str(threads),
            "-Q",
            "bench",
        ],
        env=env,
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        elapsed = wait_drained(
            r, lambda: r.hlen("dramatiq:bench.msgs") == 0, lambda: r.llen("dramatiq:bench") < count
        )
        rss = peak_rss_mib(child_pids(proc.pid))
        per_job = (commands(r) - before) / count
    finally:
        stop(proc)
    return {"rate": count / elapsed, "rss": max(rss) if rss else 0.0, "cmds": per_job}


def enqueue_rates(url: str) -> tuple[float, float]:
    """Through the public job API: ``perform_async`` and ``perform_bulk``."""
    import bench_jobs

    from workhorse.client import Client, set_default_client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=url))
    set_default_client(client)
    client.redis.flushdb()
    n = 5_000
    t0 = time.perf_counter()
    for _ in range(n):
        bench_jobs.noop.perform_async()
    single = n / (time.perf_counter() - t0)
    n_bulk = 100_000
    t0 = time.perf_counter()
    bench_jobs.noop.perform_bulk([[i, "x"] for i in range(n_bulk)])
    bulk = n_bulk / (time.perf_counter() - t0)
    client.redis.flushdb()
    return single, bulk


def latency(url: str, samples: int = 300) -> tuple[float, float]:
    from workhorse.client import Client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=url))
    r = client.redis
    r.flushdb()
    proc = workhorse_worker(url, 2, 8)
    try:
        deadline = time.monotonic() + 30
        while r.scard("processes") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        for _ in range(samples):
            client.push({"class": "bench_jobs.latency", "args": [time.time()], "queue": "bench"})
            time.sleep(0.01)
        while r.llen("bench:latency") < samples and time.monotonic() < deadline + 30:
            time.sleep(0.01)
        values = sorted(float(x) * 1000 for x in r.lrange("bench:latency", 0, -1))
    finally:
        stop(proc)
    return statistics.median(values), values[int(len(values) * 0.99) - 1]


def schedule_precision(url: str, samples: int = 200) -> tuple[float, float]:
    """Lateness of scheduled jobs (start time - scheduled time) with idle workers, ms."""
    import random

    from workhorse.client import Client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=url))
    r = client.redis
    r.flushdb()
    proc = workhorse_worker(url, 2, 8)
    try:
        deadline = time.monotonic() + 60
        while r.scard("processes") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        now = time.time()
        for _ in range(samples):
            at = now + random.uniform(1.0, 8.0)
            client.push(
                {"class": "bench_jobs.scheduled_for", "args": [at], "queue": "bench", "at": at}
            )
        while r.llen("bench:lateness") < samples and time.monotonic() < deadline:
            time.sleep(0.05)
        values = sorted(float(x) * 1000 for x in r.lrange("bench:lateness", 0, -1))
    finally:
        stop(proc)
    return statistics.median(values), values[int(len(values) * 0.99) - 1]


def main() -> None:
    server = redis_server.start()
    url = server.url(0, tcp=True)
    try:
        rows = []
        wh1 = workhorse_drain(url, "noop", N_NOOP, 1, 8)
        wh = workhorse_drain(url, "noop", N_NOOP, 2, 8)
        dq = dramatiq_drain(url, "noop", N_NOOP, 2, 8)
        whs = workhorse_drain(url, "sleep10", N_SLEEP, 2, 50)
        dqs = dramatiq_drain(url, "sleep10", N_SLEEP, 2, 50)
        single, bulk = enqueue_rates(url)
        p50, p99 = latency(url)
        s50, s99 = schedule_precision(url)
        rows += [
            ("no-op jobs/s, 1 proc x 8 threads", f"{wh1['rate']:,.0f}", "", ""),
            (
                "no-op jobs/s, 2 procs x 8 threads",
                f"{wh['rate']:,.0f}",
                f"{dq['rate']:,.0f}",
                f"{wh['rate'] / dq['rate']:.2f}x  (target >= 2x)",
            ),
            (
                "10 ms jobs/s, 2 procs x 50 threads",
                f"{whs['rate']:,.0f}",
                f"{dqs['rate']:,.0f}",
                f"{whs['rate'] / dqs['rate']:.2f}x",
            ),
            ("enqueue jobs/s, one at a time", f"{single:,.0f}", "", ""),
            ("enqueue jobs/s, bulk (1,000/pipeline)", f"{bulk:,.0f}", "", "target >= 50,000"),
            ("enqueue-to-start latency p50 (ms)", f"{p50:.2f}", "", "target < 2"),
            ("enqueue-to-start latency p99 (ms)", f"{p99:.2f}", "", "target < 10"),
            ("scheduled job start lateness p50 (ms)", f"{s50:.1f}", "", "Sidekiq: ~5 s mean"),
            ("scheduled job start lateness p99 (ms)", f"{s99:.1f}", "", "target < 1000"),
            (
                "peak RSS per worker process (MiB)",
                f"{wh['rss']:.1f}",
                f"{dq['rss']:.1f}",
                "target < 60",
            ),
            ("Redis commands per no-op job", f"{wh['cmds']:.3f}", f"{dq['cmds']:.3f}", ""),
        ]
        print()
        print(f"{'measure':42} {'workhorse':>12} {'dramatiq':>12}  note")
        for name, a, b, note in rows:
            print(f"{name:42} {a:>12} {b:>12}  {note}")
    finally:
        server.stop()


def test_core_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
