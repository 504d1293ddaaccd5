"""Poison pills: a job recovered ``max_recoveries`` times after crashing its process
goes to the dead set with an error saying so, instead of killing processes forever."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from workhorse import payload, quarantine
from workhorse.config import Settings
from workhorse.errors import ArgumentError, PayloadError, WorkhorseError
from workhorse.types import JobPayload
from workhorse_pro.reliable.scripts import ReliableScripts

log = logging.getLogger(__name__)
ERROR_CLASS = "workhorse_pro.reliable.PoisonPill"
BATCH = 100


class PoisonPill(WorkhorseError):
    """A job whose process died every time it ran."""

    def __init__(self, recoveries: int, besides: str = "") -> None:
        super().__init__(
            f"the worker process running this job died (SIGKILL, out of memory or a crash) "
            f"{recoveries} times; reliable fetch stopped recovering it and moved it to the dead "
            f"set{besides}. Find why it kills its process, then retry it from the dead set"
        )


def jid_of(raw: bytes, job: JobPayload | None) -> str:
    """The key of the job's recovery count; must match ``jid_of`` in recover.lua."""
    jid = job.get("jid") if job is not None else None
    if isinstance(jid, str):
        return jid
    return "sha1:" + hashlib.sha1(raw).hexdigest()


def dead_payload(raw: bytes, job: JobPayload | None, settings: Settings, recoveries: int) -> str:
    """The dead-set entry: the job with the error fields, or, when ``raw`` is not a job
    we can write back (not UTF-8, not job JSON, NaN), a wrapper that keeps its bytes
    (see workhorse.quarantine)."""
    error = PoisonPill(recoveries)
    if job is not None:
        item = dict(job)
        stamp = payload.timestamp(settings.timestamp_format)
        item.update(failed_at=stamp, error_class=ERROR_CLASS, error_message=str(error))
        item.setdefault("retry_count", 0)
        try:
            return payload.encode(item)
        except ArgumentError as exc:
            error = PoisonPill(recoveries, f"; besides, {exc}")
    wrapper = quarantine.wrapper(raw, "default", str(error), settings.timestamp_format)
    return payload.encode({**wrapper, "error_class": ERROR_CLASS})


def parse(raw: bytes) -> JobPayload | None:
    """The job in ``raw``, or None when it is not UTF-8 job JSON."""
    try:
        return payload.decode(quarantine.text(raw))
    except PayloadError:
        return None


def bury_all(
    client_lrange: Callable[[str, int, int], list[bytes]],
    scripts: ReliableScripts,
    settings: Settings,
    recoveries: int,
    on_died: Callable[[JobPayload, BaseException], None] | None = None,
) -> int:
    """Move every job in the poison list to the dead set (``dead: false`` jobs are dropped).
    ``client_lrange`` returns the stored bytes: any program may have written them."""
    buried = 0
    for raw in client_lrange(scripts.keys.poison, 0, BATCH - 1):
        job = parse(raw)
        discard = job is not None and job.get("dead") is False
        dead_raw = None if discard else dead_payload(raw, job, settings, recoveries)
        took = scripts.bury_poison(
            raw,
            dead_raw,
            jid_of(raw, job),
            time.time(),
            settings.dead_timeout,
            settings.dead_max_jobs,
        )
        if not took:
            continue  # another process got it first
        buried += 1
        name = job.get("class") if job else "?"
        log.error(
            "poison pill %s jid=%s %s after its process died %d times",
            name,
            jid_of(raw, job),
            "discarded (dead: false)" if discard else "moved to the dead set",
            recoveries,
        )
        if on_died is not None and job is not None:
            on_died(payload.decode(dead_raw) if dead_raw else job, PoisonPill(recoveries))
    return buried
