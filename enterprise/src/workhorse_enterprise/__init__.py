"""workhorse-enterprise: the Enterprise tier of workhorse (requires a license key)."""

from .license_gate import FeatureNotLicensed, require_enterprise

__all__ = ["FeatureNotLicensed", "require_enterprise"]

# Rate limiting (issue 9): `from workhorse_enterprise import limits`.
from . import limits
from .limits import OverLimit

__all__ += ["OverLimit", "limits"]

# Periodic (cron) jobs and leader election (issue 10).
from . import leader, periodic  # noqa: E402 - appended per feature, after the gate's exports
from .leader import current_leader, is_leader, on_leader  # noqa: E402
from .periodic import periodic as periodic_job  # noqa: E402

__all__ += ["current_leader", "is_leader", "leader", "on_leader", "periodic", "periodic_job"]
