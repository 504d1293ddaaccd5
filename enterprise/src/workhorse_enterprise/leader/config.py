"""Lease timings, read with :class:`workhorse.plugin_settings.PluginSettings` (prefix
``leader``): ``Settings.extras["leader_lease"]`` (or ``--set leader_lease=...``), then
``WORKHORSE_LEADER_LEASE``, then the default; likewise ``leader_renew`` and
``leader_retry``.

Defaults give a takeover within ~10 s of a leader crash (issue 10 asks for
15 s; Sidekiq Enterprise's followers may take a minute): the lease lasts 10 s,
the leader renews every 3.3 s (three chances before it lapses), and followers
retry every second and also wake exactly when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.plugin_settings import PluginSettings

DEFAULT_LEASE = 10.0
DEFAULT_RETRY = 1.0


@dataclass(frozen=True)
class LeaderConfig:
    lease: float = DEFAULT_LEASE
    # None: derived from the lease (a third of it; retries at most every second)
    renew_every: float | None = field(default=None, metadata={"name": "renew"})
    retry_every: float | None = field(default=None, metadata={"name": "retry"})

    def __post_init__(self) -> None:
        if not self.lease > 0:
            raise ConfigError(f"leader_lease must be > 0 seconds, got {self.lease}")
        if self.renew_every is None:
            object.__setattr__(self, "renew_every", self.lease / 3)
        if self.retry_every is None:
            object.__setattr__(self, "retry_every", min(DEFAULT_RETRY, self.lease / 3))
        if not 0 < self.renew < self.lease or self.retry <= 0:
            raise ConfigError(
                f"leader timings are inconsistent (lease {self.lease}s, renew every "
                f"{self.renew}s, retry every {self.retry}s): the renewal interval "
                "must be positive and shorter than the lease, e.g. lease 10, renew 3"
            )

    @property
    def renew(self) -> float:
        """Seconds between the leader's renewals."""
        return self.lease / 3 if self.renew_every is None else self.renew_every

    @property
    def retry(self) -> float:
        """Seconds between a follower's attempts."""
        return DEFAULT_RETRY if self.retry_every is None else self.retry_every

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, env: Mapping[str, str] | None = None
    ) -> LeaderConfig:
        return SETTINGS.read(settings or Settings(), env)


SETTINGS = PluginSettings("leader", LeaderConfig)
