"""workhorse against Ruby Sidekiq (issue 24). Prints a table with targets; asserts nothing.

Run: hatch run bench tests/benchmarks/bench_peers.py   (about 4 minutes at 3 rounds on a
2-core machine; BENCH_ROUNDS=N changes the rounds, ~70 s each, plus ~15 s of set-up)

Needs Debian's ruby-sidekiq (6.x; ``tests/run.py`` installs it); without it the Ruby
columns say n/a. Everything runs against one private redis-server, one profile at a
time, with workhorse and Ruby alternating first place from round to round; every
ratio is the median of the per-round ratios (absolute numbers on a shared machine
drift, a ratio of two neighbouring runs much less). Both sides: 2 worker processes,
per-job log lines off, jobs under the same names (peer_jobs.py / peers/peer_jobs.rb)
doing the same Redis call through their framework's own connection
(``BENCH_RUBY_JOB_LOGS=1``: Ruby with Sidekiq's default per-job log lines instead).

Profiles: no-op drain with one INCR per job and with an empty job (2 x 10 threads),
10 ms sync I/O jobs (sleep + INCR, 2 x 25 threads, and 2 x 100 threads where the thread
count no longer caps the rate), ``perform_async`` one at a time
(and workhorse's ``aperform_async``), bulk enqueue (``perform_bulk`` vs ``push_bulk``), idle
enqueue-to-start latency p50/p99, peak RSS per worker process, and the floor: two bare
Python processes doing RPOP 50 + json.loads + INCR. CPU per job is the worker
processes' user+system time over the drain divided by the jobs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

HERE = Path(__file__).parent
PEERS = HERE / "peers"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from support import redis_server  # noqa: E402
from support.proc_stats import cpu_seconds, peak_rss_mib  # noqa: E402
from support.processes import stop_all  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
N_NOOP = int(os.environ.get("BENCH_NOOP_JOBS", "20000"))
N_IO = int(os.environ.get("BENCH_IO_JOBS", "6000"))
N_SINGLE = int(os.environ.get("BENCH_SINGLE_JOBS", "10000"))
N_BULK = int(os.environ.get("BENCH_BULK_JOBS", "100000"))
N_LATENCY = 300
PY_ENV = {"PYTHONPATH": f"{HERE}{os.pathsep}{PEERS}", "WORKHORSE_JOB_LOGS": "0"}


@dataclass
class Drain:
    rate: float
    cpu_us: float  # worker CPU per job
    rss_mib: float  # peak RSS of the largest worker process


@dataclass
class Samples:
    """One value per round for each (measure, side)."""

    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, measure: str, side: str, value: float) -> None:
        self.values.setdefault((measure, side), []).append(value)

    def median(self, measure: str, side: str) -> float:
        got = self.values.get((measure, side))
        return statistics.median(got) if got else float("nan")

    def ratio(self, measure: str, side: str, other: str, other_measure: str = "") -> float:
        """Median over rounds of this round's ``side`` / this round's ``other``."""
        mine = self.values.get((measure, side), [])
        theirs = self.values.get((other_measure or measure, other), [])
        pairs = [a / b for a, b in zip(mine, theirs, strict=False) if b]
        return statistics.median(pairs) if pairs else float("nan")


def ruby_available() -> bool:
    if shutil.which("sidekiq") is None or shutil.which("ruby") is None:
        print("Ruby Sidekiq not installed (apt-get install ruby-sidekiq): Ruby columns n/a")
        return False
    return True


# -- processes ------------------------------------------------------------------
def children(parent: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


class Workers:
    """Two worker processes of one side; ``pids`` are the processes that run jobs."""

    def __init__(self, side: str, url: str, threads: int) -> None:
        self.side = side
        if side == "workhorse":
            argv = [sys.executable, "-m", "workhorse", "worker", "-r", "peer_jobs"]
            argv += ["--redis-url", url, "-q", "bench", "-p", "2", "-c", str(threads)]
            self.procs = [_spawn(argv, url)]
        elif side == "ruby":
            argv = ["sidekiq", "-r", str(PEERS / "peer_jobs.rb"), "-q", "bench"]
            argv += ["-c", str(threads), "-t", "2"]
            self.procs = [_spawn(argv, url) for _ in range(2)]
        else:  # the bare loop: started on a filled queue, exits when it is empty
            argv = [sys.executable, str(PEERS / "bare_loop.py"), url]
            self.procs = [_spawn(argv, url) for _ in range(2)]

    @property
    def pids(self) -> list[int]:
        if self.side == "workhorse":
            return children(self.procs[0].pid)
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        stop_all(self.procs)


def _spawn(argv: list[str], url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **PY_ENV, "REDIS_URL": url, "WORKHORSE_REDIS_URL": url}
    return subprocess.Popen(
        argv, cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


# -- profiles -------------------------------------------------------------------
def fill(url: str, name: str, count: int) -> None:
    from workhorse.client import Client
    from workhorse.config import Settings

    # Sidekiq 6's timestamps (float seconds), which both sides read.
    client = Client(settings=Settings(redis_url=url, sidekiq_compat=6), middleware=[])
    client.push_bulk({"class": name, "args": [], "queue": "bench"} for _ in range(count))


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.001) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(step)


def drain(url: str, side: str, name: str, count: int, threads: int) -> Drain:
    """Jobs/s from the first job taken to the last one done (start-up excluded)."""
    r = redis.Redis.from_url(url)
    r.flushdb()
    fill(url, name, count)
    counted = name != "PeerEmpty"
    workers = Workers(side, url, threads)
    try:
        wait_until(lambda: r.llen("queue:bench") < count, 60, f"{side} to start")
        t0, cpu0 = time.perf_counter(), cpu_seconds(workers.pids)
        if counted:
            wait_until(lambda: int(r.get("bench:count") or 0) >= count, 300, "the drain")
        else:
            wait_until(lambda: r.llen("queue:bench") == 0, 300, "the drain")
        elapsed = time.perf_counter() - t0
        pids = workers.pids
        cpu, rss = cpu_seconds(pids) - cpu0, max([0.0, *peak_rss_mib(pids)])
    finally:
        workers.stop()
    return Drain(count / elapsed, cpu / count * 1e6, rss)


def enqueue_rate(url: str, side: str, mode: str, count: int) -> float:
    r = redis.Redis.from_url(url)
    r.flushdb()
    if side == "ruby":
        argv = ["ruby", str(PEERS / "peer_enqueue.rb"), mode, str(count)]
    else:
        argv = [sys.executable, str(PEERS / "peer_enqueue.py"), mode, str(count)]
    env = {**os.environ, **PY_ENV, "REDIS_URL": url, "WORKHORSE_REDIS_URL": url}
    out = subprocess.run(argv, cwd=PEERS, env=env, capture_output=True, text=True, check=True)
    if r.llen("queue:bench") != count:
        raise RuntimeError(f"{side} {mode} enqueue stored {r.llen('queue:bench')} of {count}")
    return float(out.stdout.strip().splitlines()[-1])


def latency(url: str, side: str) -> tuple[float, float]:
    """Enqueue-to-start with idle workers (ms): p50 and p99 of N_LATENCY jobs 10 ms apart."""
    from workhorse.client import Client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=url, sidekiq_compat=6), middleware=[])
    r = redis.Redis.from_url(url)
    r.flushdb()
    workers = Workers(side, url, 10)
    try:
        wait_until(lambda: r.scard("processes") >= 2, 60, f"{side} to start", 0.05)
        time.sleep(1.0)  # past start-up work: the workers are idle, blocked on fetch
        for _ in range(N_LATENCY):
            client.push({"class": "PeerLatency", "args": [time.time()], "queue": "bench"})
            time.sleep(0.01)
        wait_until(lambda: r.llen("bench:latency") >= N_LATENCY, 30, "latency jobs", 0.01)
        values = sorted(float(x) * 1000 for x in r.lrange("bench:latency", 0, -1))
    finally:
        workers.stop()
    return statistics.median(values), values[int(len(values) * 0.99) - 1]


def one_round(url: str, sides: list[str], samples: Samples) -> None:
    """Each profile on every side back to back, so a pair shares the machine's mood."""
    for profile, run in PROFILES.items():
        if not wanted(profile):
            continue
        for side in sides + (["bare"] if profile == "noop" else []):
            with timed(f"{profile}, {side}"):
                run(url, side, samples)


def run_noop(url: str, side: str, samples: Samples) -> None:
    noop = drain(url, side, "PeerIncr", N_NOOP, 10)
    samples.add("noop", side, noop.rate)
    samples.add("noop cpu", side, noop.cpu_us)
    if side != "bare":
        samples.add("rss", side, noop.rss_mib)
        samples.add("empty", side, drain(url, side, "PeerEmpty", N_NOOP, 10).rate)


def run_io(url: str, side: str, samples: Samples) -> None:
    io = drain(url, side, "PeerIo10", N_IO, 25)
    samples.add("io", side, io.rate)
    samples.add("io cpu", side, io.cpu_us)
    # 2 x 25 threads of 10 ms jobs can finish at most 5,000 jobs/s, which both sides come
    # near: the thread count, not the framework, sets that rate. At 2 x 100 threads (a
    # 20,000/s cap) the CPU each job costs does.
    wide = drain(url, side, "PeerIo10", N_IO * 2, 100)
    samples.add("io wide", side, wide.rate)
    samples.add("io wide cpu", side, wide.cpu_us)


def run_enqueue(url: str, side: str, samples: Samples) -> None:
    samples.add("single", side, enqueue_rate(url, side, "single", N_SINGLE))
    if side == "workhorse":
        samples.add("async", side, enqueue_rate(url, side, "async", N_SINGLE))
    samples.add("bulk", side, enqueue_rate(url, side, "bulk", N_BULK))


def run_latency(url: str, side: str, samples: Samples) -> None:
    p50, p99 = latency(url, side)
    samples.add("p50", side, p50)
    samples.add("p99", side, p99)


PROFILES: dict[str, Callable[[str, str, Samples], None]] = {
    "noop": run_noop,
    "io": run_io,
    "enqueue": run_enqueue,
    "latency": run_latency,
}


@contextmanager
def timed(what: str) -> Iterator[None]:
    """How long each profile takes, for README's bench durations."""
    started = time.monotonic()
    yield
    print(f"  {what}: {time.monotonic() - started:.1f} s", flush=True)


def wanted(profile: str) -> bool:
    """BENCH_PROFILES=io,latency runs only those (all by default: noop io enqueue latency)."""
    chosen = os.environ.get("BENCH_PROFILES", "")
    return not chosen or profile in chosen.split(",")


# -- report -----------------------------------------------------------------------
Row = tuple[str, str, str, str, str, str]


def rows(s: Samples) -> list[Row]:
    def rate(m: str, side: str) -> str:
        return f"{s.median(m, side):,.0f}"

    def check(value: float, ok: bool) -> str:
        return "n/a" if value != value else ("PASS" if ok else "FAIL")

    noop_rb, empty_rb = s.ratio("noop", "workhorse", "ruby"), s.ratio("empty", "workhorse", "ruby")
    floor = s.ratio("noop", "workhorse", "bare")
    io, single = s.ratio("io", "workhorse", "ruby"), s.ratio("single", "workhorse", "ruby")
    wide = s.ratio("io wide", "workhorse", "ruby")
    asyn, bulk = (
        s.ratio("async", "workhorse", "ruby", "single"),
        s.ratio("bulk", "workhorse", "ruby"),
    )
    p50, p99 = s.median("p50", "workhorse"), s.median("p99", "workhorse")
    rss = s.median("rss", "workhorse")
    return [
        ("no-op drain, 1 INCR/job, jobs/s", rate("noop", "workhorse"), rate("noop", "ruby"),
         f"{noop_rb:.2f}x", ">= 2x Ruby", check(noop_rb, noop_rb >= 2)),
        ("  vs bare 2-process loop", "", rate("noop", "bare") + " (bare)",
         f"{floor:.0%}", ">= 90% of bare", check(floor, floor >= 0.9)),
        ("  worker CPU per job (us)", f"{s.median('noop cpu', 'workhorse'):.0f}",
         f"{s.median('noop cpu', 'ruby'):.0f}", f"bare {s.median('noop cpu', 'bare'):.0f}", "", ""),
        ("no-op drain, empty job, jobs/s", rate("empty", "workhorse"), rate("empty", "ruby"),
         f"{empty_rb:.2f}x", "", ""),
        ("10 ms I/O jobs, 2x25 threads, jobs/s", rate("io", "workhorse"), rate("io", "ruby"),
         f"{io:.2f}x", ">= 1.3x Ruby", check(io, io >= 1.3)),
        ("  worker CPU per job (us)", f"{s.median('io cpu', 'workhorse'):.0f}",
         f"{s.median('io cpu', 'ruby'):.0f}", "", "", ""),
        ("10 ms I/O jobs, 2x100 threads, jobs/s", rate("io wide", "workhorse"),
         rate("io wide", "ruby"), f"{wide:.2f}x", ">= 1.3x Ruby", check(wide, wide >= 1.3)),
        ("  worker CPU per job (us)", f"{s.median('io wide cpu', 'workhorse'):.0f}",
         f"{s.median('io wide cpu', 'ruby'):.0f}", "", "", ""),
        ("perform_async one at a time, jobs/s", rate("single", "workhorse"),
         rate("single", "ruby"), f"{single:.2f}x", ">= 1.5x Ruby", check(single, single >= 1.5)),
        ("  await job.aperform_async(), jobs/s", rate("async", "workhorse"), "",
         f"{asyn:.2f}x", "", ""),
        ("bulk enqueue, jobs/s", rate("bulk", "workhorse"), rate("bulk", "ruby"),
         f"{bulk:.2f}x", ">= 1x Ruby", check(bulk, bulk >= 1)),
        ("idle enqueue-to-start p50 (ms)", f"{p50:.2f}", f"{s.median('p50', 'ruby'):.2f}", "",
         "<= 0.5 ms", check(p50, p50 <= 0.5)),
        ("idle enqueue-to-start p99 (ms)", f"{p99:.2f}", f"{s.median('p99', 'ruby'):.2f}", "",
         "<= 1 ms", check(p99, p99 <= 1.0)),
        ("peak RSS per worker process (MiB)", f"{rss:.1f}", f"{s.median('rss', 'ruby'):.1f}", "",
         "<= 60 MiB", check(rss, rss <= 60)),
    ]  # fmt: skip


def main() -> None:
    server = redis_server.start(databases=16)
    url = server.url(0, tcp=True)
    sides = ["workhorse", "ruby"] if ruby_available() else ["workhorse"]
    if os.environ.get("BENCH_SIDES"):  # e.g. workhorse alone while working on it
        sides = os.environ["BENCH_SIDES"].split(",")
    samples = Samples()
    try:
        for n in range(ROUNDS):
            one_round(url, sides if n % 2 == 0 else sides[::-1], samples)
            print(f"round {n + 1} of {ROUNDS} done", flush=True)
    finally:
        server.stop()
    print(f"\nmedians of {ROUNDS} alternating rounds; ratios are medians of per-round ratios")
    for (measure, side), values in sorted(samples.values.items()):
        print(f"  {measure:9} {side:9} " + " ".join(f"{v:,.2f}" for v in values))
    header: Row = ("measure", "workhorse", "ruby sidekiq", "ratio", "target", "")
    for row in [header, *rows(samples)]:
        print(f"{row[0]:38} {row[1]:>10} {row[2]:>17} {row[3]:>8}  {row[4]:15} {row[5]}")


def test_peers_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
