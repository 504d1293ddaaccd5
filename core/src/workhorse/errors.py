"""The one exception tree of workhorse.

::

    WorkhorseError
    ├── ConfigError          bad settings, options or command-line values
    │   └── InputError       a value typed on the command line or in the environment is malformed
    ├── NotFoundError        the job, queue, process or entry named does not exist
    ├── PayloadError         job JSON that cannot be parsed or is not a job
    ├── ArgumentError        enqueue-time: an argument is not JSON-native
    ├── UnknownJobError      a payload names a job this process has not registered
    ├── RedisUnavailable     Redis cannot be reached (says which URL and what to do)
    ├── PluginLoadError      a `workhorse.plugins` entry point failed to load
    ├── JobFailed            ``handle.result()``: the job died, failed or was cancelled
    │   └── JobCancelled     ... was cancelled (also raised inside a running job)
    ├── JobTimeout           raised inside a job that ran past its time limit
    └── ResultTimeout        ``handle.result(timeout=)`` waited in vain (also a TimeoutError)

Paid tiers subclass ``WorkhorseError`` for their own errors. Every message says
what is wrong, with the offending value, and what to do about it.
"""

from __future__ import annotations

import redis


class WorkhorseError(Exception):
    """Base of every error workhorse raises on purpose."""


class ConfigError(WorkhorseError):
    """A setting, job option or command-line value is invalid."""


class InputError(ConfigError):
    """A value the user typed (a CLI option or argument, an environment variable) is malformed.

    The ``workhorse`` command exits 2 for it, as for any usage error (docs/cli.md)."""


class NotFoundError(WorkhorseError):
    """The job, queue, process or entry a command names does not exist (any more).

    The ``workhorse`` command exits 3 for it (docs/cli.md); plugins subclass it."""


class PayloadError(WorkhorseError):
    """A job payload is not valid job JSON."""


class ArgumentError(WorkhorseError, TypeError):
    """A job argument cannot be represented in JSON as-is."""


class UnknownJobError(WorkhorseError):
    """A payload names a job that no module loaded in this worker registered."""

    def __init__(self, name: str, attempt: str = "") -> None:
        self.name = name
        suffix = f" ({attempt})" if attempt else ""
        super().__init__(
            f'no job named "{name}" in this worker; register it with '
            f'@workhorse.job(name="{name}") in a module passed to -r{suffix}'
        )


class RedisUnavailable(WorkhorseError, redis.ConnectionError):
    """Redis could not be reached.

    Also a ``redis.ConnectionError``, so code that already retries on redis-py's
    connection errors keeps doing so."""


class PluginLoadError(WorkhorseError):
    """A plugin entry point could not be imported or registered."""

    def __init__(self, plugin: str, cause: BaseException) -> None:
        self.plugin = plugin
        self.cause = cause
        super().__init__(
            f"plugin {plugin!r} failed to load: {type(cause).__name__}: {cause}; "
            "it is skipped. Reinstall it or uninstall it (pip uninstall) to silence this."
        )


class JobFailed(WorkhorseError):
    """The job behind a handle ended without a result: it died, failed with retries off,
    or was cancelled. Carries the job's error class, message and backtrace lines."""

    def __init__(
        self,
        jid: str,
        error_class: str,
        error_message: str,
        backtrace: list[str] | None = None,
        state: str = "dead",
    ) -> None:
        self.jid = jid
        self.error_class = error_class
        self.error_message = error_message
        self.backtrace = backtrace or []
        self.state = state
        super().__init__(f"job {jid} {state}: {error_class}: {error_message}")


class JobCancelled(JobFailed):
    """Raised inside a running job that was cancelled, and by ``handle.result()`` for it.

    A cancelled job is never retried."""

    def __init__(self, jid: str = "", error_message: str = "cancelled") -> None:
        super().__init__(jid, "JobCancelled", error_message, state="cancelled")


class JobTimeout(WorkhorseError):
    """Raised inside a job that ran past its time limit (``@job(timeout=...)``); a timeout
    is a failure like any other and follows the job's retry rules."""


class ResultTimeout(WorkhorseError, TimeoutError):
    """``handle.result(timeout=...)`` returned before the job finished."""
