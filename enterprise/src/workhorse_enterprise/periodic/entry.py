"""One periodic entry: what to enqueue, on which schedule, and what to do about missed ticks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from workhorse_enterprise.periodic.errors import PeriodicConfigError
from workhorse_enterprise.periodic.schedule import Schedule, parse

MissedPolicy = Literal["skip", "once", "all"]
MISSED_POLICIES: tuple[MissedPolicy, ...] = ("skip", "once", "all")
DEFAULT_GRACE = 60.0
DEFAULT_MAX_MISSED = 100


@dataclass(frozen=True)
class Entry:
    """A registered periodic job. ``problem`` is set (and ``schedule`` None) when it is invalid.

    ``grace``: a tick found up to this many seconds late (leader failover, a
    deploy) is still enqueued as usual; an older one is *missed* and follows
    ``missed``: ``skip`` it, run it ``once`` (the latest missed tick only), or
    run ``all`` of them (the ``max_missed`` most recent).
    """

    name: str
    job: str
    cron: str | None = None
    every: int | None = None
    tz: str = "UTC"
    args: tuple[Any, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    missed: MissedPolicy = "skip"
    max_missed: int = DEFAULT_MAX_MISSED
    grace: float = DEFAULT_GRACE
    external: bool = False
    schedule: Schedule | None = field(default=None, compare=False, repr=False)
    problem: str | None = None

    @property
    def queue(self) -> str:
        return str(self.options.get("queue") or "default")

    @property
    def spec(self) -> str:
        """The schedule as written: the cron expression or ``every Ns``."""
        return self.cron if self.cron is not None else f"every {self.every}s"

    def to_json(self) -> str:
        """The definition published to Redis, so the CLI and dashboard can list and run it."""
        return json.dumps(
            {
                "name": self.name,
                "job": self.job,
                "cron": self.cron,
                "every": self.every,
                "tz": self.tz,
                "args": list(self.args),
                "options": dict(self.options),
                "missed": self.missed,
                "max_missed": self.max_missed,
                "grace": self.grace,
                "problem": self.problem,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> Entry:
        """Rebuild a published definition (re-parsed: a bad schedule becomes a problem)."""
        data = cast(dict[str, Any], json.loads(raw))
        return build(
            name=str(data["name"]),
            job=str(data["job"]),
            cron=data.get("cron"),
            every=data.get("every"),
            tz=str(data.get("tz") or "UTC"),
            args=data.get("args") or [],
            options=data.get("options") or {},
            missed=data.get("missed", "skip"),
            max_missed=data.get("max_missed", DEFAULT_MAX_MISSED),
            grace=data.get("grace", DEFAULT_GRACE),
            problem=data.get("problem"),
        )


def build(
    *,
    name: str,
    job: str,
    cron: str | None,
    every: int | None,
    tz: str,
    args: Any,
    options: Mapping[str, Any],
    missed: Any,
    max_missed: Any,
    grace: Any,
    external: bool = False,
    problem: str | None = None,
) -> Entry:
    """An :class:`Entry`; anything wrong is recorded in ``problem`` instead of raised."""
    args = tuple(args) if isinstance(args, list | tuple) else args
    entry = Entry(
        name=name,
        job=job,
        cron=cron,
        every=every,
        tz=tz,
        args=args,
        options=dict(options),
        missed=missed,
        max_missed=max_missed,
        grace=grace,
        external=external,
        problem=problem,
    )
    if problem:
        return entry
    try:
        _check_options(entry)
        schedule = parse(cron, every, tz)
    except PeriodicConfigError as exc:
        return _with(entry, problem=str(exc))
    return _with(entry, schedule=schedule)


def _with(entry: Entry, **changes: Any) -> Entry:
    return replace(entry, **changes)


def _check_options(entry: Entry) -> None:
    if not entry.name or not isinstance(entry.name, str):
        raise PeriodicConfigError(f"a periodic entry needs a non-empty name, got {entry.name!r}")
    if entry.missed not in MISSED_POLICIES:
        raise PeriodicConfigError(
            f"missed={entry.missed!r} is not a policy; use 'skip' (default), 'once' or 'all'"
        )
    if (
        isinstance(entry.max_missed, bool)
        or not isinstance(entry.max_missed, int)
        or entry.max_missed < 1
    ):
        raise PeriodicConfigError(
            f"max_missed must be a whole number >= 1, got {entry.max_missed!r}"
        )
    if isinstance(entry.grace, bool) or not isinstance(entry.grace, int | float) or entry.grace < 0:
        raise PeriodicConfigError(f"grace must be a number of seconds >= 0, got {entry.grace!r}")
    if not isinstance(entry.args, tuple):
        raise PeriodicConfigError(f"args must be a list, got {type(entry.args).__name__}")
    try:
        json.dumps(list(entry.args), allow_nan=False)
        json.dumps(dict(entry.options), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PeriodicConfigError(
            f"args and options must be JSON-native (str, int, float, bool, None, list, dict): {exc}"
        ) from None
