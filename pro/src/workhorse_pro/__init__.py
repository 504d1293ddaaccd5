"""workhorse-pro: the Pro tier of workhorse (requires a license key)."""

from .license_gate import FeatureNotLicensed, require_pro

__all__ = ["FeatureNotLicensed", "require_pro"]

# Pro batches (issue 8): `with workhorse_pro.Batch(...):`, `workhorse_pro.BatchStatus(bid)`.
from workhorse_pro.batches import Batch, BatchStatus

__all__ += ["Batch", "BatchStatus"]

# Pro reliable fetch (issue 7): queue pausing and status; the fetch itself switches on by license.
from workhorse_pro.reliable import pause, paused_queues, read_status, unpause  # noqa: E402

__all__ += ["pause", "paused_queues", "read_status", "unpause"]
