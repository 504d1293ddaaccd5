"""Shared vocabulary: TypedDicts for the JSON shapes and Protocols for the seams."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, runtime_checkable

if TYPE_CHECKING:
    from redis import Redis

    from workhorse.config import Settings
    from workhorse.keys import Keys

JSONValue = Any  # recursive JSON; checked at enqueue by payload.check_args


class JobPayload(TypedDict, total=False):
    """A job as stored in Redis (Sidekiq's wire format). Unknown keys are kept."""

    # Functional syntax would be needed for "class"; total=False keeps it open.
    args: list[JSONValue]
    jid: str
    queue: str
    retry: bool | int
    created_at: int | float
    enqueued_at: int | float
    at: float
    retry_count: int
    failed_at: int | float
    retried_at: int | float
    error_class: str
    error_message: str
    error_backtrace: str
    backtrace: bool | int
    retry_queue: str
    dead: bool
    tags: list[str]


class WorkEntry(TypedDict):
    """Value of one field of ``<identity>:work``."""

    queue: str
    payload: str
    run_at: int


@dataclass(slots=True)
class UnitOfWork:
    """One fetched job: its queue and the exact bytes popped from Redis.

    ``raw`` is kept unparsed so requeue and deletes use the identical string.
    ``token`` is opaque fetcher state (Pro's reliable fetch keeps its lease list).
    ``undecodable`` holds the popped bytes when they are not UTF-8 (issue 17); then
    ``raw`` is only a readable rendering of them and the job goes to the dead set.
    """

    queue: str
    raw: str
    token: object = None
    undecodable: bytes | None = None
    # The parsed job, when the fetch thread already parsed it to route it to the job
    # threads or the async lane (issue 24): the job thread does not parse it again.
    decoded: JobPayload | None = None

    @property
    def stored(self) -> str | bytes:
        """The value as Redis held it: what a requeue must write back."""
        return self.raw if self.undecodable is None else self.undecodable


@runtime_checkable
class Fetcher(Protocol):
    """How a worker process takes jobs from Redis. Core's is ``BasicFetch``."""

    def fetch(self, max_jobs: int, timeout: float) -> Sequence[UnitOfWork]:
        """Block up to ``timeout`` s for work; return 0..max_jobs units."""
        ...

    def acknowledge(self, unit: UnitOfWork) -> None:
        """The job finished (succeeded, scheduled for retry, or died)."""
        ...

    def requeue(self, units: Sequence[UnitOfWork]) -> None:
        """Put unfinished jobs back at the head of their queues."""
        ...

    def close(self) -> None:
        """Release resources at shutdown (after the last requeue)."""
        ...


@runtime_checkable
class Service(Protocol):
    """A background service that runs inside each worker process."""

    name: str

    def start(self) -> None: ...

    def stop(self, timeout: float) -> None: ...


@dataclass(frozen=True, slots=True)
class PluginReport:
    """What ``workhorse version`` and ``doctor`` print for one plugin."""

    name: str
    version: str
    license_state: str = "free"
    ok: bool = True
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # facts that need no action, e.g. processes counted per license


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One gauge value a plugin reports for ``/metrics`` (``workhorse_metrics`` hook);
    samples sharing a ``name`` form one metric family."""

    name: str
    help: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


ProcessEvent = Literal["startup", "quiet", "shutdown", "heartbeat", "leader"]


class ProcessContext(Protocol):
    """What lifecycle hooks and services see of the running worker process."""

    @property
    def identity(self) -> str: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def quiet(self) -> bool: ...

    @property
    def stopping(self) -> threading.Event:
        """Set the moment a shutdown begins (before running jobs are waited for)."""
        ...

    @property
    def redis(self) -> Redis: ...

    @property
    def keys(self) -> Keys: ...
