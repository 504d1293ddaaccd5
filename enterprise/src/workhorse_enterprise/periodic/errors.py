"""Errors of periodic jobs (a ``WorkhorseError``, so the CLI turns them into clean exits)."""

from __future__ import annotations

from workhorse.errors import ConfigError, NotFoundError


class PeriodicConfigError(ConfigError):
    """A periodic entry is invalid: bad cron expression, time zone, job or option."""


class UnknownEntryError(NotFoundError):
    """A pause/resume/run command named an entry no worker has published."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        listing = ", ".join(sorted(known)) or "none: is an Enterprise worker running?"
        super().__init__(f'no periodic entry named "{name}"; known entries: {listing}')
