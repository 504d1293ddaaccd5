"""When a swarm child has done enough: ``--max-memory MB`` and ``--max-jobs N`` (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from workhorse.errors import ConfigError


@dataclass(frozen=True, slots=True)
class RecycleLimits:
    """A child over either limit is replaced; None switches a limit off."""

    max_memory_mb: float | None = None
    max_jobs: int | None = None

    def __post_init__(self) -> None:
        if self.max_memory_mb is not None and self.max_memory_mb <= 0:
            raise ConfigError(f"--max-memory must be more than 0 MB, got {self.max_memory_mb}")
        if self.max_jobs is not None and self.max_jobs < 1:
            raise ConfigError(f"--max-jobs must be 1 or more, got {self.max_jobs}")

    @property
    def active(self) -> bool:
        return self.max_memory_mb is not None or self.max_jobs is not None

    def exceeded(self, rss_kb: int, jobs_done: int) -> str | None:
        """Why a child with this memory and job count should be recycled, or None."""
        if self.max_memory_mb is not None and rss_kb > self.max_memory_mb * 1024:
            return f"memory {rss_kb / 1024:.0f} MB over --max-memory {self.max_memory_mb:g} MB"
        if self.max_jobs is not None and jobs_done >= self.max_jobs:
            return f"{jobs_done} jobs done, --max-jobs {self.max_jobs}"
        return None
