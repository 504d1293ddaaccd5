"""``workhorse encryption keygen|check``: make a key ring entry, check the configured ring."""

from __future__ import annotations

import click

from workhorse_enterprise.encryption.keyring import ENV, KeyRing, generate
from workhorse_enterprise.license_gate import ENCRYPTION


@ENCRYPTION.guard
@click.group()
def encryption() -> None:
    """Keys for encrypted job arguments (Enterprise)."""


@encryption.command()
@click.argument("version", type=click.IntRange(1, 255))
def keygen(version: int) -> None:
    """Print a new VERSION:BASE64KEY entry: append it to WORKHORSE_ENCRYPTION_KEYS to rotate."""
    click.echo(generate(version))


@encryption.command()
def check() -> None:
    """Say which key versions this environment holds and which one encrypts."""
    ring = KeyRing.from_env()
    click.echo(
        f"{ENV}: versions {', '.join(map(str, ring.versions))}; "
        f"new jobs are encrypted with version {ring.newest}"
    )
