"""The license gate of workhorse-enterprise: Pro's ``Gate`` for tier enterprise, and its
features (one gate implementation for both tiers)."""

from __future__ import annotations

from workhorse_licensing import License
from workhorse_pro.license_gate import FeatureNotLicensed, Gate

__all__ = [
    "ENCRYPTION",
    "ENTERPRISE",
    "PERIODIC_JOBS",
    "RATE_LIMITING",
    "SWARM",
    "UNIQUE_JOBS",
    "FeatureNotLicensed",
    "require_enterprise",
]

ENTERPRISE = Gate("enterprise")
RATE_LIMITING = ENTERPRISE.feature("rate_limiting")
PERIODIC_JOBS = ENTERPRISE.feature("periodic_jobs")  # cron and leader election
UNIQUE_JOBS = ENTERPRISE.feature("unique_jobs")
ENCRYPTION = ENTERPRISE.feature("encryption")  # encrypted job arguments
SWARM = ENTERPRISE.feature("swarm")  # preload-and-fork, recycling, rolling restarts


def require_enterprise(feature: str | None = None) -> License:
    """Call at the entry of every Enterprise API; raises ``FeatureNotLicensed`` without one."""
    return ENTERPRISE.require(feature)
