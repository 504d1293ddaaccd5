"""The license gate of the paid tiers: every paid API passes through ``Gate.require``.

DESIGN.md section 5: without a valid key paid features stay off and any use
raises a clear error; an expired key warns during its grace period; the
state is decided once per process (in ``workhorse_licensing``), so a running
worker is never stopped. Enterprise builds its own ``Gate`` from this class.
"""

from __future__ import annotations

import logging
from importlib import metadata

import workhorse_licensing
from workhorse.errors import WorkhorseError
from workhorse.types import PluginReport, ProcessContext
from workhorse_licensing import License, LicenseStatus, Tier

log = logging.getLogger(__name__)


class FeatureNotLicensed(workhorse_licensing.FeatureNotLicensed, WorkhorseError):
    """A paid feature was used without a license that covers it.

    Both a licensing error and a ``WorkhorseError``, so the ``workhorse`` CLI
    prints it as a clean one-line error and callers may catch either.
    """


class Gate:
    def __init__(self, tier: Tier) -> None:
        self.tier: Tier = tier
        self.distribution = f"workhorse-{tier}"

    def status(self) -> LicenseStatus:
        return workhorse_licensing.status(self.tier)

    def require(self, feature: str | None = None) -> License:
        """The license, or ``FeatureNotLicensed`` saying what is wrong and how to fix it."""
        try:
            return workhorse_licensing.require(self.tier, feature)
        except workhorse_licensing.FeatureNotLicensed as exc:
            raise FeatureNotLicensed(str(exc)) from None

    def entitled(self, feature: str | None = None) -> bool:
        """For hooks that switch a feature on or leave core's default in place."""
        current = self.status()
        return current.active and (feature is None or (
            current.license is not None and current.license.allows(feature)))

    def log_startup(self, process: ProcessContext) -> None:
        """The worker's license line: INFO when licensed, WARNING otherwise."""
        current = self.status()
        line = workhorse_licensing.describe(self.tier)
        log.log(logging.INFO if current.state == "valid" else logging.WARNING, "%s", line)
        if current.license is not None and current.active:
            for problem in _limit_problems(current.license, process):
                log.warning("%s: %s", self.distribution, problem)

    def report(self) -> PluginReport:
        current = self.status()
        problems = () if current.state == "valid" else (workhorse_licensing.describe(self.tier),)
        return PluginReport(self.distribution, _version(self.distribution), current.state,
                            current.active, problems)


def _limit_problems(lic: License, process: ProcessContext) -> list[str]:
    # Limits are reported, never enforced by stopping work (DESIGN.md section 5).
    settings = process.settings
    found = []
    if lic.max_processes is not None and settings.processes > lic.max_processes:
        found.append(f"running {settings.processes} processes; license {lic.license_id} allows"
                     f" {lic.max_processes}")
    if lic.max_threads is not None and settings.concurrency > lic.max_threads:
        found.append(f"running {settings.concurrency} threads; license {lic.license_id} allows"
                     f" {lic.max_threads}")
    return found


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


PRO = Gate("pro")


def require_pro(feature: str | None = None) -> License:
    """Call at the entry of every Pro API; raises ``FeatureNotLicensed`` without a license."""
    return PRO.require(feature)
