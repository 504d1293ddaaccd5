"""Unique jobs and encrypted arguments (issue 19; run on demand, prints figures).

    hatch run bench tests/benchmarks/bench_unique_encryption.py

- push cost of a unique job (one Lua call: check, lock, push) vs a plain push;
- throughput of encrypted vs plain jobs, same worker, paired alternating rounds, for
  no-op jobs and for jobs doing one Redis INCR (target: paired median >= 80 %), with
  the CPU each job cost this process (worker threads, fetch thread, Redis client);
- the same for no-op jobs on ``workhorse worker -p 2`` processes, as deployed;
- the worker's own per-job path (``Processor.process_unit``, no Redis, one thread):
  what an encrypted job adds, that all of it is the opening's own calls, and that a
  plain job pays nothing for encryption;
- whether opening a sealed argument lets go of the GIL (a thread spinning beside it
  would then take it over, and the opening thread wait for it to come back).

Rounds: WH_BENCH_ROUNDS (7), jobs per round: WH_BENCH_JOBS (40000), threads:
WH_BENCH_THREADS (10).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median
from typing import Any

import pytest
import redis
from support.licenses import licensed, process_tree_env, token
from support.proc_stats import cpu_seconds
from support.processes import stop_all

from workhorse import client as client_module
from workhorse import payload, plugins
from workhorse.client import Client, default_client
from workhorse.config import Settings
from workhorse.middleware import compose_client
from workhorse.stats import ThreadStats, snapshot
from workhorse.types import UnitOfWork
from workhorse.worker.async_runner import AsyncRunner
from workhorse.worker.launcher import WorkerProcess
from workhorse.worker.processor import Processor

sys.path.insert(0, str(Path(__file__).parents[1] / "enterprise" / "unique"))

from encryption_jobs import noop, noop_encrypted

import workhorse

HERE = Path(__file__).parent
DEVNULL = subprocess.DEVNULL
FIGURES: list[tuple[str, str]] = []
THREADS = int(os.environ.get("WH_BENCH_THREADS", "10"))  # 1 shows the cost without GIL contention
ROUNDS = int(os.environ.get("WH_BENCH_ROUNDS", "7"))
JOBS = int(os.environ.get("WH_BENCH_JOBS", "40000"))
SECRET = {"card": "4111 1111 1111 1111", "cvc": "123"}


@workhorse.job(name="bench.incr")
def incr(*args: object) -> None:
    default_client().redis.incr("bench:incr")


@workhorse.job(name="bench.incr_encrypted", encrypt=True)
def incr_encrypted(*args: object) -> None:
    default_client().redis.incr("bench:incr")


@workhorse.job(name="bench.noop_unique", unique_for=600)
def noop_unique(*args: object) -> None:
    pass


def figure(name: str, value: str) -> None:
    FIGURES.append((name, value))
    print(f"{name:<58} {value}")


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    yield
    print("\n| measure | value |\n|---|---|")
    for name, value in FIGURES:
        print(f"| {name} | {value} |")


@pytest.fixture
def client(redis_url: str) -> Iterator[Client]:
    os.environ["WORKHORSE_ENCRYPTION_KEYS"] = "1:" + "A" * 43 + "="
    with licensed(("pro", "enterprise")):
        c = Client(settings=Settings(redis_url=redis_url, fetch_timeout=1.0, poll_interval=0.05))
        previous = client_module.set_default_client(c)
        yield c
        client_module.set_default_client(previous)
    os.environ.pop("WORKHORSE_ENCRYPTION_KEYS", None)


def per_push_us(push: Callable[[int], object], n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        push(i)
    return (time.perf_counter() - t0) / n * 1e6


def test_push_cost_of_a_unique_job_vs_a_plain_one(r: redis.Redis, client: Client) -> None:
    n = 5_000
    plain = min(per_push_us(lambda i: noop.perform_async(i), n) for _ in range(3))
    r.flushdb()
    unique = min(per_push_us(lambda i: noop_unique.perform_async(i), n) for _ in range(1))
    refused = per_push_us(lambda i: noop_unique.perform_async(i), n)  # all held now
    figure("plain push (µs/job)", f"{plain:.0f}")
    figure("unique push, lock taken (µs/job)", f"{unique:.0f}")
    figure("unique push, refused (µs/job)", f"{refused:.0f}")
    figure("unique / plain push cost", f"{unique / plain:.2f}x")


def run_until(
    count: Callable[[], int], target: int, timeout: float = 300, step: float = 0.005
) -> float:
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while count() < target:
        assert time.monotonic() < deadline, f"timed out waiting for {target} jobs"
        time.sleep(step)
    return time.perf_counter() - t0


@pytest.mark.parametrize(
    "body, plain_job, encrypted_job",
    [("no-op", noop, noop_encrypted), ("INCR", incr, incr_encrypted)],
)
def test_encrypted_throughput_vs_plain(
    r: redis.Redis,
    client: Client,
    body: str,
    plain_job: workhorse.Job[..., None],
    encrypted_job: workhorse.Job[..., None],
) -> None:
    n = JOBS
    rates: dict[str, list[float]] = {"plain": [], "encrypted": []}
    cpu_us: dict[str, list[float]] = {"plain": [], "encrypted": []}

    def drain(kind: str) -> None:
        worker = WorkerProcess(client.settings.with_changes(concurrency=THREADS))
        worker.start()
        try:
            processed = lambda: snapshot(worker.executor.stats).processed  # noqa: E731
            # From the first job done on: the worker's start-up (threads, heartbeat,
            # plugins) is no job's cost, and on drains of half a second it was a tenth.
            run_until(processed, 1, step=0.0005)
            first, t0 = processed(), time.perf_counter()
            cpu0 = time.process_time()  # this process's CPU: what other load cannot skew
            run_until(processed, n)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            rates[kind].append((n - first) / elapsed)
            cpu_us[kind].append(cpu / (n - first) * 1e6)
        finally:
            worker.stop()
            worker.shutdown()

    for _ in range(ROUNDS):  # paired, alternating rounds: warm-up and drift hit both alike
        plain_job.perform_bulk(("visible", SECRET) for _ in range(n))
        drain("plain")
        encrypted_job.perform_bulk(("visible", SECRET) for _ in range(n))
        drain("encrypted")
    assert r.zcard("dead") == 0 and r.zcard("retry") == 0
    plain, encrypted = max(rates["plain"]), max(rates["encrypted"])
    paired = sorted(e / p for p, e in zip(rates["plain"], rates["encrypted"], strict=True))
    cpu = sorted(p / e for p, e in zip(cpu_us["plain"], cpu_us["encrypted"], strict=True))
    figure(f"{body}: plain jobs/s (1 process, {THREADS} threads, best)", f"{plain:,.0f}")
    figure(f"{body}: encrypted jobs/s (same worker, best)", f"{encrypted:,.0f}")
    figure(
        f"{body}: encrypted / plain throughput (best of each)", f"{100 * encrypted / plain:.0f} %"
    )
    figure(f"{body}: encrypted / plain, {ROUNDS} paired rounds (median; all)", _ratios(paired))
    figure(
        f"{body}: CPU µs/job plain, encrypted (median)",
        f"{median(cpu_us['plain']):.1f}, {median(cpu_us['encrypted']):.1f}",
    )
    figure(f"{body}: plain / encrypted CPU per job, paired (median; all)", _ratios(cpu))
    added = [e - p for p, e in zip(cpu_us["plain"], cpu_us["encrypted"], strict=True)]
    figure(f"{body}: CPU µs an encrypted job adds, paired (median)", f"{median(added):.1f}")


def test_encrypted_throughput_vs_plain_with_cli_workers(
    r: redis.Redis, client: Client, redis_url: str
) -> None:
    """What users run: ``workhorse worker -p 2 -c THREADS`` (two processes, start-up heap
    frozen) draining no-op jobs, plain and encrypted in alternating rounds. Jobs/s from
    the first job taken to the queue emptied (the few still in flight then, under 0.5%,
    are not waited for: no-op jobs leave no trace to count), and the workers' CPU/job."""
    env = process_tree_env(
        token(("pro", "enterprise")), pythonpath=str(HERE), WORKHORSE_REDIS_URL=redis_url
    )
    argv = [sys.executable, "-m", "workhorse", "worker", "-r", "encryption_jobs"]
    argv += ["-q", "default", "-p", "2", "-c", str(THREADS)]
    rates: dict[str, list[float]] = {"plain": [], "encrypted": []}
    cpu_us: dict[str, list[float]] = {"plain": [], "encrypted": []}

    def drain(kind: str, job: workhorse.Job[..., None]) -> None:
        job.perform_bulk(("visible", SECRET) for _ in range(JOBS))
        proc = subprocess.Popen(argv, cwd=HERE, env=env, stdout=DEVNULL, stderr=DEVNULL)
        try:
            _wait(lambda: r.llen("queue:default") < JOBS, "the workers to start")
            pids = _children(proc.pid)
            t0, cpu0 = time.perf_counter(), cpu_seconds(pids)
            _wait(lambda: r.llen("queue:default") == 0, "the drain")
            elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pids) - cpu0
        finally:
            stop_all([proc])
        rates[kind].append(JOBS / elapsed)
        cpu_us[kind].append(cpu / JOBS * 1e6)

    for _ in range(ROUNDS):
        drain("plain", noop)
        drain("encrypted", noop_encrypted)
    assert r.zcard("dead") == 0 and r.zcard("retry") == 0, "every encrypted job opened"
    paired = sorted(e / p for p, e in zip(rates["plain"], rates["encrypted"], strict=True))
    cpu = sorted(p / e for p, e in zip(cpu_us["plain"], cpu_us["encrypted"], strict=True))
    body = f"CLI workers (2 processes x {THREADS} threads), no-op"
    figure(f"{body}: plain jobs/s (median)", f"{median(rates['plain']):,.0f}")
    figure(f"{body}: encrypted jobs/s (median)", f"{median(rates['encrypted']):,.0f}")
    figure(f"{body}: encrypted / plain, {ROUNDS} paired rounds (median; all)", _ratios(paired))
    figure(
        f"{body}: worker CPU µs/job plain, encrypted (median)",
        f"{median(cpu_us['plain']):.1f}, {median(cpu_us['encrypted']):.1f}",
    )
    figure(f"{body}: plain / encrypted CPU per job (median; all)", _ratios(cpu))


def _children(parent: int) -> list[int]:
    """The worker processes of ``workhorse worker -p N`` (its supervisor's children)."""
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _wait(check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


class _NoFetch:
    def acknowledge(self, unit: UnitOfWork) -> None:
        pass


def test_the_worker_path_of_an_encrypted_job_vs_a_plain_one(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``process_unit`` on one thread, no Redis on the success path: the CPU an encrypted
    job adds on the worker's own path, with every paid tier licensed (all their server
    middleware installed), and what a plain job costs with and without Enterprise.

    "encrypted, not opened": the same jobs with the opening itself left out (the job is
    called with the sealed value), which leaves the path around it (the opener's calls,
    the restore, the ``encrypt`` field). It costs what a plain job does (a little less:
    the sealed string parses faster than the dict it stands for), so what an encrypted
    job adds is the opening's base64, AES-GCM and JSON calls, about 2.3 µs here against
    1.7-2 µs in a loop of their own."""
    from workhorse_enterprise.encryption.middleware import Decrypt

    n = 20_000
    process = WorkerProcess(client.settings, client.redis)
    licensed_processor = Processor(process, _NoFetch(), AsyncRunner())  # type: ignore[arg-type]
    with licensed(("pro",)):  # the same worker with Pro only: no encryption installed
        pro_processor = Processor(process, _NoFetch(), AsyncRunner())  # type: ignore[arg-type]
    plain = _units(noop, n)
    encrypted = _units(noop_encrypted, n)
    stats = ThreadStats()

    def per_job_us(processor: Processor, units: list[UnitOfWork]) -> float:
        t0 = time.process_time()
        for unit in units:
            processor.process_unit(unit, stats)
        return (time.process_time() - t0) / len(units) * 1e6

    us: dict[str, list[float]] = {
        "plain": [],
        "encrypted": [],
        "plain, Pro only": [],
        "encrypted, not opened": [],
    }
    for _ in range(ROUNDS):
        us["plain"].append(per_job_us(licensed_processor, plain))
        us["encrypted"].append(per_job_us(licensed_processor, encrypted))
        us["plain, Pro only"].append(per_job_us(pro_processor, plain))
        with monkeypatch.context() as patched:
            patched.setattr(Decrypt, "open_arguments", _sealed_as_is)
            us["encrypted, not opened"].append(per_job_us(licensed_processor, encrypted))
    extra = [e - p for p, e in zip(us["plain"], us["encrypted"], strict=True)]
    ratio = sorted(p / e for p, e in zip(us["plain"], us["encrypted"], strict=True))
    for kind, values in us.items():
        figure(f"process_unit µs/job, {kind} (median)", f"{median(values):.2f}")
    figure("process_unit: µs an encrypted job adds (median)", f"{median(extra):.2f}")
    figure("process_unit: plain / encrypted, paired (median; all)", _ratios(ratio))
    around = [u - p for p, u in zip(us["plain"], us["encrypted, not opened"], strict=True)]
    figure("process_unit: µs the path around the opening adds (median)", f"{median(around):.2f}")
    assert _all_succeeded(stats)


def _sealed_as_is(self: object, job: dict[str, Any]) -> object:
    """``Decrypt.open_arguments`` without the opening: the job runs on the sealed value,
    which restore_arguments() then puts back as it was."""
    return job["args"][-1]


def test_opening_a_sealed_argument_keeps_the_gil() -> None:
    """Calls during which a pure-Python thread spinning beside them made progress: only a
    call that releases the GIL lets it run (the loop is far shorter than the switch
    interval), and such a call then waits for the GIL to come back. ``cryptography``
    releases it for inputs of 2 KiB or more (its ``GIL_DETACH_THRESHOLD``, 50.x; 44.x and
    46.x never do), so this bench's argument keeps it; a 64 KiB one shows a release."""
    from workhorse_enterprise.encryption.cipher import Opener, seal
    from workhorse_enterprise.encryption.keyring import KeyRing

    ring = KeyRing.parse("1:" + "A" * 43 + "=", "bench")
    opener, jid, name = Opener(ring), "a" * 24, noop_encrypted.name
    for label, value in (("this bench's argument", SECRET), ("a 64 KiB argument", "x" * 65536)):
        token = seal(ring, value, jid, name)
        ran = _calls_another_thread_ran_during(lambda t=token: opener.open(t, jid, name), 200)
        figure(f"opening {label}: calls that let another thread run", f"{ran} / 200")


def _calls_another_thread_ran_during(call: Callable[[], object], n: int) -> int:
    progress = [0]
    spinning = True

    def spin() -> None:
        while spinning:
            progress[0] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        time.sleep(0.02)  # the spinner holds the GIL; this thread takes it back after 5 ms
        ran = 0
        for _ in range(n):
            before = progress[0]
            call()
            ran += progress[0] != before
        return ran
    finally:
        spinning = False
        spinner.join()
        sys.setswitchinterval(interval)


def _all_succeeded(stats: ThreadStats) -> bool:
    """Every job of the micro-benchmark succeeded (none was failed for a bad seal)."""
    return snapshot([stats]).failed == 0


def _units(job: workhorse.Job[..., None], n: int) -> list[UnitOfWork]:
    """``n`` fetched jobs as the client would have stored them (sealed when encrypted)."""
    chain = compose_client(plugins.client_middleware(default_client().settings))
    units = []
    for i in range(n):
        item: dict[str, object] = {
            "class": job.name,
            "args": ["visible", SECRET],
            "jid": f"{i:024x}",
            "queue": "default",
            "retry": True,
            "created_at": time.time(),
            "enqueued_at": time.time(),
            **job.wire_options(),
        }
        stored = chain(item)  # type: ignore[arg-type]
        assert stored is not None
        units.append(UnitOfWork("default", payload.encode(stored)))
    return units


def _ratios(ratios: list[float]) -> str:
    return f"{100 * median(ratios):.0f} %; " + " ".join(f"{100 * x:.0f}" for x in ratios)
