"""``workhorse-license``: the vendor's key and license command (extra ``[issuer]``).

    workhorse-license keygen  --keys DIR            first signing key (0600, never printed)
    workhorse-license rotate  --keys DIR            new signing key; old ones keep verifying
    workhorse-license retire  --keys DIR KEY_ID     stop trusting a key id
    workhorse-license keys    --keys DIR            list keys
    workhorse-license export-public --keys DIR [-o builtin_keys.py [--force]]
    workhorse-license issue   --keys DIR --customer-id ID --customer-name NAME --tier pro \
                              --expires 2027-01-01
    workhorse-license inspect [--keys DIR] TOKEN|-
    workhorse-license revoke  --keys DIR --list revocations.wh LICENSE_ID...
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import click

from ..claims import TIERS, License, Tier
from ..errors import LicenseError
from ..evaluation import Verified, evaluate
from ..keyring import Keyring, trusted_keyring
from ..revocation import parse_revocation_list
from ..sources import FoundKey
from ..verify import verify_license
from .files import write_atomic
from .keystore import KeyStore

T = TypeVar("T")

keys_option = click.option(
    "--keys",
    "keys_dir",
    required=True,
    envvar="WORKHORSE_VENDOR_KEYS",
    type=click.Path(file_okay=False, path_type=Path),
    help="Vendor key directory (env WORKHORSE_VENDOR_KEYS). Keep it out of any repository.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Create signing keys, issue, inspect and revoke workhorse licenses."""


@main.command()
@keys_option
@click.option("--key-id", help="Key id to put in license headers (default wh-YYYYMMDD-xxxx).")
def keygen(keys_dir: Path, key_id: str | None) -> None:
    """Create the first signing key pair."""
    key = _run(lambda: KeyStore(keys_dir).create(key_id, first=True))
    click.echo(f"created signing key {key.key_id} in {keys_dir} (private key mode 0600)")
    click.echo(f"public key: {key.public_text()}")


@main.command()
@keys_option
@click.option("--key-id", help="Id of the new key.")
def rotate(keys_dir: Path, key_id: str | None) -> None:
    """Make a new key the signing key; licenses signed by older keys keep verifying."""
    key = _run(lambda: KeyStore(keys_dir).create(key_id))
    click.echo(
        f"{key.key_id} now signs new licenses; run export-public and release"
        " workhorse-licensing so installs trust it"
    )


@main.command()
@keys_option
@click.argument("key_id")
def retire(keys_dir: Path, key_id: str) -> None:
    """Stop trusting KEY_ID (after the next workhorse-licensing release)."""
    _run(lambda: KeyStore(keys_dir).retire(key_id))
    click.echo(f"retired {key_id}; run export-public and release workhorse-licensing")


@main.command(name="keys")
@keys_option
def list_keys(keys_dir: Path) -> None:
    """List signing keys."""
    for info in _run(lambda: KeyStore(keys_dir).keys()):
        flags = ["signing" if info.signing else "", "retired" if info.retired else ""]
        click.echo(f"{info.key_id}  {info.created}  {info.public}  {' '.join(filter(None, flags))}")


@main.command(name="export-public")
@keys_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (e.g. licensing/src/workhorse_licensing/builtin_keys.py); "
    "default: print it.",
)
@click.option("--force", is_flag=True, help="Replace --output if it exists.")
def export_public(keys_dir: Path, output: Path | None, force: bool) -> None:
    """Write builtin_keys.py (public keys and retired ids) for the next release."""
    source = _run(lambda: KeyStore(keys_dir).export_builtin())
    if output is None:
        click.echo(source, nl=False)
        return
    if output.exists() and not force:
        # The usual target is the committed builtin_keys.py: replacing it with the keys
        # of another key directory would silently change whom every install trusts.
        raise click.ClickException(
            f"{output} already exists; compare it with `workhorse-license export-public"
            f" --keys {keys_dir}` (prints to stdout), then add --force to replace it"
        )
    _run(lambda: write_atomic(output, source.encode()))
    click.echo(f"wrote {output}")


@main.command()
@keys_option
@click.option("--customer-id", required=True, help="The customer's id (as on the index).")
@click.option("--customer-name", required=True, help="Shown by `workhorse license`.")
@click.option(
    "--tier",
    "tiers",
    multiple=True,
    required=True,
    type=click.Choice(TIERS),
    help="A tier to license; repeatable (enterprise includes pro).",
)
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), help="Expiry date (UTC).")
@click.option("--days", type=int, default=365, show_default=True, help="Validity if no --expires.")
@click.option(
    "--grace-days",
    type=click.IntRange(0),
    default=14,
    show_default=True,
    help="Days paid features keep working, with warnings, after expiry.",
)
@click.option("--feature", "features", multiple=True, help="Restrict to these features.")
@click.option(
    "--max-processes",
    type=click.IntRange(1),
    help="Most worker processes allowed (default: no limit).",
)
@click.option(
    "--max-threads", type=click.IntRange(1), help="Most worker threads allowed (default: no limit)."
)
@click.option("--license-id", help="Default: lic_ + 16 random hex digits.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the key to this file (mode 0600); default: print it.",
)
def issue(
    keys_dir: Path,
    customer_id: str,
    customer_name: str,
    tiers: tuple[Tier, ...],
    expires: datetime | None,
    days: int,
    grace_days: int,
    features: tuple[str, ...],
    max_processes: int | None,
    max_threads: int | None,
    license_id: str | None,
    output: Path | None,
) -> None:
    """Sign a license key and print it (or write it to --output)."""
    now = datetime.now(UTC).replace(microsecond=0)
    ends = expires.replace(tzinfo=UTC) if expires else now + timedelta(days=days)
    store = KeyStore(keys_dir)
    lic = License(
        license_id=license_id or f"lic_{secrets.token_hex(8)}",
        customer_id=customer_id,
        customer_name=customer_name,
        # Enterprise includes Pro; saying so in the claims keeps old verifiers right.
        tiers=tuple(t for t in TIERS if t in tiers or (t == "pro" and "enterprise" in tiers)),
        issued_at=now,
        expires_at=ends,
        grace_days=grace_days,
        features=tuple(features) or None,
        max_processes=max_processes,
        max_threads=max_threads,
    )
    token = _run(lambda: _checked(store.signing_key().issue(lic), store.keyring()))
    if output is None:
        click.echo(token)
    else:
        write_atomic(output, token.encode() + b"\n", 0o600)
        click.echo(f"wrote license {lic.license_id} to {output}", err=True)


def _checked(token: str, keyring: Keyring) -> str:
    verify_license(token, keyring)  # what we hand out must verify, or we fail here
    return token


@main.command()
@click.option(
    "--keys",
    "keys_dir",
    envvar="WORKHORSE_VENDOR_KEYS",
    type=click.Path(file_okay=False, path_type=Path),
    help="Verify with this key store instead of the built-in keys.",
)
@click.argument("token", default="-")
def inspect(keys_dir: Path | None, token: str) -> None:
    """Verify TOKEN (or stdin) and show its claims and state today."""
    text = sys.stdin.read() if token == "-" else token
    keyring = KeyStore(keys_dir).keyring() if keys_dir else trusted_keyring()
    lic = _run(lambda: verify_license(text, keyring))
    click.echo(f"license id:    {lic.license_id}\nsigned by key: {lic.key_id}")
    click.echo(f"customer:      {lic.customer_name} ({lic.customer_id})")
    click.echo(f"tiers:         {', '.join(lic.tiers)}")
    click.echo(f"features:      {', '.join(lic.features) if lic.features is not None else 'all'}")
    click.echo(f"max processes: {lic.max_processes or '-'}, max threads: {lic.max_threads or '-'}")
    click.echo(f"issued:        {lic.issued_at:%Y-%m-%d %H:%M} UTC")
    click.echo(f"expires:       {lic.expires_at:%Y-%m-%d} (grace {lic.grace_days} days)")
    verified = Verified(FoundKey(text, "argument"), lic, None)
    state = evaluate(lic.tiers[-1], verified, frozenset(), datetime.now(UTC))
    click.echo(f"state today:   {state.state}: {state.message}")


@main.command()
@keys_option
@click.option(
    "--list",
    "list_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Signed revocation list to create or extend.",
)
@click.argument("license_ids", nargs=-1, required=True)
def revoke(keys_dir: Path, list_path: Path, license_ids: tuple[str, ...]) -> None:
    """Add LICENSE_IDS to the signed revocation list that installs read."""
    store = KeyStore(keys_dir)
    known: frozenset[str] = frozenset()
    if list_path.exists():
        known = _run(lambda: parse_revocation_list(list_path.read_text(), store.keyring())).revoked
    text = _run(
        lambda: store.signing_key().sign_revocations(known | set(license_ids), datetime.now(UTC))
    )
    write_atomic(list_path, text.encode() + b"\n")
    click.echo(
        f"{list_path}: {len(known | set(license_ids))} revoked license(s); publish it at"
        " the URL your customers set in WORKHORSE_LICENSE_REVOCATIONS"
    )


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except (LicenseError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
