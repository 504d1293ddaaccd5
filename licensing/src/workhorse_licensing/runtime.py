"""The process-wide license state behind ``status``/``require``/``describe``.

DESIGN.md section 5: an expired key turns paid features off "at the next
process start" and "a running worker is never stopped by a license check".
So the key is read, verified and judged against the clock once per process
and cached; a worker that started licensed stays licensed until it exits.
Forked children inherit the parent's answer. The only public control is
``reset()`` (forget the cached answer); there is no public way to set the
clock or the keyring. The test suite's own distribution (``tests/testkeys``,
never shipped) swaps the private ``_inputs`` and resets.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import keyring as keyring_module
from .advice import describe_status, not_licensed_message
from .claims import TIERS, License, Tier
from .errors import FeatureNotLicensed
from .evaluation import LicenseStatus, Verified, evaluate, verify_found
from .revocation import RevocationCheck, load_revocations
from .sources import cache_dir, find_key, revocation_source

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Inputs:
    clock: Clock = system_clock
    environ: Mapping[str, str] | None = None  # None: os.environ, read when first needed


@dataclass(frozen=True)
class _Snapshot:
    verified: Verified
    revocations: RevocationCheck
    now: datetime
    statuses: dict[Tier, LicenseStatus] = field(default_factory=dict)


_inputs = _Inputs()
_snapshot: _Snapshot | None = None
_lock = threading.Lock()


def _take_snapshot() -> _Snapshot:
    environ = _inputs.environ if _inputs.environ is not None else os.environ
    keyring = keyring_module.trusted_keyring()
    verified = verify_found(find_key(environ), keyring)
    revocations = RevocationCheck()
    if verified.license is not None:  # nothing to revoke, so no network call
        revocations = load_revocations(revocation_source(environ), keyring, cache_dir(environ))
        if revocations.problem:
            log.warning("%s", revocations.problem)
    return _Snapshot(verified, revocations, _inputs.clock())


def _current() -> _Snapshot:
    global _snapshot
    with _lock:
        if _snapshot is None:
            _snapshot = _take_snapshot()
        return _snapshot


def _check_tier(tier: object) -> Tier:
    for known in TIERS:
        if tier == known:
            return known
    raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")


def status(tier: Tier) -> LicenseStatus:
    """The state of ``tier``'s license in this process (computed once, then cached)."""
    tier = _check_tier(tier)
    snap = _current()
    if tier not in snap.statuses:
        warnings = (snap.revocations.problem,) if snap.revocations.problem else ()
        snap.statuses[tier] = evaluate(
            tier, snap.verified, snap.revocations.revoked, snap.now, warnings
        )
    return snap.statuses[tier]


def require(tier: Tier, feature: str | None = None) -> License:
    """Return the license covering ``tier`` (and ``feature``), else raise ``FeatureNotLicensed``.

    Call it at the entry of each paid API; it costs a dict lookup after the
    first call.
    """
    current = status(tier)
    if not current.active or current.license is None:
        raise FeatureNotLicensed(not_licensed_message(current, feature))
    if feature is not None and not current.license.allows(feature):
        denied = LicenseStatus(
            current.tier,
            "wrong_tier",
            current.license,
            f"license {current.license.license_id} does not include feature {feature!r}",
        )
        raise FeatureNotLicensed(not_licensed_message(denied, feature))
    return current.license


def describe(tier: Tier) -> str:
    """One line for logs, ``workhorse version`` and ``doctor``."""
    return describe_status(status(tier))


def reset() -> None:
    """Forget the cached state; the next call re-reads the key and revocations."""
    global _snapshot
    with _lock:
        _snapshot = None
