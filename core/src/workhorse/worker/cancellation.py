"""Cancelling running jobs: a thread that asks Redis whether any of them was cancelled.

``workhorse.cancel(jid)`` adds the jid to the ``cancelled`` set. Once a second, and
only while this process runs jobs, one ``ZMSCORE`` asks about all of them; a hit is
interrupted with ``JobCancelled`` (a thread job) or has its task cancelled (async).
Nothing runs per job.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import redis

from workhorse import payload

if TYPE_CHECKING:
    from workhorse.worker.views import RunningJobs

log = logging.getLogger("workhorse.cancellation")
POLL_SECONDS = 1.0


class CancelWatcher:
    def __init__(self, processor: RunningJobs, stopping: threading.Event) -> None:
        self.processor = processor
        self.stopping = stopping
        self.redis = processor.redis
        self.key = processor.keys.cancelled

    def start(self) -> None:
        threading.Thread(target=self._run, name="workhorse-cancel", daemon=True).start()

    def _run(self) -> None:
        while not self.stopping.wait(POLL_SECONDS):
            try:
                self.check()
            except (redis.ConnectionError, redis.TimeoutError):
                continue  # the heartbeat reports outages
            except Exception:
                log.exception("checking for cancelled jobs failed; will try again")

    def check(self) -> int:
        """Interrupt the running jobs that were cancelled; returns how many."""
        by_jid: dict[str, int] = {}
        for tid, (unit, _) in list(self.processor.running.snapshot().items()):
            jid = _jid(unit.raw)
            if jid and tid not in self.processor.cancelled_threads:
                by_jid[jid] = tid
        if not by_jid:
            return 0
        jids = list(by_jid)
        scores = self.redis.zmscore(self.key, jids)
        hits = [jid for jid, score in zip(jids, scores, strict=True) if score is not None]
        for jid in hits:
            log.info("cancelling running job jid=%s", jid)
            self.processor.cancel_running(by_jid[jid])
        return len(hits)


def _jid(raw: str) -> str:
    try:
        job = payload.loads(raw)
    except ValueError:
        return ""
    jid = job.get("jid") if isinstance(job, dict) else None
    return jid if isinstance(jid, str) else ""
