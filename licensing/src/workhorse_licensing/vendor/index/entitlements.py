"""Which packages a customer may see and download.

The index hosts exactly the paid distributions below. Each one is reserved:
even before its first upload it never redirects upstream, so a public
package of the same name cannot shadow it (DESIGN.md section 6).
"""

from __future__ import annotations

from ...claims import Tier
from .accounts import Customer

PACKAGE_TIERS: dict[str, frozenset[Tier]] = {
    "workhorse-pro": frozenset({"pro", "enterprise"}),  # Enterprise includes Pro
    "workhorse-enterprise": frozenset({"enterprise"}),
}


def hosted(project: str) -> bool:
    return project in PACKAGE_TIERS


def entitled(customer: Customer, project: str, revoked: frozenset[str]) -> bool:
    if customer.suspended or (customer.license_id is not None and customer.license_id in revoked):
        return False
    return bool(PACKAGE_TIERS.get(project, frozenset()) & set(customer.tiers))


def visible_projects(customer: Customer, revoked: frozenset[str]) -> list[str]:
    return sorted(p for p in PACKAGE_TIERS if entitled(customer, p, revoked))
