"""Dashboard metrics in Sidekiq 8's layout: minute buckets, 10-minute rollups (24-72 h)
and per-minute execution-time histograms, written at heartbeat and read by the pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis
from starlette.applications import Starlette
from starlette.testclient import TestClient

from workhorse import stats
from workhorse.api import Inspector
from workhorse.keys import Keys

# 2025-02-14 08:43:20 UTC: the example moment of Sidekiq 8's own key comments.
MOMENT = datetime(2025, 2, 14, 8, 43, 20, tzinfo=UTC).timestamp()


def flush(
    rr: redis.Redis, keys: Keys, name: str, durations_ms: list[float], now: float, ok: bool = True
) -> None:
    """What a worker's heartbeat writes after its threads ran these jobs."""
    thread = stats.ThreadStats()
    for ms in durations_ms:
        thread.record(name, ok, ms)
    pipe = rr.pipeline()
    stats.write(pipe, keys, stats.snapshot([thread]), now)
    pipe.execute()


def sidekiq_histogram(rr: redis.Redis, key: str) -> list[int]:
    """Read a histogram key the way Sidekiq 8's Web UI does: 26 ``GET u16 #i``."""
    gets = [part for i in range(26) for part in ("GET", "u16", f"#{i}")]
    return list(rr.execute_command("BITFIELD", key, *gets))


def test_a_flush_writes_exactly_sidekiq_8s_keys_and_fields(rr: redis.Redis, keys: Keys) -> None:
    flush(rr, keys, "app.Report", [5.0, 25.0, 280.0], MOMENT)
    flush(rr, keys, "app.Report", [7.0], MOMENT, ok=False)
    assert sorted(rr.keys("*")) == [
        "h|app.Report-14-8:43",
        "j|250214|8:4",
        "j|250214|8:43",
        "stat:failed",
        "stat:failed:2025-02-14",
        "stat:processed",
        "stat:processed:2025-02-14",
    ]
    fields = {"app.Report|p": "4", "app.Report|f": "1", "app.Report|ms": "310"}
    assert rr.hgetall("j|250214|8:43") == rr.hgetall("j|250214|8:4") == fields
    assert rr.type("h|app.Report-14-8:43") == "string"
    # < 20 ms, < 30 ms and (280 ms) < 335 ms; the failed run is not in the histogram.
    assert sidekiq_histogram(rr, "h|app.Report-14-8:43") == [1, 1] + [0] * 5 + [1] + [0] * 18
    assert 71.9 * 3600 < rr.ttl("j|250214|8:4") <= 72 * 3600
    assert 7.9 * 3600 < rr.ttl("j|250214|8:43") <= 8 * 3600
    assert 7.9 * 3600 < rr.ttl("h|app.Report-14-8:43") <= 8 * 3600


def test_key_names_follow_sidekiqs_padding_rules() -> None:
    early = datetime(2026, 3, 5, 7, 4, 0, tzinfo=UTC).timestamp()
    assert stats.minute_bucket(early) == "260305|7:04"
    assert stats.rollup_bucket(early) == "260305|7:0"
    assert stats.histogram_minute(early) == "5-7:4"
    assert Keys("{wh}").histogram("A", "5-7:4") == "{wh}:h|A-5-7:4"


def test_bucket_bounds_are_exclusive_and_the_last_bucket_is_everything_slower() -> None:
    thread = stats.ThreadStats()
    for ms in (0.0, 19.9, 20.0, 334_999.0, 335_000.0, 9e9):
        thread.record("J", True, ms)
    histogram = thread.by_job["J"][stats.HIST0 :]
    assert len(histogram) == 26
    assert (histogram[0], histogram[1], histogram[24], histogram[25]) == (2, 1, 1, 2)


def test_counters_saturate_at_65535_instead_of_wrapping(rr: redis.Redis, keys: Keys) -> None:
    flush(rr, keys, "Busy", [1.0] * 40_000, MOMENT)
    flush(rr, keys, "Busy", [1.0] * 40_000, MOMENT)
    assert sidekiq_histogram(rr, "h|Busy-14-8:43")[0] == 65_535


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


def test_the_histogram_sums_the_minutes_of_the_window(
    inspector: Inspector, rr: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    flush(rr, keys, "Mixed", [3.0, 8.0, 40.0], now)
    flush(rr, keys, "Mixed", [40.0, 900_000.0], now - 30 * 60)
    flush(rr, keys, "Mixed", [3.0], now - 90 * 60)  # outside the hour
    counts = inspector.stats.job_histogram("Mixed", 60, now)
    assert len(counts) == len(stats.HISTOGRAM_MS) + 1
    assert (counts[0], counts[2], counts[-1], sum(counts)) == (2, 2, 1, 5)
    assert sum(inspector.stats.job_histogram("Mixed", 240, now)) == 6


@pytest.mark.parametrize(
    "hostile",
    [
        lambda rr, key: rr.set(key, b"\xff\xfe garbage \x00" * 9),  # too long: extra ignored
        lambda rr, key: rr.set(key, b"\x01"),  # too short: the rest reads as 0
        lambda rr, key: rr.rpush(key, "not", "a", "string"),  # wrong type
        lambda rr, key: rr.hset(key, "x", "y"),
    ],
)
def test_hostile_histogram_keys_do_not_break_the_job_page(
    make_app: Callable[..., Starlette],
    rr: redis.Redis,
    keys: Keys,
    hostile: Callable[[redis.Redis, str], object],
) -> None:
    now = time.time()
    flush(rr, keys, "Bad", [3.0], now - 60)
    hostile(rr, keys.histogram("Bad", stats.histogram_minute(now)))
    with TestClient(make_app()) as http:
        page = http.get("/metrics/Bad?minutes=60")
    assert page.status_code == 200 and "&lt; 20 ms" in page.text


def test_hostile_bucket_keys_are_counted_as_unreadable(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    flush(rr, keys, "Good", [5.0], now)
    rr.set(keys.metrics(stats.minute_bucket(now - 60)), "not a hash")
    rr.rpush(keys.metrics_rollup(stats.rollup_bucket(now - 20 * 3600)), "nor this")
    rr.hset(keys.metrics(stats.minute_bucket(now - 120)), mapping={"Evil|p": "1e999", "|": "|"})
    rr.hset(keys.metrics(stats.minute_bucket(now - 180)), b"\xff\xfe|p", b"\x80")
    with TestClient(make_app()) as http:
        hour = http.get("/metrics?minutes=60")
        day = http.get("/metrics?minutes=1440")
        api = http.get("/api/metrics?minutes=60").json()
    assert hour.status_code == day.status_code == 200 and "Good" in hour.text
    assert api["jobs"]["Good"]["p"] == 1 and api["unreadable"] == 3


def test_the_job_page_shows_the_histogram_and_the_index_links_to_it(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    flush(rr, keys, "app.jobs.Report", [30.0, 30.0, 700.0], time.time())
    with TestClient(make_app()) as http:
        index = http.get("/metrics?minutes=1440")
        page = http.get("/metrics/app.jobs.Report?minutes=240")
        long = http.get("/metrics/app.jobs.Report?minutes=4320")
        empty = http.get("/metrics/<script>?minutes=oops")
    assert "/metrics/app.jobs.Report?minutes=1440" in index.text
    assert page.status_code == 200 and "execution time, last 4 h" in page.text
    assert "&lt; 45 ms" in page.text and "≥ 335 s" in page.text and "&lt; 1.1 s" in page.text
    assert "execution time, last 8 h" in long.text and "kept 8 hours" in long.text
    assert empty.status_code == 200 and "<script>" not in empty.text


def test_the_json_api_reaches_72_hours(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    flush(rr, keys, "Old", [5.0], time.time() - 60 * 3600)
    with TestClient(make_app()) as http:
        data = http.get("/api/metrics?minutes=4320").json()
    assert data["minutes"] == 4320 and data["jobs"]["Old"]["p"] == 1
