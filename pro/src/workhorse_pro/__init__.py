"""workhorse-pro: the Pro tier of workhorse (requires a license key)."""

from .license_gate import FeatureNotLicensed, require_pro

__all__ = ["FeatureNotLicensed", "require_pro"]

# Pro batches (issue 8): `with workhorse_pro.Batch(...):`, `workhorse_pro.BatchStatus(bid)`.
from workhorse_pro.batches import Batch, BatchStatus

__all__ += ["Batch", "BatchStatus"]
