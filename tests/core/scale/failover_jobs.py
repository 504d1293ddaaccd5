"""A job that records each run in an independent 'witness' Redis, outside the failover."""

from __future__ import annotations

import os
import time

import redis

import workhorse

_witness = redis.Redis.from_url(os.environ.get("WH_WITNESS_URL", "redis://127.0.0.1:1/0"))


@workhorse.job
def witnessed(n: int) -> None:
    time.sleep(0.02)
    _witness.hincrby("runs", str(n), 1)
