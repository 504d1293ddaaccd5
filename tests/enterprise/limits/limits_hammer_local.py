"""The loop every racing thread runs, here and in limits_hammer.py subprocesses."""

from __future__ import annotations

import random
import threading
import time

from workhorse.client import default_client
from workhorse_enterprise import limits


def make(spec: str) -> limits.Limiter:
    """``kind:name:limit:interval`` (interval = lock_timeout for concurrent)."""
    kind, name, limit, interval = spec.split(":")
    if kind == "concurrent":
        return limits.concurrent(name, int(limit), lock_timeout=float(interval), wait_timeout=10)
    factory = {"bucket": limits.bucket, "window": limits.window, "leaky": limits.leaky}[kind]
    return factory(name, int(limit), float(interval), wait_timeout=10)


def use(limiter: limits.Limiter, seconds: float, seed: int) -> None:
    """Acquire (and, if concurrent, hold a few ms) until ``seconds`` pass; log each admission."""
    rng, log = random.Random(seed), default_client().redis
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        lease = limiter.acquire()
        if limiter.kind == "concurrent":
            time.sleep(rng.uniform(0, 0.01))
            lease.release()
            log.rpush(f"log:{limiter.name}", f"{lease.admitted_at:.6f} {lease.released_at:.6f}")
        else:
            log.rpush(f"log:{limiter.name}", f"{lease.admitted_at:.6f}")


def start(specs: str, threads: int, seconds: float, seed: int = 0) -> list[threading.Thread]:
    """``threads`` threads spread over the limiters of ``specs``, started together."""
    limiters = [make(spec) for spec in specs.split(",")]
    started = [
        threading.Thread(target=use, args=(limiters[i % len(limiters)], seconds, seed + i))
        for i in range(threads)
    ]
    for thread in started:
        thread.start()
    return started
