"""Jobs for the core benchmark (Dramatiq side, run in the benchmark's own venv)."""

import os
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(url=os.environ["BENCH_REDIS_URL"])
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="bench", max_retries=0)
def noop():
    pass


@dramatiq.actor(queue_name="bench", max_retries=0)
def sleep10():
    time.sleep(0.01)
