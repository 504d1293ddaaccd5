"""Believable data for the browser tests and the README screenshot."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import redis
from jobdata import add_to_set, failed, fill_queue, job, process

from workhorse import stats
from workhorse.keys import Keys

JOBS = [
    "billing.ChargeCard",
    "mailers.WelcomeEmail",
    "reports.BuildMonthly",
    "search.ReindexProduct",
    "ImageResizeJob",
    "webhooks.Deliver",
]
ERRORS = [
    ("TimeoutError", "payment gateway did not answer within 30 s"),
    ("ConnectionError", "smtp.example.com:587 refused the connection"),
    ("KeyError", "'customer_id'"),
    ("Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>"),
]


def fill(r: redis.Redis, keys: Keys, seed: int = 7) -> None:
    rand = random.Random(seed)
    now = time.time()
    r.set(keys.stat("processed"), 1_284_331)
    r.set(keys.stat("failed"), 2_417)
    today = datetime.now(UTC).date()
    for n in range(180):
        day = today - timedelta(days=n)
        base = 42_000 + 9_000 * ((n % 7) < 5) - 60 * n + rand.randint(-4_000, 4_000)
        r.set(keys.stat("processed", day), max(0, base))
        r.set(keys.stat("failed", day), rand.randint(20, 500))
    for name, count in (("default", 128), ("critical", 6), ("mailers", 42), ("low", 1_530)):
        fill_queue(r, keys, name, count, rand.choice(JOBS))
    for i in range(14):
        klass = JOBS[i % len(JOBS)]
        error_class, message = ERRORS[i % len(ERRORS)]
        add_to_set(
            r,
            keys,
            "retry",
            failed(
                klass,
                [rand.randint(1000, 99999), "eur"],
                error_class=error_class,
                error_message=message,
                retry_count=i % 6,
            ),
            now + 30 + 400 * i,
        )
    for i in range(25):
        add_to_set(r, keys, "schedule", job(JOBS[i % 3], [f"user-{1000 + i}"]), now + 600 * i + 60)
    for i in range(7):
        error_class, message = ERRORS[i % len(ERRORS)]
        add_to_set(
            r,
            keys,
            "dead",
            failed(
                JOBS[(i + 2) % len(JOBS)],
                [i * 17],
                error_class=error_class,
                error_message=message,
                retry_count=24,
            ),
            now - 3600 * (i + 1),
        )
    _processes(r, keys, now)
    bucket = keys.metrics(stats.minute_bucket(now))
    for klass in JOBS:
        runs = rand.randint(200, 4_000)
        r.hset(
            bucket,
            mapping={
                f"{klass}|p": runs,
                f"{klass}|f": rand.randint(0, runs // 50),
                f"{klass}|ms": runs * rand.randint(5, 900),
            },
        )


def _processes(r: redis.Redis, keys: Keys, now: float) -> None:
    work = {
        f"tid-{n}": {
            "queue": "default",
            "run_at": now - 3 * n,
            "payload": job(JOBS[n], [n * 101, "eur"]),
        }
        for n in range(3)
    }
    process(
        r,
        keys,
        "web-1:4211:1c9e0a7d42b1",
        {
            "hostname": "web-1",
            "pid": 4211,
            "version": "workhorse-1.0.0",
            "concurrency": 10,
            "queues": ["critical", "default", "mailers"],
            "started_at": now - 86400 * 2,
            "tag": "app",
        },
        work=work,
        busy=3,
    )
    process(
        r,
        keys,
        "rails-worker-2:88:77a0be55c3d2",
        {
            "hostname": "rails-worker-2",
            "pid": 88,
            "version": "7.2.4",
            "concurrency": 5,
            "queues": ["default", "low"],
            "started_at": now - 3600 * 5,
            "tag": "rails",
        },
        work={
            "tid-r": {
                "queue": "low",
                "run_at": now - 40,
                "payload": job("ImageResizeJob", [55, "thumb"]),
            }
        },
        busy=1,
    )
