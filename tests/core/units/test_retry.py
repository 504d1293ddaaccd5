"""workhorse.retry: what happens to a job that raised (pure functions, no Redis)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from workhorse import payload, retry
from workhorse.config import Settings
from workhorse.types import JobPayload

NOW = 1_700_000_000.0
SETTINGS = Settings(max_retries=25)


def job(**fields: Any) -> JobPayload:
    return {"class": "Thing", "args": [1], "jid": "a" * 24, "queue": "default", **fields}  # type: ignore[typeddict-item]


def test_backoff_is_count_to_the_fourth_plus_15_plus_up_to_10_per_attempt_of_jitter() -> None:
    for count in (0, 1, 2, 5, 24):
        rng, twin = random.Random(7), random.Random(7)
        jitter = twin.randrange(10 * (count + 1))
        assert retry.default_delay(count, rng) == count**4 + 15 + jitter


def test_backoff_jitter_stays_within_its_range() -> None:
    rng = random.Random(1)
    delays = {retry.default_delay(3, rng) for _ in range(500)}
    assert min(delays) >= 3**4 + 15 and max(delays) < 3**4 + 15 + 40
    assert len(delays) > 20  # it does spread retries out


def test_first_failure_is_retried_later_with_sidekiq_error_fields() -> None:
    decision = retry.decide(job(), ValueError("boom"), SETTINGS, NOW)
    assert decision.outcome == "retry"
    assert NOW + 15 <= decision.run_at < NOW + 25
    failed = decision.job
    assert failed["retry_count"] == 0  # type: ignore[typeddict-item]
    assert failed["error_class"] == "ValueError" and failed["error_message"] == "boom"  # type: ignore[typeddict-item]
    assert failed["failed_at"] == payload.timestamp(SETTINGS.timestamp_format, NOW)  # type: ignore[typeddict-item]


def test_a_later_failure_counts_up_and_stamps_retried_at() -> None:
    decision = retry.decide(job(retry_count=2, failed_at=1), KeyError("k"), SETTINGS, NOW)
    assert decision.job["retry_count"] == 3  # type: ignore[typeddict-item]
    assert decision.job["failed_at"] == 1  # type: ignore[typeddict-item]
    assert "retried_at" in decision.job
    assert NOW + 3**4 + 15 <= decision.run_at < NOW + 3**4 + 15 + 40


def test_retries_exhausted_means_dead_or_discarded_when_dead_is_false() -> None:
    assert retry.decide(job(retry=2, retry_count=1), ValueError(), SETTINGS, NOW).outcome == "dead"
    spent = job(retry=2, retry_count=1, dead=False)
    assert retry.decide(spent, ValueError(), SETTINGS, NOW).outcome == "discard"


def test_retry_false_discards_and_retry_zero_dies_at_once() -> None:
    assert retry.decide(job(retry=False), ValueError(), SETTINGS, NOW).outcome == "discard"
    assert retry.decide(job(retry=0), ValueError(), SETTINGS, NOW).outcome == "dead"


def test_max_attempts_reads_true_false_and_numbers() -> None:
    assert retry.max_attempts(job(), SETTINGS) == 25
    assert retry.max_attempts(job(retry=False), SETTINGS) == 0
    assert retry.max_attempts(job(retry=3), SETTINGS) == 3


@pytest.mark.parametrize("seconds", [0, 30, 2.5])
def test_retry_in_returning_a_number_is_the_delay_plus_jitter(seconds: float) -> None:
    decision = retry.decide(job(), ValueError(), SETTINGS, NOW, lambda count, exc: seconds)
    assert decision.outcome == "retry"
    assert NOW + seconds <= decision.run_at < NOW + seconds + 10


def test_retry_in_sees_the_attempt_count_and_the_error() -> None:
    seen: list[tuple[int, BaseException]] = []
    error = ValueError("x")
    retry.decide(job(retry_count=4), error, SETTINGS, NOW, lambda c, e: seen.append((c, e)))
    assert seen == [(5, error)]


def test_retry_in_returning_kill_sends_the_job_to_the_dead_set() -> None:
    assert retry.decide(job(), ValueError(), SETTINGS, NOW, lambda c, e: "kill").outcome == "dead"


def test_retry_in_returning_discard_drops_the_job() -> None:
    decision = retry.decide(job(), ValueError(), SETTINGS, NOW, lambda c, e: "discard")
    assert decision.outcome == "discard"


@pytest.mark.parametrize("answer", [None, "soon", True, [1]])
def test_retry_in_without_a_usable_answer_falls_back_to_the_default_backoff(answer: object) -> None:
    decision = retry.decide(job(), ValueError(), SETTINGS, NOW, lambda c, e: answer)  # type: ignore[arg-type,return-value]
    assert decision.outcome == "retry" and NOW + 15 <= decision.run_at < NOW + 25


def test_a_broken_retry_in_never_loses_the_job() -> None:
    def broken(count: int, exc: BaseException) -> float:
        raise RuntimeError("bug in retry_in")

    decision = retry.decide(job(), ValueError(), SETTINGS, NOW, broken)
    assert decision.outcome == "retry" and NOW + 15 <= decision.run_at < NOW + 25


def test_retry_queue_moves_the_retried_job_to_that_queue() -> None:
    decision = retry.decide(job(retry_queue="slow"), ValueError(), SETTINGS, NOW)
    assert decision.job["queue"] == "slow"


def test_without_retry_queue_the_job_keeps_its_queue() -> None:
    assert retry.decide(job(queue="mail"), ValueError(), SETTINGS, NOW).job["queue"] == "mail"


def test_backtrace_option_keeps_the_last_lines_compressed() -> None:
    try:
        raise ValueError("deep")
    except ValueError as exc:
        error = exc
    failed = retry.record_error(job(backtrace=True), error, SETTINGS, NOW)
    lines = payload.expand_backtrace(failed["error_backtrace"])  # type: ignore[typeddict-item]
    assert any("raise ValueError" in line for line in lines)
    assert "error_backtrace" not in retry.record_error(job(), error, SETTINGS, NOW)


def test_error_class_names_builtins_short_and_others_by_module() -> None:
    class Custom(Exception):
        pass

    assert retry.class_name(ValueError()) == "ValueError"
    assert retry.class_name(Custom()).endswith(
        "test_retry.test_error_class_names_builtins_short_and_others_by_module.<locals>.Custom"
    )
