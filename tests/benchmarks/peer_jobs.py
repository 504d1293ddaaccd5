"""Jobs for bench_peers.py, under the same names as peers/peer_jobs.rb, so one filled queue
can be drained by either side."""

from __future__ import annotations

import time

import workhorse
from workhorse.client import default_client

COUNTER = "bench:count"


@workhorse.job(name="PeerEmpty", queue="bench")
def empty() -> None:
    pass


@workhorse.job(name="PeerIncr", queue="bench")
def incr() -> None:
    default_client().redis.incr(COUNTER)


@workhorse.job(name="PeerIo10", queue="bench")
def io10() -> None:
    time.sleep(0.01)
    default_client().redis.incr(COUNTER)


@workhorse.job(name="PeerLatency", queue="bench")
def latency(enqueued: float) -> None:
    default_client().redis.rpush("bench:latency", time.time() - enqueued)
