"""Metrics over 24-72 hours (10-minute rollups) and a job's execution-time histogram page."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from starlette.applications import Starlette
from starlette.testclient import TestClient

from workhorse import stats
from workhorse.api import Inspector
from workhorse.keys import Keys


def flush(rr: redis.Redis, keys: Keys, name: str, durations_ms: list[float], now: float) -> None:
    """What a worker's heartbeat writes after its threads ran these jobs."""
    thread = stats.ThreadStats()
    for ms in durations_ms:
        thread.record(name, True, ms)
    pipe = rr.pipeline()
    stats.write(pipe, keys, stats.snapshot([thread]), now)
    pipe.execute()


def test_runs_older_than_8_hours_show_in_the_24_and_72_hour_windows(
    inspector: Inspector, rr: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    flush(rr, keys, "Old", [5.0, 5.0], now - 20 * 3600)
    flush(rr, keys, "Old", [5.0], now - 50 * 3600)
    flush(rr, keys, "New", [5.0], now)
    assert "Old" not in inspector.stats.job_metrics(480, now)
    assert inspector.stats.job_metrics(1440, now)["Old"]["p"] == 2
    assert inspector.stats.job_metrics(4320, now)["Old"]["p"] == 3
    assert inspector.stats.job_metrics(4320, now)["New"]["p"] == 1
    assert rr.ttl(keys.metrics_rollup(stats.rollup_bucket(now))) > 72 * 3600


def test_the_histogram_counts_each_run_in_its_bucket(
    inspector: Inspector, rr: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    flush(rr, keys, "Mixed", [3.0, 8.0, 40.0, 40.0, 900_000.0], now)
    counts = inspector.stats.job_histogram("Mixed", 60, now)
    assert len(counts) == len(stats.HISTOGRAM_MS) + 1
    assert (counts[0], counts[2], counts[-1], sum(counts)) == (2, 2, 1, 5)


def test_garbage_histogram_fields_count_as_nothing(
    inspector: Inspector, rr: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    bucket = keys.metrics_rollup(stats.rollup_bucket(now))
    rr.hset(bucket, mapping={"Bad|h0": "lots", "Bad|h1": "nan", "Bad|h2": "-4", "Bad|h3": "2"})
    assert inspector.stats.job_histogram("Bad", 60, now)[:4] == [0, 0, 0, 2]


def test_the_job_page_shows_the_histogram_and_the_index_links_to_it(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    flush(rr, keys, "app.jobs.Report", [30.0, 30.0, 700.0], time.time())
    with TestClient(make_app()) as http:
        index = http.get("/metrics?minutes=1440")
        page = http.get("/metrics/app.jobs.Report?minutes=4320")
        empty = http.get("/metrics/<script>?minutes=oops")
    assert "/metrics/app.jobs.Report?minutes=1440" in index.text
    assert page.status_code == 200 and "execution time, last 72 h" in page.text
    assert "≤ 50 ms" in page.text and "&gt; 300 s" in page.text
    assert empty.status_code == 200 and "<script>" not in empty.text


def test_the_json_api_reaches_72_hours(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    flush(rr, keys, "Old", [5.0], time.time() - 60 * 3600)
    with TestClient(make_app()) as http:
        data = http.get("/api/metrics?minutes=4320").json()
    assert data["minutes"] == 4320 and data["jobs"]["Old"]["p"] == 1
