"""The floor for a no-op drain: RPOP 50, json.loads each, one INCR each; no framework."""

from __future__ import annotations

import json
import sys

import redis


def main(url: str) -> None:
    r = redis.Redis.from_url(url)
    while True:
        jobs = r.rpop("queue:bench", 50)
        if not jobs:
            return  # the queue was filled before this started: empty means drained
        for raw in jobs:
            json.loads(raw)
            r.incr("bench:count")


if __name__ == "__main__":
    main(sys.argv[1])
