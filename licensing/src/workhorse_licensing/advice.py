"""Human text built on a ``LicenseStatus``: log lines and how-to-fix hints.

Kept apart from the policy so wording can improve without touching it.
"""

from __future__ import annotations

from importlib import metadata

from .claims import Tier
from .evaluation import LicenseStatus

CONTACT = "licensing@workhorse.dev"


def distribution(tier: Tier) -> str:
    return f"workhorse-{tier}"


def product(tier: Tier) -> str:
    """``workhorse-pro 1.0`` (major.minor of the installed distribution), or just the name."""
    name = distribution(tier)
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return name
    return f"{name} {'.'.join(version.split('.')[:2])}"


def fix(status: LicenseStatus) -> str:
    """What the customer should do about ``status``, as the tail of a sentence."""
    return {
        "valid": "nothing to do",
        "grace": f"renew with {CONTACT} before then and install the new key",
        "expired": f"renew with {CONTACT}, install the new key and restart the worker",
        "missing": (
            f"set WORKHORSE_LICENSE to your license key or save it in"
            f" ~/.config/workhorse/license (to buy one, contact {CONTACT})"
        ),
        "invalid": (
            f"set WORKHORSE_LICENSE to the exact key you were sent (for help, contact {CONTACT})"
        ),
        "revoked": f"contact {CONTACT}",
        "wrong_tier": f"to upgrade, contact {CONTACT}",
    }[status.state]


def describe_status(status: LicenseStatus) -> str:
    """One log line: who the tier is licensed to, or why it is off and what to do."""
    name = product(status.tier)
    lic = status.license
    if status.state == "valid" and lic is not None:
        line = f"{name} {status.message}"
    elif status.state == "grace" and lic is not None:
        line = f"{name} licensed to {lic.customer_name}: {status.message}; {fix(status)}"
    else:
        line = f"{name} is not licensed ({status.message}); paid features are off; {fix(status)}"
    return "; ".join([line, *status.warnings])


def not_licensed_message(status: LicenseStatus, feature: str | None) -> str:
    subject = (
        f"{distribution(status.tier)} feature {feature!r}"
        if feature
        else (distribution(status.tier))
    )
    return f"{subject} is not available: {status.message}; {fix(status)}"
