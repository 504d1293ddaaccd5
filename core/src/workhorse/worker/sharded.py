"""One OS process working queues spread over several Redis shards.

Each shard gets its own in-process worker (threads, heartbeat, poller) for the
queues that shard owns; signals reach all of them, and jobs enqueued from
inside jobs are routed by a :class:`~workhorse.sharding.ShardedClient`.
"""

from __future__ import annotations

import logging
import os

from workhorse.client import set_default_client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.sharding import ShardedClient, Shards
from workhorse.worker.launcher import WorkerProcess, exit_code_for
from workhorse.worker.preflight import require
from workhorse.worker.signals import SignalInbox, serve

log = logging.getLogger("workhorse.worker")


def build(settings: Settings, shards: Shards) -> list[WorkerProcess]:
    workers = []
    for name, url in shards.urls.items():
        owned = [q for q in settings.queues if shards.shard_for(q.name) == name]
        if owned:
            workers.append(
                WorkerProcess(
                    settings.with_changes(
                        redis_url=url, redis_url_source="--shard", queues=tuple(owned)
                    )
                )
            )
    if not workers:
        raise ConfigError("none of the shards owns any of the queues given with -q")
    return workers


def run_sharded_worker(settings: Settings, shards: Shards) -> int:
    require(settings.require)
    inbox = SignalInbox()
    inbox.install()
    workers = build(settings, shards)
    for worker in workers:
        worker.settles_heap = True
        worker.start()
    set_default_client(ShardedClient(shards, settings))
    log.info("working %d shard(s): %s", len(workers), ", ".join(shards.urls))
    serve(workers, inbox)
    told = any(worker.told_to_stop for worker in workers)
    code = exit_code_for(max(worker.exit_code for worker in workers), told)
    if any(worker.forced for worker in workers):
        os._exit(code)  # as run_worker, see there
    return code
