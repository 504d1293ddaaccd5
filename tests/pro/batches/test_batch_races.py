"""Exactly-once under races: duplicate runs, simultaneous last jobs, reopen while finishing.

These drive the outcome scripts directly from many threads (what many worker
threads do), so the interleavings are dense and the assertions exact.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable

import redis
from batch_jobs import on_event, record

from workhorse.client import Client
from workhorse.config import Settings
from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.batches import Batch, BatchClosed, BatchStatus
from workhorse_pro.batches.scripts import Ref
from workhorse_pro.batches.tracker import Tracker
from workhorse_pro.batches.tracking import record as record_outcome

CALLBACK = "workhorse_pro.batch_callback"
Waiter = Callable[..., object]


def callback_jobs(r: redis.Redis, bid: str, queue: str = "default") -> list[str]:
    jobs = [json.loads(raw) for raw in r.lrange(f"queue:{queue}", 0, -1)]
    return [j["args"][0] for j in jobs if j["class"] == CALLBACK and j["args"][1] == bid]


def run_threads(count: int, target: Callable[[int], None]) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(n: int) -> None:
        start.wait()
        try:
            target(n)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_many_threads_finishing_the_last_jobs_together_fire_complete_once(
    r: redis.Redis, wh_client: Client
) -> None:
    tracker = Tracker.of(wh_client)
    for round_ in range(5):
        with Batch(description=f"race {round_}") as batch:
            for i in range(60):
                record.perform_async(i)
        r.delete("queue:default")
        jids = batch.jids * 3  # each job reported three times: re-runs after crashes
        random.shuffle(jids)
        changed: list[int] = []
        ref = tracker.meta.ref(batch.bid)
        assert ref is not None

        def finish(
            n: int, jids: list[str] = jids, changed: list[int] = changed, ref: Ref = ref
        ) -> None:
            for jid in jids[n::16]:
                changed.append(tracker.scripts.job_event("job_done", ref, jid))

        run_threads(16, finish)
        assert sum(changed) == 60, "each jid counts exactly once"
        status = BatchStatus(batch.bid)
        assert (status.pending, status.failures) == (0, 0)
        assert callback_jobs(r, batch.bid) == ["complete"]


def test_failures_and_successes_racing_on_the_same_jobs_keep_counts_exact(
    r: redis.Redis, wh_client: Client
) -> None:
    tracker = Tracker.of(wh_client)
    with Batch() as batch:
        for i in range(100):
            record.perform_async(i)
    r.delete("queue:default")
    events = [("job_failed", jid) for jid in batch.jids[:50]] * 2
    events += [("job_done", jid) for jid in batch.jids[25:]] * 2
    random.shuffle(events)

    def report(n: int) -> None:
        for kind, jid in events[n::8]:
            record_outcome(tracker, kind, batch.bid, jid)  # type: ignore[arg-type]

    run_threads(8, report)
    status = BatchStatus(batch.bid)
    # jobs 0-24 only failed; 25-49 failed and/or succeeded; 50-99 succeeded.
    assert status.pending == 25 and status.failures == 25
    assert sorted(status.failed_jids) == sorted(batch.jids[:25])
    assert callback_jobs(r, batch.bid) == ["complete"], "every pending job has failed once"


def test_reopen_racing_the_last_job_either_joins_the_batch_or_is_refused(
    r: redis.Redis, wh_client: Client
) -> None:
    tracker = Tracker.of(wh_client)
    for round_ in range(5):
        with Batch(description=f"reopen race {round_}") as batch:
            for i in range(20):
                record.perform_async(i)
        r.delete("queue:default")
        added: list[str] = []
        refused: list[int] = []
        ref = tracker.meta.ref(batch.bid)
        assert ref is not None

        def act(
            n: int,
            batch: Batch = batch,
            added: list[str] = added,
            refused: list[int] = refused,
            ref: Ref = ref,
        ) -> None:
            if n < 10:  # finishers: two original jobs each
                for jid in batch.jids[2 * n : 2 * n + 2]:
                    tracker.scripts.job_event("job_done", ref, jid)
                return
            try:  # reopeners
                with Batch.reopen(batch.bid) as more:
                    record.perform_async(f"late-{n}")
                added.extend(more.jids)
            except BatchClosed:
                refused.append(n)

        run_threads(20, act)
        assert len(added) + len(refused) == 10
        for jid in added:  # the jobs that got in must still run before the batch completes
            tracker.scripts.job_event("job_done", ref, jid)
        status = BatchStatus(batch.bid)
        assert status.total == 20 + len(added)
        assert status.pending == 0
        late = [json.loads(x) for x in r.lrange("queue:default", 0, -1)]
        assert sorted(j["jid"] for j in late if j.get("bid") == batch.bid) == sorted(added)
        assert callback_jobs(r, batch.bid) == ["complete"]


def test_a_job_delivered_twice_counts_once_and_fires_nothing_more(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(on_complete=on_event, on_success=on_event, callback_args=["dup"]) as batch:
        for i in range(3):
            record.perform_async(i)
    raw = r.lindex("queue:default", 0)
    assert raw is not None
    start_worker()
    assert BatchStatus(batch.bid).join(20, until="success")
    waiter(lambda: r.llen("t:callbacks") == 2, "both callbacks")
    r.lpush("queue:default", raw)  # what reliable fetch does after a crash
    waiter(lambda: r.llen("t:ran") == 4, "the duplicate delivery to run")
    waiter(lambda: r.llen("queue:default") == 0, "the queue to drain")
    status = BatchStatus(batch.bid)
    assert (status.total, status.pending, status.failures) == (3, 0, 0)
    assert r.llen("t:callbacks") == 2


def test_a_batch_job_is_acknowledged_only_after_its_success_is_recorded(
    r: redis.Redis, wh_client: Client, settings: Settings
) -> None:
    from workhorse.middleware import JobContext
    from workhorse_pro.batches import tracker
    from workhorse_pro.batches.tracking import BatchMiddleware

    with Batch() as batch:
        record.perform_async(1)
    pending_key = f"batch:{batch.bid}:pending"
    seen: list[bool] = []
    job = {"class": "x", "args": [], "jid": batch.jids[0], "bid": batch.bid}
    ctx = JobContext(
        job,
        "default",
        "{}",
        None,  # type: ignore[arg-type]
        acknowledge=lambda: seen.append(r.sismember(pending_key, batch.jids[0]) == 0),
    )
    BatchMiddleware(settings)(ctx, lambda: None)
    assert ctx.deferred, "the middleware took the acknowledgement over from the worker"
    assert tracker.drain_all(5.0)  # what the worker's shutdown hook does
    assert seen == [True]  # acknowledged once, after the success was in Redis
    plain = JobContext(
        {"class": "x", "args": []}, "default", "{}", None, acknowledge=lambda: seen.append(False)
    )
    BatchMiddleware(settings)(plain, lambda: None)
    assert not plain.deferred  # a job outside any batch: the worker acknowledges it
