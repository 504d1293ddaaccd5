"""workhorse-pro's hook implementations (entry point ``workhorse.plugins: pro``).

Hooks only; the work lives in the modules they call. Features added here
check ``PRO.entitled(...)`` in their hooks, or ``require_pro(...)`` in APIs.
``workhorse license`` comes from workhorse-licensing (its own workhorse
plugin), so a customer with no paid tier installed can still use it.
"""

from __future__ import annotations

from workhorse.hookspecs import hookimpl
from workhorse.types import PluginReport, ProcessContext

from .license_gate import PRO


@hookimpl
def workhorse_startup(process: ProcessContext) -> None:
    PRO.log_startup(process)


@hookimpl
def workhorse_diagnostics() -> list[PluginReport]:
    return [PRO.report()]
