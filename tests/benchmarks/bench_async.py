"""Async jobs benchmark (issue 24). Prints a table; asserts nothing about speed.

Run: hatch run bench tests/benchmarks/bench_async.py

10 ms async jobs (``await asyncio.sleep(0.01)`` then one INCR through a shared async
Redis client), drained by 2 processes x 200 concurrent jobs, on one private
redis-server, by: workhorse's async lane; a bare two-process asyncio loop doing the
same work (the floor: RPOP/BLPOP batches, json.loads, sleep, INCR, 200 tasks per
process); SAQ; arq. SAQ and arq run in their own venv (BENCH_PEERS_VENV, default
~/.cache/workhorse-bench/peers; made with pip on first run). Rounds alternate the
order; the table shows medians of per-round ratios, and CPU seconds per 1,000 jobs
of the worker processes (utime + stime from /proc) while they drained.

BENCH_LOOP=uvloop runs workhorse and the bare loop on uvloop (installed in this env);
SAQ and arq stay on asyncio's loop. BENCH_WORKHORSE_LOOP=uvloop puts workhorse alone on
uvloop (what ``pip install 'workhorse[uvloop]'`` gives) against the others on BENCH_LOOP.

BENCH_ASYNC_BASE=<dir of a source tree> adds that tree's async lane as a side ("base").
BENCH_SIDES=workhorse,base,... keeps only the sides named.

BENCH_SYNC_BASE=<dir of a source tree> also compares this tree's thread jobs (10 ms
sleep + INCR at 2 x 50 threads, and no-op + INCR at 2 x 8) with that tree's, e.g. a
``git archive main`` extracted to /tmp: paired rounds, medians of ratios; once with
no async job registered (the lane idle) and once beside one (each fetched job is
parsed by the fetch thread to route it). BENCH_ONLY=sync skips the async rounds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from support import redis_server  # noqa: E402
from support.proc_stats import cpu_seconds  # noqa: E402
from support.processes import stop_all  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
JOBS = int(os.environ.get("BENCH_ASYNC_JOBS", "20000"))
SYNC_JOBS = int(os.environ.get("BENCH_SYNC_JOBS", "6000"))
NOOP_JOBS = int(os.environ.get("BENCH_NOOP_JOBS", "20000"))
CONCURRENCY = 200
PEERS = Path(os.environ.get("BENCH_PEERS_VENV", Path.home() / ".cache/workhorse-bench/peers"))
DONE = "bench:done"
LOOP = os.environ.get("BENCH_LOOP", "asyncio")  # "uvloop": workhorse and the bare loop on it
WORKHORSE_LOOP = os.environ.get("BENCH_WORKHORSE_LOOP", LOOP)


def peers_python() -> Path | None:
    """The peers' venv, made (or mended) on first use; None if SAQ or arq cannot import."""
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    importable = [str(python), "-c", "import saq, arq"]
    if subprocess.run(importable, check=False, capture_output=True).returncode != 0:
        # SAQ imports typing_extensions without declaring it on every Python.
        pip = [str(python), "-m", "pip", "install", "-q", "saq", "arq", "redis"]
        subprocess.run([*pip, "typing_extensions"], check=False)
        if subprocess.run(importable, check=False, capture_output=True).returncode != 0:
            return None
    return python


def family(pids: list[int]) -> list[int]:
    """``pids`` and their children (a -p N supervisor's workers)."""
    out = list(pids)
    for pid in pids:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        out += [int(p) for p in found.stdout.split()]
    return out


def drain(
    r: redis.Redis, count: int, start: Callable[[], list[subprocess.Popen[bytes]]]
) -> tuple[float, float]:
    """Start the workers, time them from the first finished job to the last; returns
    (jobs/s, CPU seconds per 1,000 jobs)."""
    procs = start()
    try:
        deadline = time.monotonic() + 600
        while int(r.get(DONE) or 0) == 0:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the workers never finished a job")
            time.sleep(0.001)
        pids = family([p.pid for p in procs])
        t0, done0, cpu0 = time.perf_counter(), int(r.get(DONE) or 0), cpu_seconds(pids)
        while (done := int(r.get(DONE) or 0)) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {count} jobs done in time")
            time.sleep(0.002)
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pids) - cpu0
    finally:
        stop_all(procs)
    jobs = count - done0
    return jobs / elapsed, cpu / jobs * 1000


def _env(url: str, pythonpath: str) -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_REDIS_URL": url,
        "BENCH_CONCURRENCY": str(CONCURRENCY),
        "PYTHONPATH": pythonpath,
        "WORKHORSE_JOB_LOGS": "0",
        # Workhorse and the bare loop on the same loop: BENCH_LOOP=uvloop for uvloop's.
        "WORKHORSE_EVENT_LOOP": WORKHORSE_LOOP,
    }


def fill_workhorse(url: str, name: str, count: int) -> None:
    from workhorse.client import Client
    from workhorse.config import Settings

    Client(settings=Settings(redis_url=url)).push_bulk(
        {"class": f"async_bench_jobs.{name}", "args": [], "queue": "bench"} for _ in range(count)
    )


def workhorse(
    url: str, *args: str, src: str | None = None, sync_only: bool = False
) -> Callable[[], list[subprocess.Popen[bytes]]]:
    path = os.pathsep.join([*_source_dirs(src), str(HERE)])
    argv = [sys.executable, "-m", "workhorse", "worker", "-r", "async_bench_jobs"]
    argv += ["--redis-url", url, "-q", "bench", "-p", "2", *args]
    env = {**_env(url, path), "BENCH_SYNC_ONLY": "1" if sync_only else "0"}
    return lambda: [_spawn(argv, env)]


def _source_dirs(src: str | None) -> list[str]:
    if src is None:
        return []
    return [str(Path(src) / part / "src") for part in ("core", "pro", "enterprise")]


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def bare(url: str) -> Callable[[], list[subprocess.Popen[bytes]]]:
    argv = [sys.executable, str(HERE / "async_bench_bare.py")]
    return lambda: [_spawn(argv, _env(url, str(HERE))) for _ in range(2)]


def peer(url: str, python: Path, which: str) -> Callable[[], list[subprocess.Popen[bytes]]]:
    argv = [str(python), str(HERE / "async_bench_peers.py"), which]
    return lambda: [_spawn(argv, _env(url, str(HERE))) for _ in range(2)]


def fill_peer(url: str, python: Path, which: str, count: int) -> None:
    argv = [str(python), str(HERE / "async_bench_peers.py"), f"fill-{which}", str(count)]
    subprocess.run(argv, cwd=HERE, env=_env(url, str(HERE)), check=True)


def async_rounds(url: str) -> None:
    r = redis.Redis.from_url(url, decode_responses=True)
    python = peers_python()
    sides: dict[str, tuple[Callable[[], None], Callable[[], list[subprocess.Popen[bytes]]]]] = {
        "workhorse": (
            lambda: fill_workhorse(url, "sleep_incr", JOBS),
            workhorse(url, "-c", "10", "--async-concurrency", str(CONCURRENCY)),
        ),
        "bare loop": (lambda: fill_workhorse(url, "sleep_incr", JOBS), bare(url)),
    }
    base = os.environ.get("BENCH_ASYNC_BASE")
    if base:  # that tree's async lane as one more side
        sides["base"] = (
            lambda: fill_workhorse(url, "sleep_incr", JOBS),
            workhorse(url, "-c", "10", "--async-concurrency", str(CONCURRENCY), src=base),
        )
    if python is not None:
        for which in ("saq", "arq"):
            sides[which] = (
                lambda w=which: fill_peer(url, python, w, JOBS),  # type: ignore[misc]
                peer(url, python, which),
            )
    only = os.environ.get("BENCH_SIDES")  # e.g. "workhorse,bare loop"
    if only:
        sides = {name: side for name, side in sides.items() if name in only.split(",")}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    order = list(sides)
    for i in range(ROUNDS):
        for name in order if i % 2 == 0 else reversed(order):
            r.flushdb()
            fill, start = sides[name]
            fill()
            results[name].append(drain(r, JOBS, start))
            print(f"round {i + 1} {name}: {results[name][-1][0]:,.0f} jobs/s", flush=True)
    loops = LOOP if WORKHORSE_LOOP == LOOP else f"workhorse on {WORKHORSE_LOOP}, others on {LOOP}"
    _table(f"10 ms async jobs, 2 processes x 200, {loops}", results, "workhorse")


def _table(title: str, results: dict[str, list[tuple[float, float]]], ours: str) -> None:
    print(f"\n{title} ({ROUNDS} rounds, medians)")
    print(f"{'side':12} {'jobs/s':>10} {'CPU s/1k jobs':>14} {'ours / side (paired)':>22}")
    for name, runs in results.items():
        rate = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        ratio = statistics.median(a[0] / b[0] for a, b in zip(results[ours], runs, strict=True))
        print(f"{name:12} {rate:>10,.0f} {cpu:>14.3f} {ratio:>21.2f}x")


def sync_rounds(url: str, base: str) -> None:
    """Thread jobs on this tree vs ``base``: the lane must not slow them down."""
    r = redis.Redis.from_url(url, decode_responses=True)
    cases = [  # (title, job, count, threads, the registry holds no async job)
        ("10 ms sync jobs, 2 x 50 threads", "sync_sleep_incr", SYNC_JOBS, "50", True),
        ("no-op jobs, 2 x 8 threads", "noop_incr", NOOP_JOBS, "8", True),
        ("10 ms sync jobs beside async ones, 2 x 50", "sync_sleep_incr", SYNC_JOBS, "50", False),
        ("no-op jobs beside async ones, 2 x 8", "noop_incr", NOOP_JOBS, "8", False),
    ]
    for title, job, count, threads, sync_only in cases:
        results: dict[str, list[tuple[float, float]]] = {"this tree": [], "base": []}
        for i in range(ROUNDS):
            for name in ("this tree", "base") if i % 2 == 0 else ("base", "this tree"):
                r.flushdb()
                fill_workhorse(url, job, count)
                src = None if name == "this tree" else base
                start = workhorse(url, "-c", threads, src=src, sync_only=sync_only)
                results[name].append(drain(r, count, start))
        _table(title, results, "this tree")


def main() -> None:
    server = redis_server.start()
    url = server.url(0, tcp=True)
    try:
        if os.environ.get("BENCH_ONLY") != "sync":
            async_rounds(url)
        base = os.environ.get("BENCH_SYNC_BASE")
        if base:
            sync_rounds(url, base)
    finally:
        server.stop()


def test_async_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
