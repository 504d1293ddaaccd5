"""Real ``workhorse worker`` processes: a big batch across two workers, SIGKILL while
finishing, and a worker without a license."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from batch_jobs import (
    finish_slowly,
    on_event,
    planned_failures,
    record,
    slow_callback,
    sometimes_fails,
    spawn_children,
)
from batch_support import Workers

from workhorse.client import Client
from workhorse_pro.batches import Batch, BatchStatus, list_batches

Waiter = Callable[..., object]
# Reliable fetch gives a SIGKILLed worker's jobs back after its lease (2 s here).
FAST_RECOVERY = {"WORKHORSE_RELIABLE_LEASE": "2", "WORKHORSE_RELIABLE_RECOVERY_INTERVAL": "0.5"}


def callbacks(r: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in r.lrange("t:callbacks", 0, -1)]


def settled(r: redis.Redis) -> bool:
    """No job waits in a queue or runs anywhere: a (wrong) extra callback would show now."""
    keys = [*r.scan_iter("queue:*"), *r.scan_iter("inprogress|*")]
    return not any(r.type(key) == "list" and r.llen(key) for key in keys)


def test_a_large_batch_with_retries_across_two_processes_counts_exactly(
    r: redis.Redis,
    wh_client: Client,
    workers: Workers,
    tmp_path: Path,
    waiter: Waiter,
    fast_retries: object,
) -> None:
    size = 1_500
    with Batch(
        description="big",
        on_complete=on_event,
        on_success=on_event,
        on_death=on_event,
        callback_args=["p"],
    ) as parent:
        sometimes_fails.perform_bulk([i] for i in range(size))
        spawn_children.perform_async(2, 50, "p")
    workers.start(tmp_path, env=FAST_RECOVERY)
    workers.start(tmp_path, env=FAST_RECOVERY)
    workers.wait_registered(2)
    waiter(
        lambda: any(c["tag"] == "p" and c["event"] == "success" for c in callbacks(r)),
        "the parent's success callback",
        timeout=180,
        interval=0.2,
    )
    waiter(lambda: settled(r), "every job and callback to have finished", timeout=30)
    order = [(c["tag"], c["event"]) for c in callbacks(r)]
    assert Counter(order) == Counter(
        {(t, e): 1 for t in ("p", "p.0", "p.1") for e in ("complete", "success")}
    ), order
    for child in ("p.0", "p.1"):
        assert order.index((child, "success")) < order.index(("p", "success"))
    status = BatchStatus(parent.bid)
    assert (status.total, status.pending, status.failures, status.dead) == (size + 1, 0, 0, 0)
    children = [s for s in list_batches() if s.parent_bid == parent.bid]
    assert sorted((c.total, c.pending, c.is_success) for c in children) == [(50, 0, True)] * 2
    attempts = {int(k): int(v) for k, v in r.hgetall("t:attempts").items()}
    assert all(attempts[i] == planned_failures(i) + 1 for i in range(size)), "exact retries"
    assert r.scard("t:succeeded") == size + 100
    assert sum(1 for i in range(size) if planned_failures(i)) > size // 10, "failures happened"


def test_sigkill_while_finishing_the_last_job_still_fires_each_callback_once(
    r: redis.Redis, wh_client: Client, workers: Workers, tmp_path: Path, waiter: Waiter
) -> None:
    with Batch(on_complete=on_event, on_success=on_event, callback_args=["k"]) as batch:
        for i in range(10):
            record.perform_async(i)
        finish_slowly.perform_async("last")
    victim = workers.start(tmp_path, env=FAST_RECOVERY)
    waiter(
        lambda: r.llen("t:ran") == 10 and r.llen("t:started") == 1,
        "the victim to finish 10 jobs and start the last",
        timeout=30,
    )
    # Successes are recorded in the background, a moment after each job returns.
    waiter(lambda: BatchStatus(batch.bid).pending == 1, "the 10 successes to be recorded")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    r.set("t:release", 1)
    workers.start(tmp_path, env=FAST_RECOVERY)  # recovers the victim's job after its lease
    waiter(
        lambda: r.llen("t:callbacks") >= 2,
        "complete and success after recovery",
        timeout=60,
        interval=0.1,
    )
    waiter(lambda: settled(r), "every job and callback to have finished", timeout=30)
    assert [c["event"] for c in callbacks(r)] == ["complete", "success"], workers.output()
    status = BatchStatus(batch.bid)
    assert (status.total, status.pending, status.failures) == (11, 0, 0)
    ran = Counter(json.loads(x) for x in r.lrange("t:ran", 0, -1))
    # Jobs the victim finished but had not yet acknowledged run again (at least
    # once); the batch still counts each of them once.
    assert ran["last"] == 1 and set(ran) == {*range(10), "last"}


def test_sigkill_inside_a_callback_reruns_it_and_the_next_event_fires_once(
    r: redis.Redis, wh_client: Client, workers: Workers, tmp_path: Path, waiter: Waiter
) -> None:
    with Batch(on_complete=slow_callback, on_success=on_event, callback_args=["cb"]) as batch:
        record.perform_async(1)
    victim = workers.start(tmp_path, env=FAST_RECOVERY)
    waiter(lambda: r.llen("t:started") == 1, "the complete callback to start", timeout=30)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    r.set("t:release", 1)
    workers.start(tmp_path, env=FAST_RECOVERY)
    waiter(
        lambda: r.llen("t:callbacks") >= 2,
        "complete (re-run) and success",
        timeout=60,
        interval=0.1,
    )
    waiter(lambda: settled(r), "every job and callback to have finished", timeout=30)
    assert [c["event"] for c in callbacks(r)] == ["complete", "success"], workers.output()
    assert r.llen("t:started") == 2, "the interrupted callback ran again"
    assert BatchStatus(batch.bid).callback_state("success") == "done"


def test_a_worker_without_a_license_warns_and_runs_batch_jobs_as_plain_jobs(
    r: redis.Redis, wh_client: Client, workers: Workers, tmp_path: Path, waiter: Waiter
) -> None:
    with Batch(on_complete=on_event) as batch:
        record.perform_async(1)
    workers.start(tmp_path, tiers=None)
    waiter(lambda: r.llen("t:ran") == 1, "the batch job to run as a plain job", timeout=30)
    workers.reap()
    assert "batches are off in this worker" in workers.output()
    assert BatchStatus(batch.bid).pending == 1, "no tracking without a license"
