"""The supervisor (-p N): restart policy, backoff, giving up (worker/restarts.py, supervisor.py)."""

from __future__ import annotations

import logging
import signal
import threading

import pytest
import redis
from support.waiting import wait_for

from workhorse.worker.restarts import ChildHistory, GiveUp, Restart, RestartPolicy
from workhorse.worker.signals import SignalInbox
from workhorse.worker.supervisor import Supervisor

POLICY = RestartPolicy(startup_seconds=10.0, max_startup_failures=4, first_delay=1.0, max_delay=5)


def test_failures_at_start_up_are_restarted_after_a_doubling_delay_then_given_up() -> None:
    history = ChildHistory(POLICY)
    decisions = [history.exited(1, lived=0.5) for _ in range(4)]
    assert decisions[:3] == [Restart(1.0), Restart(2.0), Restart(4.0)]
    assert isinstance(decisions[3], GiveUp) and decisions[3].exit_code == 1
    reason = decisions[3].reason
    assert "failed 4 times in a row within 10s of starting (last exit code 1)" in reason


def test_the_delay_is_capped() -> None:
    history = ChildHistory(RestartPolicy(max_startup_failures=10, first_delay=1.0, max_delay=5))
    delays = [history.exited(1, lived=0.1) for _ in range(6)]
    assert delays[-1] == Restart(5)


def test_a_child_that_ran_a_while_is_restarted_at_once_and_clears_its_record() -> None:
    history = ChildHistory(POLICY)
    history.exited(1, lived=0.5)
    history.exited(1, lived=0.5)
    assert history.exited(-9, lived=3600) == Restart(1.0)  # e.g. the OOM killer, after an hour
    assert history.exited(1, lived=0.5) == Restart(1.0), "counting starts again"


def test_a_configuration_error_at_start_up_is_given_up_at_once_with_exit_code_2() -> None:
    decision = ChildHistory(POLICY).exited(2, lived=0.8)
    assert isinstance(decision, GiveUp) and decision.exit_code == 2
    assert "configuration error" in decision.reason


def test_a_child_stopped_on_purpose_is_restarted_without_counting_a_failure() -> None:
    history = ChildHistory(POLICY)
    for _ in range(10):
        assert history.exited(0, lived=0.5) == Restart(1.0)


def run_supervisor(supervisor: Supervisor, inbox: SignalInbox) -> int:
    """Run it on this (main) thread with an inbox no signal handler writes to."""
    try:
        return supervisor.run(inbox)
    finally:
        for slot in supervisor.slots:
            if slot.child is not None and slot.child.poll() is None:
                slot.child.kill()
                slot.child.wait()
        inbox.close()


def test_supervisor_gives_up_on_children_that_keep_crashing_at_start_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = "redis://127.0.0.1:1/0"  # each child exits 1 at once: cannot reach Redis
    policy = RestartPolicy(startup_seconds=60, max_startup_failures=3, first_delay=0.2)
    supervisor = Supervisor(["worker", "--redis-url", unreachable], 2, policy)
    with caplog.at_level(logging.INFO, "workhorse.supervisor"):
        code = run_supervisor(supervisor, SignalInbox())
    assert code == 1
    text = caplog.text
    assert "failed 3 times in a row within 60s of starting (last exit code 1)" in text
    assert "restart in 0.2s" in text and "restart in 0.4s" in text, "the delay doubles"
    starts = [r for r in caplog.records if "started worker process" in r.getMessage()]
    assert len(starts) <= 2 * 3, "no restarts beyond the limit (the other slot is stopped)"


def test_supervisor_stops_at_once_when_a_child_has_a_configuration_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = "tests/core/broken_jobs_for_tests.py"
    supervisor = Supervisor(["worker", "-r", broken, "--redis-url", "redis://127.0.0.1:1/0"], 2)
    with caplog.at_level(logging.INFO, "workhorse.supervisor"):
        code = run_supervisor(supervisor, SignalInbox())
    assert code == 2
    assert "exited with code 2" in caplog.text and "configuration error" in caplog.text
    assert "restart in" not in caplog.text


def test_supervisor_restarts_a_child_killed_while_working_and_stops_on_term(
    redis_url: str, r: redis.Redis
) -> None:
    inbox = SignalInbox()
    supervisor = Supervisor(
        ["worker", "-r", "tests/core/jobs_for_tests.py", "--redis-url", redis_url, "-c", "1"],
        1,
        RestartPolicy(startup_seconds=0.0),
    )
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(run_supervisor(supervisor, inbox)))
    thread.start()
    try:
        first = wait_for(lambda: r.smembers("processes"), "the first child", timeout=20)
        pid = int(next(iter(first)).rsplit(":", 2)[1])
        assert supervisor.slots[0].child is not None and supervisor.slots[0].child.pid == pid
        supervisor.slots[0].child.send_signal(signal.SIGKILL)
        wait_for(
            lambda: supervisor.slots[0].child is not None and supervisor.slots[0].child.pid != pid,
            "a replacement child",
            timeout=20,
        )
        wait_for(lambda: r.smembers("processes") - first, "the replacement to start", timeout=20)
        inbox.post(signal.SIGTERM)
    finally:
        thread.join(30)
    assert result == [0], "the supervisor stopped its child and returned"
