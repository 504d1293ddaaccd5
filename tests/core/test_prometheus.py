"""Prometheus export: a worker's /metrics (--metrics-port), the -p sum, the plugin seam.

Every scrape is parsed with prometheus_client's own parser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jobs_for_tests as jobs
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from support.waiting import wait_for

from workhorse import hookimpl, metrics, plugins, stats
from workhorse.client import Client
from workhorse.types import MetricSample
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(port: int) -> Samples:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def job_labels(job: object, queue: str = "default") -> dict[str, str]:
    return {"class": str(getattr(job, "name")), "queue": queue}  # noqa: B009


def test_a_worker_exports_job_counters_durations_and_redis_gauges(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    for n in range(3):
        jobs.record.perform_async(n)
    jobs.always_fails.perform_async(1)
    jobs.dies_at_once.perform_async()
    r.lpush("queue:later", "{}")
    r.sadd("queues", "later")
    worker = start_worker(metrics_port=0, http_host="127.0.0.1")
    port = worker.servers[0].port
    ok = job_labels(jobs.record)
    wait_for(
        lambda: value(scrape(port), "workhorse_jobs_processed_total", **ok) == 3,
        "three successes to be counted",
    )
    wait_for(lambda: r.zcard("dead") == 1 and r.zcard("retry") == 1, "the failures to settle")
    samples = scrape(port)
    fails, dies = job_labels(jobs.always_fails), job_labels(jobs.dies_at_once)
    assert value(samples, "workhorse_jobs_failed_total", **fails) == 1
    assert value(samples, "workhorse_jobs_retried_total", **fails) == 1
    assert value(samples, "workhorse_jobs_dead_total", **dies) == 1
    assert value(samples, "workhorse_jobs_failed_total", **ok) == 0
    assert value(samples, "workhorse_job_duration_seconds_count", **ok) == 3
    assert value(samples, "workhorse_job_duration_seconds_bucket", **ok, le="+Inf") == 3
    assert value(samples, "workhorse_job_duration_seconds_sum", **ok) >= 0  # type: ignore[operator]
    assert value(samples, "workhorse_queue_size", queue="later") == 1
    assert value(samples, "workhorse_retry_jobs") == 1
    assert value(samples, "workhorse_dead_jobs") == 1
    assert value(samples, "workhorse_threads") == worker.settings.concurrency
    assert value(samples, "workhorse_busy_threads") == 0
    assert value(samples, "workhorse_processes") == 1


def test_without_a_metrics_port_nothing_extra_is_counted(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.record.perform_async("x")
    worker = start_worker()
    wait_for(lambda: r.llen("test:ran") == 1, "the job to run")
    assert worker.servers == []
    assert stats.series_snapshot(worker.executor.stats) == {}


class GaugePlugin:
    # workhorse calls this hook with every argument by name, so it takes them all.
    @hookimpl
    def workhorse_metrics(self, redis: redis.Redis, keys: object) -> list[MetricSample]:  # noqa: ARG002
        return [
            MetricSample("workhorse_limiter_available", "Free slots", 3, {"limiter": "api"}),
            MetricSample("workhorse_limiter_available", "Free slots", 0, {"limiter": "db"}),
        ]


class BrokenPlugin:
    @hookimpl
    def workhorse_metrics(self, redis: redis.Redis, keys: object) -> list[MetricSample]:  # noqa: ARG002
        raise RuntimeError("lease table unreadable")


@pytest.fixture
def metric_plugins() -> Iterator[None]:
    good, bad = GaugePlugin(), BrokenPlugin()
    plugins.register(good, "gauges")
    plugins.register(bad, "broken")
    yield
    plugins.unregister(good)
    plugins.unregister(bad)


def test_plugins_add_gauges_and_a_failing_plugin_is_left_out(
    wh_client: Client, start_worker: StartWorker, metric_plugins: None
) -> None:
    worker = start_worker(metrics_port=0, http_host="127.0.0.1")
    samples = scrape(worker.servers[0].port)
    assert value(samples, "workhorse_limiter_available", limiter="api") == 3
    assert value(samples, "workhorse_limiter_available", limiter="db") == 0
    assert value(samples, "workhorse_dead_jobs") == 0  # the rest of the scrape is intact


def test_process_snapshots_sum_and_garbage_files_are_skipped(tmp_path: Path) -> None:
    row = stats.new_series_row()
    row[stats.PROCESSED], row[stats.BUCKET0] = 2, 2
    part = metrics.ProcessMetrics({("A", "default"): row}, busy=1, concurrency=5)
    metrics.write_snapshot(tmp_path, str(os.getpid()), part)
    metrics.write_snapshot(tmp_path, "999999999", part)  # a child that is gone
    (tmp_path / "junk.json").write_bytes(b"\xff{")
    (tmp_path / "short.json").write_text('{"busy": 1, "concurrency": 1, "series": [["A", "q", 1]]}')
    total = metrics.read_shared(tmp_path)
    assert total.series[("A", "default")][stats.PROCESSED] == 4
    assert (total.busy, total.concurrency) == (1, 5)  # the gone child's threads are not counted


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_with_processes_the_supervisor_serves_the_sum_of_its_children(
    wh_client: Client,
    r: redis.Redis,
    redis_url: str,
    free_port: int,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    for n in range(20):
        jobs.record.perform_async(n)
    tests_dir = str(Path(jobs.__file__).parent)
    env = {**os.environ, "PYTHONPATH": tests_dir + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workhorse",
                "worker",
                "-r",
                "jobs_for_tests",
                "-p",
                "2",
                "-c",
                "2",
                "--metrics-port",
                str(free_port),
                "--redis-url",
                redis_url,
            ],
            env=env,
            stderr=subprocess.DEVNULL,
        )
    )

    def counted() -> Samples | None:
        try:
            samples = scrape(free_port)
        except httpx.TransportError:
            return None
        done = value(samples, "workhorse_jobs_processed_total", **job_labels(jobs.record))
        both = value(samples, "workhorse_threads") == 4  # each child has written a snapshot
        return samples if done == 20 and both else None

    samples = wait_for(counted, "the 20 jobs to be summed over both children", timeout=30)
    assert value(samples, "workhorse_queue_size", queue="default") == 0
