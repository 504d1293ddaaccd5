"""Shared vocabulary: TypedDicts for the JSON shapes and Protocols for the seams."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    Protocol,
    TypedDict,
    TypeVar,
    overload,
    runtime_checkable,
)

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


# What a fetcher keeps per job in ``UnitOfWork.token``; a unit never changes hands
# between fetchers, so a unit of any token is a ``UnitOfWork[object]``.
TokenT = TypeVar("TokenT")
TokenT_co = TypeVar("TokenT_co", covariant=True)


@dataclass(slots=True, init=False)
class UnitOfWork(Generic[TokenT_co]):
    """One fetched job: its queue and the exact bytes popped from Redis.

    ``raw`` is kept unparsed so requeue and deletes use the identical string.
    ``token`` is the fetcher's own state for the job, typed by the fetcher
    (Pro's reliable fetch keeps where the job sits in its in-progress list);
    core never reads it, so core handles ``UnitOfWork[object]``.
    ``undecodable`` holds the popped bytes when they are not UTF-8 (issue 17); then
    ``raw`` is only a readable rendering of them and the job goes to the dead set.
    """

    queue: str
    raw: str
    token: TokenT_co
    undecodable: bytes | None
    # The parsed job, when the fetch thread already parsed it to route it to the job
    # threads or the async lane (issue 24): the job thread does not parse it again.
    decoded: JobPayload | None

    @overload
    def __init__(
        self: UnitOfWork[None],
        queue: str,
        raw: str,
        token: None = None,
        undecodable: bytes | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self, queue: str, raw: str, token: TokenT_co, undecodable: bytes | None = None
    ) -> None: ...

    def __init__(
        self, queue: str, raw: str, token: Any = None, undecodable: bytes | None = None
    ) -> None:
        self.queue = queue
        self.raw = raw
        self.token = token
        self.undecodable = undecodable
        self.decoded = None

    @property
    def stored(self) -> str | bytes:
        """The value as Redis held it: what a requeue must write back."""
        return self.raw if self.undecodable is None else self.undecodable


@runtime_checkable
class Fetcher(Protocol[TokenT]):
    """How a worker process takes jobs from Redis. Core's is ``BasicFetch``.

    A fetcher whose ``acknowledge`` does nothing (the job left Redis when it was
    fetched) may say so with a class attribute ``acknowledges = False``: the worker
    then does not hold a job's acknowledgement back until its result is written.

    ``TokenT`` is what the fetcher keeps per job in ``UnitOfWork.token``; core
    holds fetchers as ``Fetcher[Any]`` since it never reads the token.
    """

    def fetch(self, max_jobs: int, timeout: float) -> Sequence[UnitOfWork[TokenT]]:
        """Block up to ``timeout`` s for work; return 0..max_jobs units."""
        ...

    def acknowledge(self, unit: UnitOfWork[TokenT]) -> None:
        """The job finished (succeeded, scheduled for retry, or died)."""
        ...

    def requeue(self, units: Sequence[UnitOfWork[TokenT]]) -> None:
        """Put unfinished jobs back at the head of their queues."""
        ...

    def close(self) -> None:
        """Release resources at shutdown (after the last requeue)."""
        ...


@runtime_checkable
class SplitFetcher(Protocol[TokenT]):
    """A fetcher whose ``fetch`` is ``pop_now`` and, if that found nothing, ``pop_waiting``.

    Offering the two halves lets the worker hand the waiting pop of an idle process to
    an idle job thread, which then runs the job it brings itself: a job pushed to an idle
    worker starts without being handed from the fetch thread to a job thread (a thread
    wake-up and a wait for the GIL; issue 24's idle latency). ``BasicFetch`` offers them;
    a fetcher that overrides ``fetch`` must not inherit them unchanged.
    """

    def pop_now(self, max_jobs: int) -> list[UnitOfWork[TokenT]]:
        """Up to ``max_jobs`` units that are ready now, without blocking."""
        ...

    def pop_waiting(self, timeout: float) -> list[UnitOfWork[TokenT]]:
        """Block up to ``timeout`` s for one unit; at most one (none if it timed out)."""
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


class JobStore(Protocol):
    """A Redis with workhorse's key layout and settings: a client, or a worker process."""

    @property
    def settings(self) -> Settings: ...

    @property
    def redis(self) -> Redis: ...

    @property
    def keys(self) -> Keys: ...


class ProcessContext(JobStore, Protocol):
    """What lifecycle hooks and services see of the running worker process."""

    @property
    def identity(self) -> str: ...

    @property
    def quiet(self) -> bool: ...

    @property
    def stopping(self) -> threading.Event:
        """Set the moment a shutdown begins (before running jobs are waited for)."""
        ...


class WorkerContext(ProcessContext, Protocol):
    """What a worker process's job machinery sees of it: its process context, and
    whether a hard stop began (a job then stops retrying its Redis writes)."""

    @property
    def hard_stopping(self) -> bool: ...


class Enqueueable(Protocol):
    """A job, or a job with one-off options: what a client can build a payload from
    (``workhorse.aio`` pushes these without importing ``workhorse.job``)."""

    def build_payload(self, *args: Any) -> dict[str, Any]: ...


class JobDefinition(Protocol):
    """What server middleware sees of a job's definition (``JobContext.definition``):
    at run time a :class:`workhorse.job.Job`, described here so that middleware and
    the hooks do not depend on the job module."""

    @property
    def name(self) -> str: ...

    @property
    def target(self) -> Callable[..., object]: ...

    @property
    def options(self) -> Mapping[str, object]:
        """Every option given to ``@job(...)``, plugins' own included (``limiter``...)."""
        ...

    @property
    def is_async(self) -> bool: ...

    @property
    def store_result(self) -> bool: ...

    @property
    def result_ttl(self) -> object: ...

    @property
    def timeout(self) -> object: ...

    def call(self, args: list[Any], kwargs: Mapping[str, Any] | None = None) -> Any:
        """Run the job's function (or ``perform`` of its class) with ``args``."""
        ...


class ClaimTarget(Protocol):
    """What a claimed write gets (``workhorse.middleware.claim``): the client that owns
    the job's Redis (a shard's, when sharded). At run time a :class:`workhorse.client.Client`."""

    @property
    def redis(self) -> Redis: ...

    @property
    def keys(self) -> Keys: ...

    @property
    def settings(self) -> Settings: ...
