"""When an entry fires: crontab schedules in a time zone, and whole-second intervals.

Pure functions of an instant (epoch seconds), so tests inject any clock.

Daylight-saving time follows Vixie cron, which operators already know (issue 10):

* A *fixed-time* schedule (neither the minute nor the hour field starts with
  ``*``, e.g. ``30 2 * * *`` or ``@daily``) fires once per named wall time:
  in the repeated autumn hour only at the first 02:30; a wall time that does
  not exist in spring (02:30 in Europe/Berlin) fires at the moment the clocks
  jump (03:00 CEST), so a daily job is never skipped.
* A *wildcard* schedule (``*/15 * * * *``, ``@hourly``) follows elapsed time:
  it fires whenever the local clock shows a matching time, so its real-time
  cadence is unbroken across both transitions and it never bursts.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter  # type: ignore[import-untyped]

from workhorse_enterprise.periodic.errors import PeriodicConfigError

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Real zones move their clocks by at most 2 h; the generators start this far
# before/after the asked instant in wall time so a repeated hour is not missed.
_DST_MARGIN = timedelta(hours=3)


class Schedule(Protocol):
    """Instants (epoch seconds) at which an entry fires."""

    @property
    def description(self) -> str: ...

    def following(self, after: float) -> Iterator[float]:
        """Ticks strictly after ``after``, ascending, without end."""
        ...

    def preceding(self, until: float) -> Iterator[float]:
        """Ticks at or before ``until``, descending."""
        ...


def next_tick(schedule: Schedule, after: float) -> float:
    return next(schedule.following(after))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodicConfigError(
            f"unknown time zone {name!r} ({exc}); use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None


@dataclass(frozen=True)
class IntervalSchedule:
    """Every ``every`` whole seconds, aligned to the epoch (a test and advanced feature)."""

    every: int

    def __post_init__(self) -> None:
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise PeriodicConfigError(
                f"every={self.every!r} is not a whole number of seconds >= 1; "
                "use e.g. every=1 (or a cron expression for minute schedules)"
            )

    @property
    def description(self) -> str:
        return f"every {self.every}s"

    def following(self, after: float) -> Iterator[float]:
        tick = (math.floor(after / self.every) + 1) * self.every
        while True:
            yield float(tick)
            tick += self.every

    def preceding(self, until: float) -> Iterator[float]:
        tick = math.floor(until / self.every) * self.every
        while True:
            yield float(tick)
            tick -= self.every


@dataclass(frozen=True)
class CronSchedule:
    """A five-field crontab expression (or ``@hourly``-style alias) in an IANA time zone."""

    expression: str
    tz: str = "UTC"
    fields: str = field(init=False)
    fixed: bool = field(init=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = " ".join(str(self.expression).split())
        fields = ALIASES.get(text.lower(), text)
        if len(fields.split()) != 5:
            raise PeriodicConfigError(
                f"invalid cron expression {self.expression!r}: expected 5 fields "
                "(minute hour day-of-month month day-of-week) or an alias such as @hourly; "
                "for sub-minute ticks use every=SECONDS"
            )
        try:
            croniter(fields, datetime(2000, 1, 1)).get_next(datetime)
        except (CroniterError, ValueError, KeyError) as exc:
            raise PeriodicConfigError(
                f"invalid cron expression {self.expression!r}: {exc}"
            ) from None
        minute, hour = fields.split()[:2]
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "fixed", not (minute.startswith("*") or hour.startswith("*")))
        object.__setattr__(self, "_zone", zone(self.tz))

    @property
    def description(self) -> str:
        return f"{self.expression} ({self.tz})"

    def wall(self, instant: float) -> datetime:
        """The naive local wall-clock time at ``instant``."""
        return datetime.fromtimestamp(instant, self._zone).replace(tzinfo=None)

    def following(self, after: float) -> Iterator[float]:
        walls = croniter(self.fields, self.wall(after) - _DST_MARGIN)
        heap: list[float] = []
        last = after
        while True:
            wall = walls.get_next(datetime)
            earliest, instants = self._instants(wall)
            # Later wall times map to instants >= earliest: everything below is final.
            while heap and heap[0] <= earliest:
                tick = heapq.heappop(heap)
                if tick > last:
                    last = tick
                    yield tick
            for tick in instants:
                heapq.heappush(heap, tick)

    def preceding(self, until: float) -> Iterator[float]:
        walls = croniter(self.fields, self.wall(until) + _DST_MARGIN)
        heap: list[float] = []  # negated: a max-heap
        last = math.nextafter(until, math.inf)
        while True:
            wall = walls.get_prev(datetime)
            latest, instants = self._instants(wall, latest=True)
            while heap and -heap[0] >= latest:
                tick = -heapq.heappop(heap)
                if tick < last:
                    last = tick
                    yield tick
            for tick in instants:
                heapq.heappush(heap, -tick)

    def _instants(self, wall: datetime, latest: bool = False) -> tuple[float, list[float]]:
        """(a monotone bound, the instants this wall time fires at) under the DST rules."""
        first = wall.replace(tzinfo=self._zone, fold=0).timestamp()
        second = wall.replace(tzinfo=self._zone, fold=1).timestamp()
        if first == second:
            return first, [first]
        if first < second:  # the repeated autumn hour: fold 0 is the first pass
            bound = second if latest else first
            return bound, [first] if self.fixed else [first, second]
        jump = self._transition(second, first)  # the spring gap: this wall time never shows
        return jump, [jump] if self.fixed else []

    def _transition(self, low: float, high: float) -> float:
        """The instant in (low, high] at which the zone's UTC offset changes."""
        before = self._offset(low)
        lo, hi = int(low), math.ceil(high)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset(mid) == before:
                lo = mid
            else:
                hi = mid
        return float(hi)

    def _offset(self, instant: float) -> timedelta | None:
        return datetime.fromtimestamp(instant, UTC).astimezone(self._zone).utcoffset()


def parse(cron: str | None, every: int | None, tz: str) -> Schedule:
    """Build the schedule an entry asked for; exactly one of ``cron`` and ``every``."""
    if (cron is None) == (every is None):
        raise PeriodicConfigError(
            "give exactly one of a cron expression (e.g. '*/5 * * * *') or every=SECONDS"
        )
    if every is not None:
        return IntervalSchedule(every)
    return CronSchedule(str(cron), tz)
