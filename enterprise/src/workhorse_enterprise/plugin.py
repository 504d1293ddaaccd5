"""workhorse-enterprise's hook implementations (entry point ``workhorse.plugins: enterprise``).

Hooks only; the work lives in the modules they call. Features added here
check ``ENTERPRISE.entitled(...)`` in hooks, or ``require_enterprise(...)`` in APIs.
"""

from __future__ import annotations

from workhorse.hookspecs import hookimpl
from workhorse.types import PluginReport, ProcessContext

from .license_gate import ENTERPRISE


@hookimpl
def workhorse_startup(process: ProcessContext) -> None:
    ENTERPRISE.log_startup(process)


@hookimpl
def workhorse_diagnostics() -> list[PluginReport]:
    return [ENTERPRISE.report()]
