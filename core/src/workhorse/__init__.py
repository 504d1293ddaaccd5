"""workhorse: background jobs for Python on Redis, wire-compatible with Sidekiq.

>>> import workhorse
>>> @workhorse.job(queue="critical", retry=5)
... def send_email(user_id: int) -> None: ...
>>> send_email.perform_async(42)  # doctest: +SKIP
"""

from workhorse.async_redis import current_async_redis
from workhorse.client import Client, cancel, configure, default_client, job_handle
from workhorse.config import QueueWeight, Settings
from workhorse.current import CurrentJob, current_job
from workhorse.errors import (
    ArgumentError,
    ConfigError,
    JobCancelled,
    JobFailed,
    JobTimeout,
    PayloadError,
    PluginLoadError,
    RedisUnavailable,
    ResultTimeout,
    UnknownJobError,
    WorkhorseError,
)
from workhorse.handle import JobHandle
from workhorse.hookspecs import hookimpl
from workhorse.iterable import AsyncIterableJob, IterableJob
from workhorse.job import Job, JobCall, job, lookup, register
from workhorse.logcontext import JobFields
from workhorse.middleware import ClientMiddleware, JobContext, ServerMiddleware
from workhorse.version import __version__

__all__ = [
    "ArgumentError",
    "AsyncIterableJob",
    "Client",
    "ClientMiddleware",
    "ConfigError",
    "CurrentJob",
    "IterableJob",
    "Job",
    "JobCall",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobFields",
    "JobHandle",
    "JobTimeout",
    "PayloadError",
    "PluginLoadError",
    "QueueWeight",
    "RedisUnavailable",
    "ResultTimeout",
    "ServerMiddleware",
    "Settings",
    "UnknownJobError",
    "WorkhorseError",
    "__version__",
    "cancel",
    "configure",
    "current_async_redis",
    "current_job",
    "default_client",
    "hookimpl",
    "job",
    "job_handle",
    "lookup",
    "register",
]
