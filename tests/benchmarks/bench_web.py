"""Dashboard render-time benchmark (issue 5). Prints a table; asserts nothing about speed.

Run: hatch run bench tests/benchmarks/bench_web.py   (or python -m pytest ... -s)

Fills one private Redis database with 10,000 jobs in each of retry, schedule,
dead and the default queue, plus processes and metrics, then requests every
page through the ASGI app in-process. "server ms" is the dashboard's own
``Server-Timing`` (request in to response headers out: Redis round trips plus
template rendering); "client ms" adds the test client's overhead. Target:
every page under 200 ms of server time.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import redis
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
import jobdata
import showcase

from workhorse.api import Inspector
from workhorse.config import Settings
from workhorse.connection import connect
from workhorse.keys import Keys
from workhorse.web import create_app

JOBS_PER_SET = 10_000
RUNS = 25
TARGET_MS = 200.0


def fill(r: redis.Redis, keys: Keys) -> None:
    showcase.fill(r, keys)
    started = time.perf_counter()
    jobdata.fill_set(r, keys, "dead", JOBS_PER_SET)
    jobdata.fill_set(r, keys, "retry", JOBS_PER_SET, start=time.time() + 60)
    jobdata.fill_set(r, keys, "schedule", JOBS_PER_SET, start=time.time() + 60)
    jobdata.fill_queue(r, keys, "default", JOBS_PER_SET)
    print(f"\nfilled 4 x {JOBS_PER_SET:,} jobs in {time.perf_counter() - started:.2f} s")


def pages(r: redis.Redis, keys: Keys) -> list[tuple[str, str]]:
    raw, score = r.zrange(keys.dead, 5000, 5000, withscores=True)[0]
    jid = jobdata.payload.loads(raw)["jid"]
    return [
        ("dashboard", "/"),
        ("busy", "/busy"),
        ("queues", "/queues"),
        ("queue, first page", "/queues/default"),
        ("queue, last page", "/queues/default?page=400"),
        ("retries, first page", "/retries"),
        ("retries, last page", "/retries?page=400"),
        ("scheduled, first page", "/scheduled"),
        ("dead, first page", "/dead"),
        ("dead, middle page", "/dead?page=200"),
        ("dead, 100 per page", "/dead?per=100"),
        ("dead, filtered (scans 10k)", "/dead?q=payload-1234"),
        ("dead, job detail", f"/dead/{score!r}-{jid}"),
        ("metrics", "/metrics"),
        ("api/stats (live poll)", "/api/stats"),
        ("api/history 180 days", "/api/history?days=180"),
    ]


def measure(client: TestClient, path: str) -> tuple[list[float], list[float]]:
    server, wall = [], []
    for run in range(RUNS + 2):
        started = time.perf_counter()
        answer = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, (path, answer.status_code)
        if run >= 2:  # warm-up: template compilation, connection pool
            server.append(float(answer.headers["server-timing"].split("dur=")[1]))
            wall.append(elapsed)
    return server, wall


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def test_page_render_times(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    client_redis = connect(settings)
    keys = Keys()
    fill(client_redis, keys)
    app = create_app(Inspector(client_redis, keys, settings), tabs=[])
    rows = []
    with TestClient(app) as client:
        for label, path in pages(client_redis, keys):
            server, wall = measure(client, path)
            rows.append(
                (
                    label,
                    statistics.median(server),
                    p95(server),
                    max(server),
                    statistics.median(wall),
                )
            )
    print(
        f"\nDashboard server time per page, {JOBS_PER_SET:,} jobs in each set, "
        f"{RUNS} requests each (target < {TARGET_MS:.0f} ms)\n"
    )
    print(f"{'page':<30}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}{'client ms':>11}  verdict")
    print("-" * 80)
    for label, median, high, worst, wall in rows:
        verdict = "ok" if high < TARGET_MS else "SLOW"
        print(f"{label:<30}{median:>11.1f}{high:>9.1f}{worst:>9.1f}{wall:>11.1f}  {verdict}")
