"""The license gate of workhorse-enterprise (the same ``Gate`` as Pro, for tier enterprise)."""

from __future__ import annotations

from workhorse_licensing import License
from workhorse_pro.license_gate import FeatureNotLicensed, Gate

__all__ = ["ENTERPRISE", "FeatureNotLicensed", "require_enterprise"]

ENTERPRISE = Gate("enterprise")


def require_enterprise(feature: str | None = None) -> License:
    """Call at the entry of every Enterprise API; raises ``FeatureNotLicensed`` without one."""
    return ENTERPRISE.require(feature)
