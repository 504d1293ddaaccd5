"""Reliable-fetch settings: ``Settings.extras`` > ``WORKHORSE_RELIABLE_*`` environment > default
(read by :mod:`workhorse.plugin_settings`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.plugin_settings import PluginSettings


@dataclass(frozen=True, slots=True)
class ReliableConfig:
    """How leases, recovery and blocking behave.

    A SIGKILLed process's jobs are back in their queues between
    ``lease - renew_interval`` and ``lease + recovery_interval`` seconds after
    its death (issue 7 asks for under 30 s with the defaults).
    """

    lease: float = 20.0
    recovery_interval: float = 2.0
    max_recoveries: int = 3  # 0: never send a recovered job to the dead set
    orphan_scan_interval: float = 300.0
    multi_queue_block: float = 0.1  # per-queue BLMOVE slice when a process works several queues
    # False: licensed, but use core's basic fetch (benchmarks, opt-out). Read from
    # reliable_fetch / WORKHORSE_RELIABLE_FETCH.
    enabled: bool = field(default=True, metadata={"name": "fetch"})

    @property
    def renew_interval(self) -> float:
        """Renew four times per lease so one or two slow renewals never lose it."""
        return self.lease / 4

    @property
    def lease_ms(self) -> int:
        return max(1, int(self.lease * 1000))

    @classmethod
    def from_settings(
        cls, settings: Settings, env: Mapping[str, str] | None = None
    ) -> ReliableConfig:
        config = SETTINGS.read(settings, env)
        config.validate()
        return config

    def validate(self) -> None:
        if self.lease < 1:
            raise ConfigError(
                f"reliable fetch lease must be at least 1 s, got {self.lease}; "
                "set WORKHORSE_RELIABLE_LEASE (default 20)"
            )
        if self.recovery_interval <= 0 or self.orphan_scan_interval <= 0:
            raise ConfigError("reliable fetch recovery and orphan-scan intervals must be > 0")
        if self.max_recoveries < 0:
            raise ConfigError(
                f"reliable fetch max recoveries must be 0 (never bury) or more, "
                f"got {self.max_recoveries}"
            )
        if not 0 < self.multi_queue_block <= 5:
            raise ConfigError(
                "reliable fetch multi-queue block must be in (0, 5] s, "
                f"got {self.multi_queue_block}"
            )


SETTINGS = PluginSettings("reliable", ReliableConfig)
