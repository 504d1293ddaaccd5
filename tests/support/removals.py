"""A plugin that records every ``workhorse_jobs_removed`` call, registered for a block."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from workhorse import plugins
from workhorse.hookspecs import hookimpl
from workhorse.types import JobPayload


class RemovalListener:
    def __init__(self) -> None:
        self.heard: list[tuple[str, list[str]]] = []  # (reason, jids) per call

    @hookimpl
    def workhorse_jobs_removed(self, jobs: Sequence[JobPayload], reason: str) -> None:
        self.heard.append((reason, [str(job.get("jid")) for job in jobs]))


@contextmanager
def listening_for_removals() -> Iterator[RemovalListener]:
    listener = RemovalListener()
    plugins.register(listener, name="test-removals")
    try:
        yield listener
    finally:
        plugins.unregister(listener)
