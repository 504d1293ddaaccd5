"""workhorse-licensing's hook implementations (entry point ``workhorse.plugins: licensing``).

Only the ``workhorse`` CLI loads this module, and it brings ``pluggy`` and
``click``; the rest of the package never imports workhorse. The marker is
built from the project name rather than imported, for the same reason.
"""

from __future__ import annotations

import click
import pluggy

from .customer_cli import license_group

hookimpl = pluggy.HookimplMarker("workhorse")


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    return [license_group]
