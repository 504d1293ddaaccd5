"""Reliable-fetch settings: ``Settings.extras`` > ``WORKHORSE_RELIABLE_*`` environment > default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from workhorse.config import Settings
from workhorse.errors import ConfigError

# extras key -> (environment variable, default)
_FIELDS: dict[str, tuple[str, float]] = {
    "reliable_lease": ("WORKHORSE_RELIABLE_LEASE", 20.0),
    "reliable_recovery_interval": ("WORKHORSE_RELIABLE_RECOVERY_INTERVAL", 2.0),
    "reliable_max_recoveries": ("WORKHORSE_RELIABLE_MAX_RECOVERIES", 3),
    "reliable_orphan_scan_interval": ("WORKHORSE_RELIABLE_ORPHAN_SCAN_INTERVAL", 300.0),
    "reliable_multi_queue_block": ("WORKHORSE_RELIABLE_MULTI_QUEUE_BLOCK", 0.1),
}


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
    enabled: bool = True  # False: licensed, but use core's basic fetch (benchmarks, opt-out)

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
        env = os.environ if env is None else env
        values = {name: _read(settings.extras, env, name) for name in _FIELDS}
        config = cls(
            lease=float(values["reliable_lease"]),
            recovery_interval=float(values["reliable_recovery_interval"]),
            max_recoveries=int(values["reliable_max_recoveries"]),
            orphan_scan_interval=float(values["reliable_orphan_scan_interval"]),
            multi_queue_block=float(values["reliable_multi_queue_block"]),
            enabled=_enabled(settings.extras, env),
        )
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


def _read(extras: Mapping[str, object], env: Mapping[str, str], name: str) -> float:
    variable, default = _FIELDS[name]
    if name in extras:
        raw: object = extras[name]
    elif env.get(variable):
        raw = env[variable]
    else:
        return default
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        source = f"settings extra {name!r}" if name in extras else variable
        raise ConfigError(f"{source}={raw!r} is not a number") from None


def _enabled(extras: Mapping[str, object], env: Mapping[str, str]) -> bool:
    if "reliable_fetch" in extras:
        return bool(extras["reliable_fetch"])
    raw = env.get("WORKHORSE_RELIABLE_FETCH", "").strip().lower()
    if raw in ("", "1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"WORKHORSE_RELIABLE_FETCH={raw!r}: use 1/on or 0/off")
