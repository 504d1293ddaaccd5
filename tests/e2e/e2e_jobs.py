"""Jobs the end-to-end worker runs: one free, one Pro, one Enterprise.

Each records its outcome in Redis (``e2e:results``) so the test can read
exactly what the paid APIs answered inside a real worker process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import redis

import workhorse

_results = redis.Redis.from_url(os.environ["E2E_REDIS_URL"])


def _record(job: str, action: Callable[[], str]) -> None:
    try:
        outcome = {"job": job, "ok": True, "detail": action()}
    except Exception as exc:  # noqa: BLE001 - the test wants to see exactly what was raised
        outcome = {"job": job, "ok": False, "error": type(exc).__name__, "message": str(exc)}
    _results.rpush("e2e:results", json.dumps(outcome))


@workhorse.job(name="e2e.free", retry=False)
def free() -> None:
    _record("free", lambda: "ran")


@workhorse.job(name="e2e.pro", retry=False)
def pro() -> None:
    import workhorse_pro

    _record("pro", lambda: workhorse_pro.require_pro().customer_name)


@workhorse.job(name="e2e.enterprise", retry=False)
def enterprise() -> None:
    import workhorse_enterprise

    _record("enterprise", lambda: workhorse_enterprise.require_enterprise().customer_name)


def enqueue_all() -> None:
    free.perform_async()
    pro.perform_async()
    enterprise.perform_async()
