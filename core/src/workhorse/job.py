"""``@workhorse.job``: make a function (sync or async) or a class a job; the name registry."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, ParamSpec, TypeVar, overload

from workhorse.client import Client, Deferrer, default_client, run_at
from workhorse.errors import ArgumentError, ConfigError, UnknownJobError
from workhorse.handle import JobHandle, for_queue

P = ParamSpec("P")
R = TypeVar("R")

# name -> whether it travels in the payload (JSON) or stays on the definition.
CORE_OPTIONS: Mapping[str, bool] = {
    "queue": True,
    "retry": True,
    "backtrace": True,
    "retry_queue": True,
    "dead": True,
    "tags": True,
    # Issue 18: travel in the payload (Ruby ignores them), so .set() can change them per call.
    "store_result": True,  # write a completion record with the return value
    "result_ttl": True,  # seconds that record is kept
    "timeout": True,  # seconds the job may run before JobTimeout
    "retry_in": False,  # callable(count, exc) -> seconds | "kill" | "discard" | None
    "log_level": False,  # threshold for log records while this job runs (docs/observability.md)
}

_registry: dict[str, Job[..., Any]] = {}
# What ``.on_commit()`` defers to when given nothing; a framework integration installs it.
_commit_hook: Deferrer | None = None


def set_commit_hook(defer: Deferrer | None) -> Deferrer | None:
    """Install the default for ``.on_commit()`` (None removes it); returns the previous one."""
    global _commit_hook
    previous, _commit_hook = _commit_hook, defer
    return previous


def _resolve_commit_hook(defer: Deferrer | None, name: str) -> Deferrer:
    hook = defer or _commit_hook
    if hook is None:
        raise ConfigError(
            f"{name}.on_commit() has no transaction to wait for: add "
            "'workhorse.contrib.django' to INSTALLED_APPS, or pass a hook such as "
            "workhorse.contrib.sqlalchemy.after_commit(session)"
        )
    return hook


_registry_lock = threading.Lock()
_async_names: set[str] = set()  # registered async def jobs


_known: tuple[object, Mapping[str, bool]] | None = None


def known_options() -> Mapping[str, bool]:
    """Core's options and every plugin's; merged again only when the plugins' answer
    changes (this runs on every push)."""
    global _known
    from workhorse import plugins

    extra, cached = plugins.job_options(), _known
    if cached is not None and cached[0] is extra:
        return cached[1]
    merged = {**CORE_OPTIONS, **extra}
    _known = (extra, merged)
    return merged


def travelling(options: Mapping[str, object], known: Mapping[str, bool]) -> dict[str, object]:
    """The options that go into the payload (``known``: option name -> travels; an option
    no plugin declared travels, as Sidekiq's unknown keys do)."""
    return {k: v for k, v in options.items() if known.get(k, True)}


def validate_options(options: Mapping[str, object], where: str) -> None:
    known = known_options()
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown job option(s) {', '.join(unknown)} in {where}; known options: "
            f"{', '.join(sorted(known))}. Options such as expires_in or limiter need the "
            "plugin that provides them (workhorse-pro / workhorse-enterprise) installed"
        )
    queue = options.get("queue")
    if queue is not None and (not isinstance(queue, str) or not queue):
        raise ConfigError(f"queue must be a non-empty string in {where}, got {queue!r}")
    retry = options.get("retry")
    if retry is not None and not isinstance(retry, bool | int):
        raise ConfigError(f"retry must be true, false or a count in {where}, got {retry!r}")
    if options.get("log_level") is not None:
        from workhorse.logcontext import level_number

        try:
            level_number(options["log_level"])
        except ValueError as exc:
            raise ConfigError(f"{exc} in {where}") from None
    for number in ("result_ttl", "timeout"):
        value = options.get(number)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not value > 0
            or value == float("inf")
        ):
            raise ConfigError(
                f"{number} must be a positive number of seconds in {where}, got {value!r}"
            )
    store = options.get("store_result")
    if store is not None and not isinstance(store, bool):
        raise ConfigError(f"store_result must be true or false in {where}, got {store!r}")
    from workhorse import plugins

    plugins.validate_job_options(options)


class Job(Generic[P, R]):
    """A registered job. Call it to run in-process; ``perform_async`` to enqueue it."""

    def __init__(self, target: Callable[..., Any], name: str, options: Mapping[str, object]):
        self.target = target
        self.name = name
        self.options = dict(options)
        self.is_class = inspect.isclass(target)
        method = target.perform if self.is_class else target  # type: ignore[attr-defined]
        self.is_async = inspect.iscoroutinefunction(method)
        # Issue 18, decided once here: a job pushed by name (Ruby, Client.enqueue) carries
        # none of these, and the worker falls back to them; the payload's own value wins.
        self.store_result = bool(self.options.get("store_result", False))
        self.result_ttl = self.options.get("result_ttl")
        self.timeout = self.options.get("timeout")
        self._wire: tuple[Mapping[str, bool], dict[str, object]] | None = None
        self.__doc__ = target.__doc__
        self.__wrapped__ = target

    def __repr__(self) -> str:
        return f"<workhorse job {self.name!r} queue={self.options.get('queue', 'default')!r}>"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.call(list(args), kwargs)  # type: ignore[no-any-return]

    def call(self, args: list[Any], kwargs: Mapping[str, Any] | None = None) -> Any:
        """Run the job body here (a coroutine for async jobs)."""
        if self.is_class:
            return self.target().perform(*args, **(kwargs or {}))
        return self.target(*args, **(kwargs or {}))

    def wire_options(self, known: Mapping[str, bool] | None = None) -> dict[str, object]:
        """The options that travel in the payload (``known``: option name -> travels)."""
        known = known_options() if known is None else known
        cached = self._wire
        if cached is None or cached[0] is not known:
            cached = self._wire = (known, travelling(self.options, known))
        return cached[1]

    def build_payload(self, *args: Any) -> dict[str, Any]:
        """The payload ``perform_async(*args)`` would push, before client middleware."""
        return JobCall(self, {})._item(args, {})

    def set(self, **options: object) -> JobCall[P, R]:
        """One-off options: ``send_email.set(queue="critical").perform_async(...)``."""
        validate_options(options, f"{self.name}.set()")
        return JobCall(self, options)

    def on_commit(self, defer: Deferrer | None = None) -> JobCall[P, R]:
        """Enqueue only when the surrounding database transaction commits (never on rollback).

        ``defer`` registers a callback to run after commit; default: the installed
        framework's (Django's ``transaction.on_commit``)."""
        return JobCall(self, {}).on_commit(defer)

    def perform_async(self, *args: P.args, **kwargs: P.kwargs) -> JobHandle | None:
        """Enqueue; returns a :class:`JobHandle` (the jid), or None if middleware dropped it."""
        return JobCall(self, {}).perform_async(*args, **kwargs)

    async def aperform_async(self, *args: P.args, **kwargs: P.kwargs) -> JobHandle | None:
        """``perform_async`` from asyncio code: the Redis write is awaited, never blocking."""
        return await JobCall(self, {}).aperform_async(*args, **kwargs)

    def perform_in(
        self, seconds: float | timedelta, *args: P.args, **kwargs: P.kwargs
    ) -> JobHandle | None:
        return JobCall(self, {}).perform_in(seconds, *args, **kwargs)

    def perform_at(
        self, when: float | datetime, *args: P.args, **kwargs: P.kwargs
    ) -> JobHandle | None:
        return JobCall(self, {}).perform_at(when, *args, **kwargs)

    def perform_bulk(
        self, args_list: Iterable[Sequence[Any]], batch_size: int = 1_000
    ) -> list[str | None]:
        return JobCall(self, {}).perform_bulk(args_list, batch_size)


class JobCall(Generic[P, R]):
    """A job with one-off options, ready to enqueue."""

    def __init__(
        self,
        job: Job[P, R],
        options: Mapping[str, object],
        client: Client | None = None,
        defer: Deferrer | None = None,
    ):
        self.job = job
        self.options = options
        self.client = client
        self.defer = defer

    def set(self, **options: object) -> JobCall[P, R]:
        validate_options(options, f"{self.job.name}.set()")
        return JobCall(self.job, {**self.options, **options}, self.client, self.defer)

    def via(self, client: Client) -> JobCall[P, R]:
        """Push through a specific client (another Redis, a shard)."""
        return JobCall(self.job, self.options, client, self.defer)

    def on_commit(self, defer: Deferrer | None = None) -> JobCall[P, R]:
        """See ``Job.on_commit``."""
        hook = _resolve_commit_hook(defer, self.job.name)
        return JobCall(self.job, self.options, self.client, hook)

    def build_payload(self, *args: Any) -> dict[str, Any]:
        """See ``Job.build_payload``."""
        return self._item(args, {})

    def _item(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        if kwargs:
            raise ArgumentError(
                f"{self.job.name}: keyword arguments ({', '.join(kwargs)}) cannot be enqueued; "
                "job args are a JSON list, so pass them positionally (or one dict argument)"
            )
        return {**self._base(), "args": list(args)}

    def _base(self) -> dict[str, Any]:
        known = known_options()
        base = {"class": self.job.name, **self.job.wire_options(known)}
        if self.options:
            base.update(travelling(self.options, known))
        return base

    def _client(self) -> Client:
        return self.client or default_client()

    def _push(self, item: dict[str, Any]) -> JobHandle | None:
        client = self._client()
        if self.defer is None:
            jid = client.push(item)
        else:
            jid = client.push_deferred(self.defer, lambda: client.push(item))
        return None if jid is None else JobHandle(jid, for_queue(client, item.get("queue")))

    def perform_async(self, *args: P.args, **kwargs: P.kwargs) -> JobHandle | None:
        return self._push(self._item(args, kwargs))

    async def aperform_async(self, *args: P.args, **kwargs: P.kwargs) -> JobHandle | None:
        """See ``Job.aperform_async``; with ``on_commit`` the write waits for the commit
        hook as ``perform_async``'s does (nothing to await now)."""
        item = self._item(args, kwargs)
        if self.defer is not None:
            return self._push(item)
        from workhorse.aio import for_loop  # late: redis.asyncio only for asyncio users

        client = self._client()
        jid = await for_loop(client).push(item)
        return None if jid is None else JobHandle(jid, for_queue(client, item.get("queue")))

    def perform_in(
        self, seconds: float | timedelta, *args: P.args, **kwargs: P.kwargs
    ) -> JobHandle | None:
        item = self._item(args, kwargs)
        item["at"] = run_at(seconds, relative=True)
        return self._push(item)

    def perform_at(
        self, when: float | datetime, *args: P.args, **kwargs: P.kwargs
    ) -> JobHandle | None:
        item = self._item(args, kwargs)
        item["at"] = run_at(when, relative=False)
        return self._push(item)

    def perform_bulk(
        self, args_list: Iterable[Sequence[Any]], batch_size: int = 1_000
    ) -> list[str | None]:
        base = self._base()
        items = ({**base, "args": list(args)} for args in args_list)
        client = self._client()
        if self.defer is None:
            return client.push_bulk(items, chunk_size=batch_size)
        return client.push_deferred(
            self.defer, lambda: client.push_bulk(items, chunk_size=batch_size)
        )


@overload
def job(target: Callable[P, R], /) -> Job[P, R]: ...


@overload
def job(
    *, name: str | None = None, queue: str = "default", retry: bool | int = True, **options: object
) -> Callable[[Callable[P, R]], Job[P, R]]: ...


def job(
    target: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    queue: str = "default",
    retry: bool | int = True,
    **options: object,
) -> Job[P, R] | Callable[[Callable[P, R]], Job[P, R]]:
    """Register a function, ``async def`` or class (with ``perform``) as a job.

    ``name`` defaults to ``module.qualname``; use a Ruby class name such as
    ``"HardJob"`` to run jobs pushed by Sidekiq.
    """

    def decorate(fn: Callable[P, R]) -> Job[P, R]:
        all_options = {"queue": queue, "retry": retry, **options}
        job_name = name or f"{fn.__module__}.{fn.__qualname__}"
        validate_options(all_options, f"@job on {job_name}")
        if inspect.isclass(fn) and not callable(getattr(fn, "perform", None)):
            raise ConfigError(f"job class {job_name} needs a perform(self, *args) method")
        return register(Job(fn, job_name, all_options))

    return decorate(target) if target is not None else decorate


def register(definition: Job[P, R]) -> Job[P, R]:
    with _registry_lock:
        existing = _registry.get(definition.name)
        if existing is not None and existing.target is not definition.target:
            if _same_source(existing.target, definition.target):
                _registry[definition.name] = definition  # module re-imported (e.g. __main__)
                _note_async(definition)
                return definition
            raise ConfigError(
                f'job name "{definition.name}" is already registered by '
                f"{existing.target.__module__}.{existing.target.__qualname__}; pass name= to one"
            )
        _registry[definition.name] = definition
        _note_async(definition)
    return definition


def _note_async(definition: Job[..., Any]) -> None:
    if definition.is_async:
        _async_names.add(definition.name)
    else:
        _async_names.discard(definition.name)


def has_async_jobs() -> bool:
    """Whether any ``async def`` job is registered (the worker's async lane looks at
    fetched jobs only then)."""
    return bool(_async_names)


def _same_source(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    def where(fn: Callable[..., Any]) -> tuple[object, object]:
        return (getattr(fn, "__module__", None), getattr(fn, "__qualname__", None))

    return where(a) == where(b)


def find(name: str) -> Job[..., Any] | None:
    """The registered job called ``name``, or None."""
    return _registry.get(name)


def lookup(name: str) -> Job[..., Any]:
    found = _registry.get(name)
    if found is None:
        raise UnknownJobError(name)
    return found


def registered() -> Mapping[str, Job[..., Any]]:
    return dict(_registry)


def unregister(name: str) -> None:
    with _registry_lock:
        _registry.pop(name, None)
        _async_names.discard(name)
