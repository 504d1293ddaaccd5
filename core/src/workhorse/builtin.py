"""Core's own defaults, registered as a plugin so every seam is exercised without Pro."""

from __future__ import annotations

from workhorse.fetch import BasicFetch
from workhorse.hookspecs import hookimpl
from workhorse.types import Fetcher, ProcessContext


@hookimpl(trylast=True)
def workhorse_make_fetcher(process: ProcessContext) -> Fetcher:
    return BasicFetch(process.redis, process.keys, process.settings.queues)
