"""workhorse-pro's hook implementations (entry point ``workhorse.plugins: pro``).

Hooks only; the work lives in the modules they call. Features declare
themselves on ``PRO`` in ``license_gate`` (see there for where they check it).
The license's process count is kept here once for both tiers: one key serves
Pro and Enterprise. ``workhorse license`` comes from workhorse-licensing (its
own workhorse plugin), so a customer with no paid tier installed can still use it.
"""

from __future__ import annotations

import redis

from workhorse.hookspecs import hookimpl
from workhorse.keys import Keys
from workhorse.types import PluginReport, ProcessContext

from . import license_usage
from .license_gate import PRO

_usage = license_usage.UsageMonitor()


@hookimpl
def workhorse_startup(process: ProcessContext) -> None:
    PRO.log_startup()
    _usage.startup(process)


@hookimpl
def workhorse_heartbeat(process: ProcessContext) -> None:
    _usage.beat(process)


@hookimpl
def workhorse_shutdown(process: ProcessContext) -> None:
    _usage.shutdown(process)


@hookimpl
def workhorse_diagnostics(redis: redis.Redis | None, keys: Keys | None) -> list[PluginReport]:
    problems, notes = license_usage.diagnostics(redis, keys)
    return [PRO.report(problems, notes)]
