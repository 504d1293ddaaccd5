"""Schedules: crontab fields and aliases, time zones, both DST transitions, second intervals."""

from __future__ import annotations

from datetime import datetime
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workhorse_enterprise.periodic.errors import PeriodicConfigError
from workhorse_enterprise.periodic.schedule import CronSchedule, IntervalSchedule, parse

BERLIN = ZoneInfo("Europe/Berlin")


def at(*parts: int, tz: ZoneInfo = BERLIN, fold: int = 0) -> float:
    return datetime(*parts, tzinfo=tz, fold=fold).timestamp()  # type: ignore[misc]


def local(ticks: list[float], tz: ZoneInfo = BERLIN) -> list[str]:
    return [datetime.fromtimestamp(t, tz).strftime("%m-%d %H:%M%z") for t in ticks]


def ticks(schedule: CronSchedule | IntervalSchedule, start: float, count: int) -> list[float]:
    return list(islice(schedule.following(start), count))


def test_daily_job_in_the_missing_spring_hour_runs_once_when_the_clocks_jump() -> None:
    # Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 never shows.
    got = ticks(CronSchedule("30 2 * * *", "Europe/Berlin"), at(2026, 3, 28, 12), 3)
    assert local(got) == ["03-29 03:00+0200", "03-30 02:30+0200", "03-31 02:30+0200"]


def test_daily_job_in_the_repeated_autumn_hour_runs_once() -> None:
    # Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 shows twice.
    got = ticks(CronSchedule("30 2 * * *", "Europe/Berlin"), at(2026, 10, 24, 12), 3)
    assert local(got) == ["10-25 02:30+0200", "10-26 02:30+0100", "10-27 02:30+0100"]


def test_interval_schedule_keeps_its_real_time_cadence_in_spring() -> None:
    got = ticks(CronSchedule("*/30 * * * *", "Europe/Berlin"), at(2026, 3, 29, 1, 0), 3)
    assert local(got) == ["03-29 01:30+0100", "03-29 03:00+0200", "03-29 03:30+0200"]
    assert got[1] - got[0] == got[2] - got[1] == 1800  # no burst, no gap


def test_interval_schedule_keeps_its_real_time_cadence_in_autumn() -> None:
    got = ticks(CronSchedule("*/30 * * * *", "Europe/Berlin"), at(2026, 10, 25, 1, 50), 5)
    assert local(got) == [
        "10-25 02:00+0200",
        "10-25 02:30+0200",
        "10-25 02:00+0100",
        "10-25 02:30+0100",
        "10-25 03:00+0100",
    ]
    assert {b - a for a, b in pairwise(got)} == {1800}


def test_hourly_alias_fires_every_real_hour_across_autumn_fallback() -> None:
    got = ticks(CronSchedule("@hourly", "Europe/Berlin"), at(2026, 10, 25, 0, 30), 4)
    assert {b - a for a, b in pairwise(got)} == {3600}


def test_fixed_time_runs_once_in_the_repeated_hour_in_another_zone() -> None:
    # New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:05 shows twice.
    new_york = ZoneInfo("America/New_York")
    got = ticks(CronSchedule("5 1 * * *", "America/New_York"), at(2026, 10, 31, 12, tz=new_york), 2)
    assert local(got, new_york) == ["11-01 01:05-0400", "11-02 01:05-0500"]


def test_time_zone_shifts_the_instant() -> None:
    start = at(2026, 5, 31, 12, tz=ZoneInfo("UTC"))
    utc = ticks(CronSchedule("0 9 * * *", "UTC"), start, 1)
    tokyo = ticks(CronSchedule("0 9 * * *", "Asia/Tokyo"), start, 1)
    assert utc[0] - tokyo[0] == 9 * 3600


@pytest.mark.parametrize(
    "expression", ["61 * * * *", "* * * *", "* * * * * *", "nonsense", "@fortnightly", ""]
)
def test_invalid_expressions_are_refused_with_the_expression(expression: str) -> None:
    with pytest.raises(PeriodicConfigError, match="invalid cron expression"):
        CronSchedule(expression, "UTC")


def test_unknown_time_zone_is_refused_by_name() -> None:
    with pytest.raises(PeriodicConfigError, match="Mars/Olympus"):
        CronSchedule("* * * * *", "Mars/Olympus")


def test_every_needs_whole_seconds_and_exactly_one_kind() -> None:
    with pytest.raises(PeriodicConfigError, match="whole number"):
        IntervalSchedule(0.5)  # type: ignore[arg-type]
    with pytest.raises(PeriodicConfigError, match="exactly one"):
        parse("* * * * *", 5, "UTC")
    assert ticks(IntervalSchedule(5), 1001.0, 3) == [1005.0, 1010.0, 1015.0]
    assert list(islice(IntervalSchedule(5).preceding(1010.0), 2)) == [1010.0, 1005.0]


SCHEDULES = st.sampled_from(
    [
        "*/7 * * * *",
        "30 2 * * *",
        "0 */3 * * *",
        "15 1-3 * * 0",
        "@hourly",
        "@daily",
        "0 0 1 * *",
        "* 2 * * *",
    ]
)
ZONES = st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
)


@settings(max_examples=60, deadline=None)
@given(SCHEDULES, ZONES, st.floats(min_value=1.6e9, max_value=1.9e9))
def test_following_and_preceding_agree_and_never_repeat(
    expression: str, tz: str, start: float
) -> None:
    schedule = CronSchedule(expression, tz)
    forward = ticks(schedule, start, 6)
    assert all(b > a for a, b in pairwise(forward))
    assert forward[0] > start
    backward = list(islice(schedule.preceding(forward[-1]), 6))
    assert backward == forward[::-1]


FIELD = st.one_of(
    st.sampled_from(
        ["*", "*/5", "1-3", "0", "59", "60", "L", "MON", "JAN", "?", "1,2", "H", "-1", "*/0", "32"]
    ),
    st.text(max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.lists(FIELD, min_size=0, max_size=7).map(" ".join), st.text(max_size=30)),
    st.sampled_from(["UTC", "Europe/Berlin", "Nowhere/Land", ""]),
)
def test_any_text_either_parses_or_raises_our_error(expression: str, tz: str) -> None:
    try:
        schedule = CronSchedule(expression, tz)
    except PeriodicConfigError:
        return
    first = next(schedule.following(1.8e9))
    assert first > 1.8e9
