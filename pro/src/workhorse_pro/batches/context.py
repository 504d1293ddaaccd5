"""Which batch this thread is filling, and which batch job it is running.

Context variables, so each worker thread (and each asyncio task that copies
its context) sees only its own. Kept apart from ``batch.py`` so the middleware
modules do not import the whole ``Batch`` API.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workhorse_pro.batches.batch import Batch


@dataclass(frozen=True, slots=True)
class RunningJob:
    bid: str
    jid: str


# Batches whose ``with`` block is open on this thread, innermost last.
open_batches: ContextVar[tuple[Batch, ...]] = ContextVar("workhorse_open_batches", default=())
# The batch job this thread is executing (set by the server middleware).
running_job: ContextVar[RunningJob | None] = ContextVar("workhorse_running_batch_job", default=None)
