"""What a license says: the ``License`` value and its strict JSON schema.

Claims are checked only after the signature (``verify.py``), so a problem
here means the key was issued by a newer or broken tool, never a forgery.
Unknown fields are rejected rather than ignored: a future restriction (say,
a host list) must not be silently dropped by an older verifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, get_args

from .errors import InvalidLicense

Tier = Literal["pro", "enterprise"]
TIERS: tuple[Tier, ...] = get_args(Tier)
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
FEATURE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime can show
_REQUIRED = {
    "license_id",
    "customer_id",
    "customer_name",
    "tiers",
    "issued_at",
    "expires_at",
    "grace_days",
}
_OPTIONAL = {"features", "max_processes", "max_threads"}
T = TypeVar("T")


@dataclass(frozen=True)
class License:
    """A verified license. Times are timezone-aware UTC."""

    license_id: str
    customer_id: str
    customer_name: str
    tiers: tuple[Tier, ...]
    issued_at: datetime
    expires_at: datetime
    grace_days: int
    features: tuple[str, ...] | None = None
    max_processes: int | None = None
    max_threads: int | None = None
    key_id: str = ""

    @property
    def grace_ends_at(self) -> datetime:
        return self.expires_at + timedelta(days=self.grace_days)

    def covers(self, tier: Tier) -> bool:
        """Enterprise includes Pro, as Sidekiq Enterprise includes Pro (DESIGN.md section 2)."""
        return tier in self.tiers or (tier == "pro" and "enterprise" in self.tiers)

    def allows(self, feature: str) -> bool:
        """No feature list means every feature of the licensed tiers."""
        return self.features is None or feature in self.features


def license_to_claims(lic: License) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "license_id": lic.license_id,
        "customer_id": lic.customer_id,
        "customer_name": lic.customer_name,
        "tiers": list(lic.tiers),
        "issued_at": int(lic.issued_at.timestamp()),
        "expires_at": int(lic.expires_at.timestamp()),
        "grace_days": lic.grace_days,
    }
    optional = {
        "features": lic.features,
        "max_processes": lic.max_processes,
        "max_threads": lic.max_threads,
    }
    claims.update(
        {k: list(v) if isinstance(v, tuple) else v for k, v in optional.items() if v is not None}
    )
    return claims


def license_from_claims(claims: dict[str, Any], key_id: str) -> License:
    """Build a ``License`` from signed claims, or raise ``InvalidLicense``."""
    unknown = sorted(set(claims) - _REQUIRED - _OPTIONAL)
    if unknown:
        raise InvalidLicense(
            f"the license key has unknown field {unknown[0]!r}; upgrade workhorse-licensing"
        )
    missing = sorted(_REQUIRED - set(claims))
    if missing:
        raise InvalidLicense(f"the license key lacks field {missing[0]!r}; ask for a reissued key")
    issued_at = _field(claims, "issued_at", _epoch, "a time in epoch seconds")
    expires_at = _field(claims, "expires_at", _epoch, "a time in epoch seconds")
    if expires_at <= issued_at:
        raise InvalidLicense("the license key expires before it was issued; ask for a reissued key")
    return License(
        license_id=_field(claims, "license_id", _identifier, "an identifier"),
        customer_id=_field(claims, "customer_id", _identifier, "an identifier"),
        customer_name=_field(claims, "customer_name", _name, "a name of 1-200 characters"),
        tiers=_field(claims, "tiers", _tiers, "a non-empty list of 'pro' and 'enterprise'"),
        issued_at=issued_at,
        expires_at=expires_at,
        grace_days=_field(claims, "grace_days", _bounded(0, 365), "a whole number of days 0-365"),
        features=_optional(claims, "features", _features, "a list of feature names"),
        max_processes=_optional(claims, "max_processes", _bounded(1, 10**6), "a positive count"),
        max_threads=_optional(claims, "max_threads", _bounded(1, 10**6), "a positive count"),
        key_id=key_id,
    )


def _field(claims: dict[str, Any], key: str, check: Callable[[Any], T | None], must: str) -> T:
    value = check(claims[key])
    if value is None:
        raise InvalidLicense(
            f"the license key field {key!r} must be {must}; ask for a reissued key"
        )
    return value


def _optional(
    claims: dict[str, Any], key: str, check: Callable[[Any], T | None], must: str
) -> T | None:
    return None if claims.get(key) is None else _field(claims, key, check, must)


def _int(value: Any) -> int | None:
    # bool is an int in Python; JSON true must not pass as 1.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bounded(low: int, high: int) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        number = _int(value)
        return number if number is not None and low <= number <= high else None

    return check


def _epoch(value: Any) -> datetime | None:
    seconds = _bounded(0, _MAX_EPOCH)(value)
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _identifier(value: Any) -> str | None:
    return value if isinstance(value, str) and IDENTIFIER.fullmatch(value) else None


def _name(value: Any) -> str | None:
    ok = isinstance(value, str) and len(value.strip()) > 0 and len(value) <= 200
    return value if ok and value.isprintable() else None


def _unique_strings(value: Any, allowed: Callable[[str], bool]) -> tuple[str, ...] | None:
    if not isinstance(value, list) or len(value) > 64:
        return None
    if not all(isinstance(v, str) and allowed(v) for v in value) or len(set(value)) != len(value):
        return None
    return tuple(value)


def _tiers(value: Any) -> tuple[Tier, ...] | None:
    tiers = _unique_strings(value, lambda v: v in TIERS)
    return tuple(t for t in TIERS if t in tiers) if tiers else None


def _features(value: Any) -> tuple[str, ...] | None:
    return _unique_strings(value, lambda v: FEATURE.fullmatch(v) is not None)
