"""Unique jobs (Enterprise): ``@job(unique_for=SECONDS)`` refuses a second identical push.

While a job with the same identity is queued, scheduled, retrying or running,
pushing it again returns None. See ``docs/enterprise/unique.md``.
"""

from workhorse_enterprise.unique.locks import HeldLock, clear, clear_all, held

__all__ = ["HeldLock", "clear", "clear_all", "held"]
