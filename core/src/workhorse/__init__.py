"""workhorse: background jobs for Python on Redis, wire-compatible with Sidekiq.

>>> import workhorse
>>> @workhorse.job(queue="critical", retry=5)
... def send_email(user_id: int) -> None: ...
>>> send_email.perform_async(42)  # doctest: +SKIP
"""

from workhorse.client import Client, configure, default_client
from workhorse.config import QueueWeight, Settings
from workhorse.errors import (
    ArgumentError,
    ConfigError,
    PayloadError,
    PluginLoadError,
    RedisUnavailable,
    UnknownJobError,
    WorkhorseError,
)
from workhorse.hookspecs import hookimpl
from workhorse.job import Job, JobCall, job, lookup, register
from workhorse.logcontext import JobFields, current_job
from workhorse.middleware import ClientMiddleware, JobContext, ServerMiddleware
from workhorse.version import __version__

__all__ = [
    "ArgumentError",
    "Client",
    "ClientMiddleware",
    "ConfigError",
    "Job",
    "JobCall",
    "JobContext",
    "JobFields",
    "PayloadError",
    "PluginLoadError",
    "QueueWeight",
    "RedisUnavailable",
    "ServerMiddleware",
    "Settings",
    "UnknownJobError",
    "WorkhorseError",
    "__version__",
    "configure",
    "current_job",
    "default_client",
    "hookimpl",
    "job",
    "lookup",
    "register",
]
