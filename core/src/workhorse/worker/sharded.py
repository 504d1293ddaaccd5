"""One OS process working queues spread over several Redis shards.

Each shard gets its own in-process worker (threads, heartbeat, poller) for the
queues that shard owns; signals reach all of them, and jobs enqueued from
inside jobs are routed by a :class:`~workhorse.sharding.ShardedClient`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from workhorse.client import set_default_client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.sharding import ShardedClient, Shards
from workhorse.worker.launcher import WorkerProcess, require, supervisor_pid
from workhorse.worker.supervisor import EXIT_STOPPED

log = logging.getLogger("workhorse.worker")


def build(settings: Settings, shards: Shards) -> list[WorkerProcess]:
    workers = []
    for name, url in shards.urls.items():
        owned = [q for q in settings.queues if shards.shard_for(q.name) == name]
        if owned:
            workers.append(WorkerProcess(settings.with_changes(
                redis_url=url, redis_url_source="--shard", queues=tuple(owned))))
    if not workers:
        raise ConfigError("none of the shards owns any of the queues given with -q")
    return workers


def run_sharded_worker(settings: Settings, shards: Shards) -> int:
    require(settings.require)
    workers = build(settings, shards)
    stopping = threading.Event()

    def on(name: str) -> Callable[[int, FrameType | None], None]:
        def handle(signum: int, frame: FrameType | None) -> None:
            if name in ("TERM", "INT"):
                stopping.set()
            else:
                for worker in workers:
                    worker.handle_signal(name)

        return handle

    for sig, name in (
        (signal.SIGTERM, "TERM"),
        (signal.SIGINT, "INT"),
        (signal.SIGTSTP, "TSTP"),
        (signal.SIGTTIN, "TTIN"),
    ):
        signal.signal(sig, on(name))
    for worker in workers:
        worker.start()
    set_default_client(ShardedClient(shards, settings))
    log.info("working %d shard(s): %s", len(workers), ", ".join(shards.urls))
    while not stopping.wait(0.5) and not any(w.stopping.is_set() for w in workers):
        pass
    threads = [threading.Thread(target=w.shutdown) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    told = stopping.is_set() or any(w.told_to_stop for w in workers)
    return EXIT_STOPPED if told and supervisor_pid() else 0
