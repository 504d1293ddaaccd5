"""``OverLimit``: a limiter did not admit within its ``wait_timeout``."""

from __future__ import annotations

import time

from workhorse.errors import WorkhorseError


class OverLimit(WorkhorseError):
    """A limiter stayed over its limit for the whole ``wait_timeout``.

    Inside a job the limits middleware catches it and reschedules the job for
    ``retry_at``; elsewhere, catch it and retry at ``retry_at`` yourself.
    """

    def __init__(
        self,
        name: str,
        kind: str,
        describe: str,
        retry_in: float,
        wait_timeout: float,
        reschedules: int | None = None,
    ) -> None:
        self.name = name
        # the limiter's own cap on reschedules of a job (None: the worker setting)
        self.reschedules = reschedules
        self.kind = kind
        self.retry_in = max(0.0, retry_in)
        # Local clock: the scripts answer in server time, converted relative to now.
        self.retry_at = time.time() + self.retry_in
        super().__init__(
            f'{kind} limiter "{name}" ({describe}) is over its limit after waiting '
            f"{wait_timeout:g}s; it admits again in {self.retry_in:.3f}s. Inside a job this "
            "reschedules the job for then; elsewhere retry at .retry_at, or pass a longer "
            "wait_timeout"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # keep it picklable (the message alone would not rebuild it)
        return (
            _rebuild,
            (self.name, self.kind, str(self), self.retry_in, self.retry_at, self.reschedules),
        )


def _rebuild(
    name: str, kind: str, message: str, retry_in: float, retry_at: float, reschedules: int | None
) -> OverLimit:
    error = OverLimit.__new__(OverLimit)
    Exception.__init__(error, message)
    error.name, error.kind, error.retry_in, error.retry_at = name, kind, retry_in, retry_at
    error.reschedules = reschedules
    return error
