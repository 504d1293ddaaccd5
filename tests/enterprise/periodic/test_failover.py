"""Issue 10's proof: exactly one enqueue per tick across SIGKILL, clean stop and a Redis restart."""

from __future__ import annotations

import pytest
from failover_scenario import ENTRIES, Result, Timings, report, run


@pytest.fixture(scope="module")
def result() -> Result:
    outcome = run(Timings(lease=3.0, grace=5.0, settle=2.0, outage=8.0))
    print("\n" + report(outcome))
    return outcome


@pytest.mark.parametrize("entry", ENTRIES)
def test_no_tick_is_ever_enqueued_twice(result: Result, entry: str) -> None:
    assert result.ticks(entry), f"{entry} enqueued nothing"
    assert result.duplicates(entry) == []


def test_policy_all_enqueues_every_tick_including_the_outage(result: Result) -> None:
    assert result.gaps("every-second-all") == []
    down, up = result.outage
    assert all(down - 1 <= t <= up + 1 for t in result.missed_runs("every-second-all"))


def _outside_outage(result: Result, ticks: list[int]) -> list[int]:
    down, up = result.outage
    return [t for t in ticks if not down - 1 <= t <= up + 1]


def test_policy_skip_loses_only_ticks_inside_the_outage(result: Result) -> None:
    gaps = result.gaps("every-second-skip")
    assert gaps, "the outage is longer than the grace, so some ticks must have been skipped"
    assert _outside_outage(result, gaps) == []  # SIGKILL and clean stop lost nothing
    assert result.missed_runs("every-second-skip") == []


def test_policy_once_runs_a_single_missed_tick_for_the_outage(result: Result) -> None:
    gaps = result.gaps("every-second-once")
    assert gaps and _outside_outage(result, gaps) == []
    (missed,) = result.missed_runs("every-second-once")
    assert _outside_outage(result, [missed]) == []


def test_invalid_entry_is_reported_by_every_worker_and_never_enqueued(result: Result) -> None:
    assert not [j for j in result.jobs if j["periodic"] == "broken"]
    assert all(
        'periodic entry "broken": invalid cron expression' in log for log in result.logs.values()
    ), next(iter(result.logs.values()))[-3000:]
