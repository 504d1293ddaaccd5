"""Test helpers: trust test signing keys and freeze the clock, in code only.

DESIGN.md section 5: no environment variable or config file can add a
trusted key. Tests (and the paid tiers' test suites) use these functions
instead::

    key = SigningKey.generate("test-1")
    with trusted_keys(key), frozen_clock(datetime(2026, 5, 1, tzinfo=UTC)):
        monkeypatch.setenv("WORKHORSE_LICENSE", key.issue(sample_license()))
        assert status("pro").state == "valid"

Every helper resets the per-process cache on entry and exit so each test
sees a fresh process.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import keyring as keyring_module
from . import runtime
from .claims import License
from .keyring import Keyring, public_key_from_text
from .signing import SigningKey

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


def _keyring(keys: tuple[TrustedKey, ...], retired: frozenset[str]) -> Keyring:
    table: dict[str, Ed25519PublicKey] = {}
    for key in keys:
        if isinstance(key, SigningKey):
            table[key.key_id] = key.public_key
        else:
            key_id, public = key
            table[key_id] = public_key_from_text(public) if isinstance(public, str) else public
    return Keyring(table, retired)


@contextmanager
def trusted_keys(*keys: TrustedKey, retired: frozenset[str] | set[str] = frozenset()
                 ) -> Iterator[Keyring]:
    """Trust exactly ``keys`` (instead of the built-in ones) inside the block."""
    keyring = _keyring(keys, frozenset(retired))
    previous = keyring_module.set_override(keyring)
    _reset_keeping_inputs()
    try:
        yield keyring
    finally:
        keyring_module.set_override(previous)
        _reset_keeping_inputs()


def install_trusted_keys(*keys: TrustedKey) -> None:
    """Trust ``keys`` for the rest of this process (for subprocess test harnesses)."""
    keyring = _keyring(keys, frozenset())
    keyring_module.set_override(keyring)
    _reset_keeping_inputs()
    # Loud on purpose: a production process should never print this.
    log.warning("test signing keys are trusted in this process: %s", ", ".join(keyring.keys))


@contextmanager
def frozen_clock(when: datetime) -> Iterator[None]:
    """Make the license check see ``when`` (timezone-aware) as the current time."""
    if when.tzinfo is None:
        raise ValueError("frozen_clock needs a timezone-aware datetime")
    _, environ = runtime.current_inputs()
    runtime.reset(lambda: when, environ)
    try:
        yield
    finally:
        runtime.reset(None, environ)


def reset(environ: Mapping[str, str] | None = None) -> None:
    """Forget the cached license state (and read ``environ`` instead of os.environ)."""
    runtime.reset(None, environ)


def _reset_keeping_inputs() -> None:
    clock, environ = runtime.current_inputs()
    runtime.reset(clock, environ)


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
