"""``workhorse license``: show this machine's license state for every installed paid tier."""

from __future__ import annotations

from importlib.util import find_spec

import click

from .license_gate import PRO, Gate


def installed_gates() -> list[Gate]:
    gates = [PRO]
    if find_spec("workhorse_enterprise") is not None:
        gates.append(Gate("enterprise"))
    return gates


@click.command(name="license")
def license_command() -> None:
    """Show who workhorse Pro/Enterprise is licensed to, or why it is not."""
    import workhorse_licensing

    gates = installed_gates()
    for gate in gates:
        click.echo(workhorse_licensing.describe(gate.tier))
    if not all(gate.status().active for gate in gates):
        raise SystemExit(1)
