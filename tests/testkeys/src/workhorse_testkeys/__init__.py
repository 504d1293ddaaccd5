"""Test helpers: trust test signing keys and freeze the license clock, in code only.

Not part of any shipped distribution. ``workhorse_licensing`` offers no public
way to add a trusted key (DESIGN.md section 5); these helpers reach into its
private state on purpose, which is why they live in the test suite::

    key = SigningKey.generate("test-1")
    with trusted_keys(key), frozen_clock(datetime(2026, 5, 1, tzinfo=UTC)):
        monkeypatch.setenv("WORKHORSE_LICENSE", key.issue(sample_license()))
        assert status("pro").state == "valid"

Worker subprocesses started by tests call ``install_trusted_keys`` first (see
``tests/support/licensed_workhorse.py``). Every helper resets the per-process
license cache on entry and exit so each test sees a fresh process.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from workhorse_licensing import keyring as _keyring_module
from workhorse_licensing import runtime as _runtime
from workhorse_licensing.claims import License
from workhorse_licensing.keyring import Keyring, public_key_from_text
from workhorse_licensing.signing import SigningKey

__all__ = [
    "SigningKey",
    "TrustedKey",
    "frozen_clock",
    "install_trusted_keys",
    "reset",
    "sample_license",
    "trusted_keys",
]

log = logging.getLogger(__name__)
TrustedKey = SigningKey | tuple[str, Ed25519PublicKey | str]


def make_keyring(*keys: TrustedKey, retired: frozenset[str] | set[str] = frozenset()) -> Keyring:
    table: dict[str, Ed25519PublicKey] = {}
    for key in keys:
        if isinstance(key, SigningKey):
            table[key.key_id] = key.public_key
        else:
            key_id, public = key
            table[key_id] = public_key_from_text(public) if isinstance(public, str) else public
    return Keyring(table, frozenset(retired))


def _swap_keyring(keyring: Keyring) -> Keyring:
    previous = _keyring_module._trusted
    _keyring_module._trusted = keyring
    _runtime.reset()
    return previous


@contextmanager
def trusted_keys(
    *keys: TrustedKey, retired: frozenset[str] | set[str] = frozenset()
) -> Iterator[Keyring]:
    """Trust exactly ``keys`` (instead of the built-in ones) inside the block."""
    keyring = make_keyring(*keys, retired=retired)
    previous = _swap_keyring(keyring)
    try:
        yield keyring
    finally:
        _swap_keyring(previous)


def install_trusted_keys(*keys: TrustedKey) -> None:
    """Trust ``keys`` for the rest of this process (for test subprocesses)."""
    keyring = make_keyring(*keys)
    _swap_keyring(keyring)
    log.warning("test signing keys are trusted in this process: %s", ", ".join(keyring.keys))


@contextmanager
def frozen_clock(when: datetime) -> Iterator[None]:
    """Make the license check see ``when`` (timezone-aware) as the current time."""
    if when.tzinfo is None:
        raise ValueError("frozen_clock needs a timezone-aware datetime")
    previous = _runtime._inputs.clock
    _runtime._inputs.clock = lambda: when
    _runtime.reset()
    try:
        yield
    finally:
        _runtime._inputs.clock = previous
        _runtime.reset()


def reset(environ: Mapping[str, str] | None = None) -> None:
    """Forget the cached license state, the real clock back (and read ``environ``
    instead of os.environ when given)."""
    _runtime._inputs.clock = _runtime.system_clock
    _runtime._inputs.environ = environ
    _runtime.reset()


def sample_license(**changes: Any) -> License:
    """A one-year Pro license for ACME Corp from 2026-01-01; override any field."""
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    base = License(
        license_id="lic_123",
        customer_id="cus_acme",
        customer_name="ACME Corp",
        tiers=("pro",),
        issued_at=issued,
        expires_at=issued + timedelta(days=365),
        grace_days=14,
    )
    return dataclasses.replace(base, **changes)
