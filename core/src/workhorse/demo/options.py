"""What ``workhorse demo`` was asked to do (read by the runner and the display)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoOptions:
    redis_url: str | None = None
    prefix: str = "demo"
    duration: float | None = None  # None: until Ctrl-C
    concurrency: int = 5
    port: int = 7420
    dashboard: bool = True
    live: bool | None = None  # None: a live display when stdout is a terminal
