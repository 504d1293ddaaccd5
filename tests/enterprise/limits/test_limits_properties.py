"""Property tests: for any sequence of costs, a limiter admits exactly what its rule allows.

Intervals are long (an hour or a day) so nothing drains or slides during an
example: the only correct answer is the greedy one, admitting a request iff
the units already admitted plus its cost fit the limit.
"""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits_checks import most_holders, most_per_bucket, most_per_window

from workhorse.errors import ConfigError
from workhorse_enterprise import limits
from workhorse_enterprise.limits.names import check_name

pytestmark = pytest.mark.usefixtures("enterprise", "wh_client")
_fresh = itertools.count()
FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def admitted_by(limiter: limits.Limiter, costs: list[int]) -> list[bool]:
    answers = []
    for cost in costs:
        try:
            limiter.acquire(cost=cost, wait_timeout=0)
            answers.append(True)
        except limits.OverLimit:
            answers.append(False)
    return answers


def greedy(limit: int, costs: list[int]) -> list[bool]:
    used, answers = 0, []
    for cost in costs:
        answers.append(used + cost <= limit)
        used += cost if answers[-1] else 0
    return answers


@FAST
@given(
    limit=st.integers(1, 30),
    costs=st.lists(st.integers(1, 30), max_size=15),
    kind=st.sampled_from(["bucket", "window", "leaky", "points"]),
)
def test_any_cost_sequence_is_admitted_greedily_up_to_the_limit(
    limit: int, costs: list[int], kind: str
) -> None:
    costs = [min(c, limit) for c in costs]
    name = f"prop-{next(_fresh)}"
    limiter = {
        "bucket": lambda: limits.bucket(name, limit, per="day"),
        "window": lambda: limits.window(name, limit, 3600),
        "leaky": lambda: limits.leaky(name, limit, 86400),
        "points": lambda: limits.points(name, limit, per="day"),
    }[kind]()
    if kind == "bucket" and time.time() % 86400 > 86390:
        return  # a UTC day boundary would legitimately reset the bucket mid-example
    assert admitted_by(limiter, costs) == greedy(limit, costs)


@FAST
@given(limit=st.integers(1, 5), ops=st.lists(st.booleans(), max_size=25))
def test_any_acquire_release_sequence_keeps_holders_within_the_limit(
    limit: int, ops: list[bool]
) -> None:
    limiter = limits.concurrent(f"prop-c-{next(_fresh)}", limit, wait_timeout=0)
    held: list[limits.Admission] = []
    for take in ops:
        if take:
            expect = len(held) < limit
            try:
                held.append(limiter.acquire())
                assert expect
            except limits.OverLimit:
                assert not expect
        elif held:
            held.pop(0).release()
    assert limiter.redis.zcard(limiter.keys.state) == len(held)


@given(name=st.text(max_size=30))
def test_a_name_is_either_accepted_verbatim_or_refused_with_config_error(name: str) -> None:
    try:
        assert check_name(name) == name
    except ConfigError as exc:
        assert "invalid limiter name" in str(exc)
    else:
        assert "{" not in name and "}" not in name and " " not in name


@given(st.lists(st.integers(0, 10_000), max_size=40), st.integers(1, 2_000))
def test_the_log_checks_agree_with_each_other(times: list[int], interval: int) -> None:
    # Holding for `interval` from each admission overlaps exactly the admissions of one
    # sliding window; a clock-aligned window is one of those spans, so never holds more.
    assert most_holders([(t, t + interval) for t in times]) == most_per_window(times, interval)
    assert most_per_bucket(times, interval) <= most_per_window(times, interval)
