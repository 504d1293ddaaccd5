"""The one exception tree of workhorse-licensing.

    LicenseError                  base: catch this to catch everything we raise
    ├── InvalidLicense            a token or revocation list was rejected (bad
    │                             format, bad signature, unknown field, ...)
    └── FeatureNotLicensed        a paid API was used without a license that
                                  covers it; the message says how to fix it

Every message is one sentence a customer can act on. This package never
imports workhorse core (DESIGN.md section 2: dependencies point one way), so
the paid tiers subclass ``FeatureNotLicensed`` together with core's
``WorkhorseError`` where they need both.
"""

from __future__ import annotations


class LicenseError(Exception):
    """Base class of every error raised by workhorse-licensing."""


class InvalidLicense(LicenseError):
    """A license token or revocation list could not be accepted."""


class FeatureNotLicensed(LicenseError):
    """A paid feature was used without a license that covers it."""
