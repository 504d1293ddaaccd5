"""Policy: given what was found, what state is a tier's license in?

Pure functions of their arguments (the clock reading is an argument), so the
boundaries of expiry and grace are tested exactly (issue 6). ``runtime``
feeds them once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .claims import License, Tier
from .errors import LicenseError
from .keyring import Keyring
from .sources import FoundKey
from .verify import verify_license

State = Literal["valid", "grace", "expired", "missing", "invalid", "revoked", "wrong_tier"]
ACTIVE_STATES: frozenset[State] = frozenset({"valid", "grace"})
# A key issued minutes ago must work on a host whose clock runs a little slow.
CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class LicenseStatus:
    """One tier's license state in this process, with a one-sentence reason."""

    tier: Tier
    state: State
    license: License | None
    message: str
    warnings: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """True when the tier's paid features are on (valid, or expired within grace)."""
        return self.state in ACTIVE_STATES


@dataclass(frozen=True)
class Verified:
    """The outcome of reading and verifying the key, shared by every tier."""

    found: FoundKey
    license: License | None
    error: str | None


def verify_found(found: FoundKey, keyring: Keyring) -> Verified:
    if found.token is None:
        return Verified(found, None, found.problem)
    try:
        return Verified(found, verify_license(found.token, keyring), None)
    except LicenseError as exc:
        return Verified(found, None, str(exc))


def evaluate(
    tier: Tier,
    verified: Verified,
    revoked: frozenset[str],
    now: datetime,
    warnings: tuple[str, ...] = (),
) -> LicenseStatus:
    lic = verified.license
    if lic is None:
        if verified.found.token is None and verified.found.problem is None:
            reason = f"no license key found in {verified.found.origin} or $WORKHORSE_LICENSE"
            return LicenseStatus(tier, "missing", None, reason, warnings)
        return LicenseStatus(tier, "invalid", None, verified.error or "invalid", warnings)
    state, message = _judge(tier, lic, revoked, now)
    return LicenseStatus(tier, state, lic, message, warnings)


def _judge(tier: Tier, lic: License, revoked: frozenset[str], now: datetime) -> tuple[State, str]:
    if lic.license_id in revoked:
        return "revoked", f"license {lic.license_id} has been revoked"
    if not lic.covers(tier):
        return "wrong_tier", f"license {lic.license_id} does not include {tier}"
    if lic.issued_at > now + CLOCK_SKEW:
        return "invalid", (
            f"license {lic.license_id} is issued on {_day(lic.issued_at)}, which is"
            " in the future; check this machine's clock"
        )
    if now < lic.expires_at:
        return "valid", (
            f"licensed to {lic.customer_name} (id {lic.license_id}), expires {_day(lic.expires_at)}"
        )
    ends = "ends" if now < lic.grace_ends_at else "ended"
    state: State = "grace" if ends == "ends" else "expired"
    return state, (
        f"license {lic.license_id} expired on {_day(lic.expires_at)};"
        f" grace period {ends} {_day(lic.grace_ends_at)}"
    )


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
