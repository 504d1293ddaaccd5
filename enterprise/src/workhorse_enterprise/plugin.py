"""workhorse-enterprise's hook implementations (entry point ``workhorse.plugins: enterprise``).

Hooks only; the work lives in the modules they call. Features declare
themselves on ``ENTERPRISE`` in ``license_gate``. The process count per
license is kept by Pro's plugin, once for both tiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workhorse.hookspecs import hookimpl
from workhorse.types import PluginReport

from .license_gate import ENTERPRISE

if TYPE_CHECKING:
    import click


@hookimpl
def workhorse_startup() -> None:
    ENTERPRISE.log_startup()


@hookimpl
def workhorse_diagnostics() -> list[PluginReport]:
    return [ENTERPRISE.report()]


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    from .swarm.cli import restart, swarm

    return [swarm, restart]
