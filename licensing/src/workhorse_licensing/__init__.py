"""workhorse-licensing: offline verification of workhorse Pro/Enterprise licenses.

The customer-side API (the paid tiers call it; it never imports workhorse)::

    from workhorse_licensing import require, status, describe

    status("pro")            # LicenseStatus(state="valid" | "grace" | ..., license, message)
    require("enterprise")    # -> License, or raises FeatureNotLicensed with how to fix it
    describe("pro")          # "workhorse-pro 1.0 licensed to ACME Corp (id lic_123), expires ..."

The key comes from ``WORKHORSE_LICENSE`` or ``WORKHORSE_LICENSE_FILE``
(default ``~/.config/workhorse/license``); revocations from
``WORKHORSE_LICENSE_REVOCATIONS``. It is checked once per process.
Vendor tools live in ``workhorse_licensing.issuer`` (extra ``[issuer]``).
"""

from .claims import TIERS, License, Tier
from .errors import FeatureNotLicensed, InvalidLicense, LicenseError
from .evaluation import LicenseStatus, State
from .runtime import describe, require, status
from .verify import verify_license

__all__ = [
    "TIERS",
    "FeatureNotLicensed",
    "InvalidLicense",
    "License",
    "LicenseError",
    "LicenseStatus",
    "State",
    "Tier",
    "describe",
    "require",
    "status",
    "verify_license",
]
