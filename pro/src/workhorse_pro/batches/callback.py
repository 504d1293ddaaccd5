"""The job that runs batch callbacks: ``workhorse_pro.batch_callback [event, bid]``.

Lua pushes exactly one per event (see ``lua/_lib.lua``). It calls the user's
callback job with the batch status (or enqueues it when this worker does not
have it), then marks the event done, which may fire the next event (success
after complete) or the parent's. A failing user callback fails this job, which
is retried like any job; marking it done is idempotent, so a re-run after a
crash does not fire anything twice. The user's callback itself runs at least
once, like any job.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from typing import Any

from workhorse.client import Client, default_client
from workhorse.job import find, job
from workhorse_pro.batches.scripts import Event
from workhorse_pro.batches.status import BatchStatus
from workhorse_pro.batches.tracker import Tracker
from workhorse_pro.license_gate import BATCHES

log = logging.getLogger(__name__)
NAME = "workhorse_pro.batch_callback"
EVENTS: tuple[Event, ...] = ("complete", "success", "death")


@job(name=NAME)
def batch_callback(event: str, bid: str) -> None:
    """Run ``event``'s callback of batch ``bid`` and record that it ran."""
    BATCHES.require()
    if event not in EVENTS:
        raise ValueError(f"unknown batch event {event!r}; expected one of {', '.join(EVENTS)}")
    client = default_client()
    tracker = Tracker.of(client)
    ref = tracker.meta.ref(bid)
    if ref is None:
        log.warning("batch %s expired before its %s callback ran; skipped", bid, event)
        return
    status = BatchStatus(bid, client)
    name = status.callbacks.get(event)
    if name:
        run_user_callback(
            client,
            name,
            {**status.as_dict(), "event": event},
            status.callback_args,
            ref.callback_queue,
            status.fields.get("traceparent"),
        )
    linger = float(status.fields.get("linger", tracker.config.linger))
    tracker.scripts.callback_done(ref, event, tracker.meta.parent(bid), linger)


def run_user_callback(
    client: Client,
    name: str,
    status: dict[str, Any],
    args: list[Any],
    queue: str,
    traceparent: str | None = None,
) -> None:
    definition = find(name)
    if definition is None:
        # Not in this worker (another app, a Ruby class): hand it over as a job, still
        # linked to the batch's trace.
        trace = {"batch_traceparent": traceparent} if traceparent else {}
        client.enqueue(name, [status, *args], queue=queue, **trace)
        log.info("batch %s: %s callback %s enqueued", status["bid"], status["event"], name)
        return
    result = definition.call([json.loads(json.dumps(status)), *args])
    if inspect.iscoroutine(result):
        asyncio.run(result)
