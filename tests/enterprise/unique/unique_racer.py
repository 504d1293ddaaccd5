"""A pushing process for the race test: waits for "go", pushes one unique job N times.

argv: REDIS_URL COUNT. Prints one line per push: the jid, or "-" when refused.
"""

from __future__ import annotations

import sys

import unique_jobs

from workhorse.client import configure

url, count = sys.argv[1], int(sys.argv[2])
client = configure(redis_url=url)
client.redis.incr("racers:ready")
client.redis.blpop(["racers:go"], timeout=30)
for _ in range(count):
    print(unique_jobs.record.perform_async("raced") or "-", flush=True)
