"""The license gate of reliable fetch: on with a valid (or in-grace) Pro license."""

from __future__ import annotations

from workhorse_licensing import FeatureNotLicensed, require

FEATURE = "reliable_fetch"


def problem() -> str | None:
    """Why reliable fetch is off in this process, or None when it is licensed."""
    try:
        require("pro", FEATURE)
    except FeatureNotLicensed as exc:
        return str(exc)
    return None


def check() -> None:
    """Raise ``FeatureNotLicensed`` unless reliable fetch is licensed (for the public API)."""
    require("pro", FEATURE)
