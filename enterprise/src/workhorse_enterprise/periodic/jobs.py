"""Turn an entry into the job payload to push, through the client middleware chain."""

from __future__ import annotations

from typing import Any, cast

from workhorse import payload
from workhorse.client import Client
from workhorse_enterprise.periodic.entry import Entry
from workhorse_enterprise.periodic.store import RunKind


def build_job(
    client: Client, entry: Entry, tick: int | None, kind: RunKind, link: str | None = None
) -> dict[str, Any] | None:
    """The payload for one run, or None if a client middleware dropped it (e.g. unique jobs).

    Extra fields ``periodic`` (entry name), ``periodic_tick`` (the tick, epoch
    seconds), ``periodic_missed`` (a missed tick run by policy) and, with tracing
    on, ``cron_traceparent`` (the tick's span, ``link``) travel with the job; Sidekiq
    keeps unknown fields untouched. The payload is built here, before the Lua
    enqueue, so the script pushes it as is.
    """
    item: dict[str, Any] = {
        **entry.options,
        "class": entry.job,
        "args": list(entry.args),
        "periodic": entry.name,
    }
    if tick is not None:
        item["periodic_tick"] = tick
    if kind == "missed":
        item["periodic_missed"] = True
    with client.capture() as captured:
        client.push(item)
    if not captured:
        return None
    job = cast(dict[str, Any], dict(captured[0]))
    job.pop("at", None)
    if link:
        job["cron_traceparent"] = link
    job["enqueued_at"] = payload.timestamp(client.settings.timestamp_format)
    return job
