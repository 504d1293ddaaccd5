"""The Enterprise license gate of periodic jobs and leader election (via the tier's ``Gate``)."""

from __future__ import annotations

from workhorse_enterprise.license_gate import FeatureNotLicensed, require_enterprise

FEATURE = "periodic_jobs"


def require() -> None:
    """Raise ``FeatureNotLicensed`` (saying how to fix it) unless Enterprise covers cron."""
    require_enterprise(FEATURE)


def problem() -> str | None:
    """Why cron cannot run in this process, or None if it is licensed."""
    try:
        require()
    except FeatureNotLicensed as exc:
        return str(exc)
    return None
