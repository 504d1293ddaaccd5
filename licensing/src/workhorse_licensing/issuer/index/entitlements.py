"""Which packages a customer may see and download.

The index hosts every distribution the vendor publishes: the paid tiers and
the free ``workhorse`` and ``workhorse-licensing`` they depend on, so one
``--index-url`` installs everything into an empty environment. Each of these
names is reserved: even before its first upload it never redirects upstream,
so whoever registers the name on a public index cannot land code in a
customer's install (dependency confusion; DESIGN.md section 6, issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...advice import CONTACT
from ...claims import TIERS, Tier
from .accounts import Customer

FREE_PACKAGES = ("workhorse", "workhorse-licensing")
PACKAGE_TIERS: dict[str, frozenset[Tier]] = {
    **{name: frozenset(TIERS) for name in FREE_PACKAGES},  # every paying customer needs them
    "workhorse-pro": frozenset({"pro", "enterprise"}),  # Enterprise includes Pro
    "workhorse-enterprise": frozenset({"enterprise"}),
}


def hosted(project: str) -> bool:
    return project in PACKAGE_TIERS


def account_problem(customer: Customer, revoked: frozenset[str]) -> str | None:
    """Why this customer may download nothing at all, or None."""
    if customer.suspended:
        return f"access for this account is suspended; contact {CONTACT}"
    if customer.license_id is not None and customer.license_id in revoked:
        return f"the license of this account was revoked; contact {CONTACT}"
    return None


def entitled(customer: Customer, project: str, revoked: frozenset[str]) -> bool:
    if account_problem(customer, revoked) is not None:
        return False
    return bool(PACKAGE_TIERS.get(project, frozenset()) & set(customer.tiers))


def visible_projects(customer: Customer, revoked: frozenset[str]) -> list[str]:
    return sorted(p for p in PACKAGE_TIERS if entitled(customer, p, revoked))


@dataclass(frozen=True)
class Entitlement:
    """What ``GET /api/entitlements`` tells a customer about their own account only."""

    customer_id: str
    tiers: tuple[Tier, ...]
    packages: tuple[str, ...]
    problem: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "tiers": list(self.tiers),
            "packages": list(self.packages),
            "problem": self.problem,
        }


def entitlement(customer: Customer, revoked: frozenset[str]) -> Entitlement:
    return Entitlement(
        customer.customer_id,
        customer.tiers,
        tuple(visible_projects(customer, revoked)),
        account_problem(customer, revoked),
    )
