"""Job handles, status and opt-in results (issue 18), against a real Redis and worker."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import time
from collections.abc import Callable

import lifecycle_jobs as jobs
import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.errors import ConfigError, JobFailed, ResultTimeout
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def test_perform_async_returns_a_handle_that_is_the_jid(wh_client: Client, r: redis.Redis) -> None:
    handle = jobs.add.perform_async(1, 2)
    assert isinstance(handle, str) and handle == handle.jid and len(handle) == 24
    assert json.loads(r.lindex("queue:default", 0))["jid"] == handle
    assert json.dumps({"jid": handle}) == json.dumps({"jid": handle.jid})
    assert pickle.loads(pickle.dumps(handle)) == handle
    assert workhorse.job_handle(handle) == handle
    assert wh_client.enqueue("Anything", [1]).status().state == "queued"


def test_a_stored_result_comes_back_through_the_handle(
    wh_client: Client, start_worker: StartWorker
) -> None:
    handle = jobs.add.perform_async(20, 22)
    start_worker()
    assert handle.result(timeout=10) == 42
    status = handle.status()
    assert (status.state, status.attempt) == ("succeeded", 1)
    assert status.completion is not None and status.completion.value == 42


def test_set_turns_results_on_per_call_and_a_rebuilt_handle_reads_them(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.plain_add.set(store_result=True, result_ttl=30).perform_async(2, 3)
    start_worker()
    assert workhorse.job_handle(str(jid)).result(timeout=10) == 5
    assert 0 < r.ttl(f"result:{jid}") <= 30


def test_results_off_writes_nothing_per_job(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    handle = jobs.plain_add.perform_async(1, 1)
    jobs.add.perform_async(0, 0)  # a marker that stores: once it is done, so is the first
    start_worker(concurrency=1)
    wait_for(lambda: r.keys("result:*"), "the marker's record")
    assert f"result:{handle}" not in r.keys("result:*")
    assert handle.status().state == "unknown"  # finished without a trace, as documented


def test_async_job_result_and_await_from_asyncio(
    wh_client: Client, start_worker: StartWorker
) -> None:
    handle = jobs.async_add.perform_async(1, 2)
    start_worker()

    async def main() -> object:
        return await asyncio.wait_for(handle, 10)  # type: ignore[arg-type]

    assert asyncio.run(main()) == {"sum": 3}


def test_result_waits_with_a_deadline(wh_client: Client) -> None:
    handle = jobs.add.perform_async(1, 1)
    with pytest.raises(ResultTimeout, match=r"did not finish within 0\.2s"):
        handle.result(timeout=0.2)
    assert handle.status().state == "queued"


def test_a_dead_job_reraises_with_class_message_and_backtrace(
    wh_client: Client, start_worker: StartWorker
) -> None:
    handle = jobs.explodes.perform_async("gone")
    start_worker()
    with pytest.raises(JobFailed) as failed:
        handle.result(timeout=10)
    assert failed.value.error_class == "KeyError" and "gone" in failed.value.error_message
    assert failed.value.state == "dead"
    assert any("raise KeyError(message)" in line for line in failed.value.backtrace)
    status = handle.status()
    assert status.state == "dead" and status.error.startswith("KeyError")


def test_a_failure_with_retries_off_reads_failed(
    wh_client: Client, start_worker: StartWorker
) -> None:
    handle = jobs.fails_without_retry.perform_async()
    start_worker()
    with pytest.raises(JobFailed, match="retries are off") as failed:
        handle.result(timeout=10)
    assert failed.value.state == "failed"


def test_a_return_value_json_cannot_hold_fails_the_job_clearly(
    wh_client: Client, start_worker: StartWorker
) -> None:
    handle = jobs.returns_a_set.perform_async()
    start_worker()
    with pytest.raises(JobFailed, match="cannot be stored as its result") as failed:
        handle.result(timeout=10)
    assert failed.value.error_class == "workhorse.errors.ArgumentError"


def test_status_follows_the_job_through_schedule_retry_and_running(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    later = jobs.add.perform_in(3600, 1, 1)
    status = later.status()
    assert status.state == "scheduled" and status.next_run_at is not None
    assert status.next_run_at > time.time() + 3500

    retrying = jobs.fails_once_then_waits.perform_async()
    running = jobs.sleeper.perform_async(30, "long")
    start_worker(concurrency=2)
    wait_for(lambda: retrying.status().state == "retrying", "the retry")
    status = retrying.status()
    assert status.attempt == 1 and status.next_run_at and status.next_run_at > time.time()
    assert "ValueError: first try fails" in status.error
    wait_for(lambda: running.status().state == "running", "the running job")
    assert running.status().running_since is not None
    assert workhorse.job_handle("0" * 24).status().state == "unknown"
    running.cancel()  # its thread would outlive the worker's shutdown
    wait_for(lambda: running.status().state == "cancelled", "the long job cancelled")


def test_garbage_at_a_result_key_is_reported_not_crashed_on(
    wh_client: Client, r: redis.Redis
) -> None:
    handle = workhorse.job_handle("a" * 24)
    r.set(f"result:{handle}", "\x00not json")
    assert handle.status().state == "unknown"
    with pytest.raises(JobFailed, match="not a result"):
        handle.result(timeout=1)
    r.set(
        f"result:{handle}",
        json.dumps({"state": "succeeded", "attempts": "x", "finished_at": "never", "result": [1]}),
    )
    assert handle.result(timeout=1) == [1]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": "5"}, "timeout must be a positive number"),
        ({"result_ttl": -1}, "result_ttl must be a positive number"),
        ({"result_ttl": float("inf")}, "result_ttl must be a positive number"),
        ({"store_result": "yes"}, "store_result must be true or false"),
    ],
)
def test_bad_lifecycle_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        jobs.plain_add.set(**options)


def test_a_result_key_holding_bytes_that_are_not_utf8_is_reported(
    wh_client: Client, r: redis.Redis
) -> None:
    handle = workhorse.job_handle("b" * 24)
    r.set(f"result:{handle}", b"\xff\xfe")
    assert handle.status().state == "unknown"
    with pytest.raises(JobFailed, match="not a result"):
        handle.result(timeout=1)
    r.delete(f"result:{handle}")
    r.rpush(f"result:{handle}", b"{}")  # a key of another type is no record either
    assert handle.status().state == "unknown"
    with pytest.raises(JobFailed, match="not a result"):
        handle.result(timeout=1)


def test_a_long_wait_is_several_blocking_pops_not_one_that_times_out(
    wh_client: Client, start_worker: StartWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis-py may time a read out after its connect timeout (5 s): a wait longer than a
    slice must keep blocking, pop after pop, until the job is done."""
    from workhorse import results

    monkeypatch.setattr(results, "BLOCK_SLICE", 0.1)
    handle = jobs.sleeper.set(store_result=True).perform_async(0.6, "late")
    start_worker()
    assert handle.result(timeout=10) == "late"


def test_a_job_pushed_by_name_keeps_results_as_its_definition_says(
    wh_client: Client, start_worker: StartWorker
) -> None:
    """Ruby or Client.enqueue push only what they are given: the worker falls back to the
    job's registered store_result, and the payload's own value wins."""
    by_name = wh_client.enqueue("lifecycle_jobs.add", [3, 4])
    turned_off = wh_client.enqueue("lifecycle_jobs.add", [0, 0], store_result=False)
    marker = jobs.add.perform_async(1, 1)
    assert by_name is not None and turned_off is not None
    start_worker(concurrency=1)
    assert by_name.result(timeout=10) == 7
    assert marker.result(timeout=10) == 2
    assert turned_off.completion() is None


def _waiting(handles: list[workhorse.JobHandle]) -> tuple[list[object], list[threading.Thread]]:
    """Threads blocked in result() on ``handles``; what each got lands in the list."""
    got: list[object] = []
    threads = [
        threading.Thread(target=lambda h=h: got.append(h.result(timeout=20))) for h in handles
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # every waiter registered and blocked
    return got, threads


@pytest.mark.parametrize("writer", ["batched", "single"])
def test_waiters_wake_when_the_record_is_written_not_at_the_end_of_their_slice(
    wh_client: Client, r: redis.Redis, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    from workhorse import results
    from workhorse.worker.recorder import ResultRecorder

    monkeypatch.setattr(results, "BLOCK_SLICE", 4.0)
    handle = workhorse.job_handle("c" * 24)
    got, threads = _waiting([handle, handle, handle])
    started = time.monotonic()
    record = results.success({"jid": str(handle)}, "done")
    if writer == "batched":
        recorder = ResultRecorder(wh_client.redis, wh_client.keys)
        recorder.submit(str(handle), record, 60, None)
        assert recorder.stop(5)
    else:
        results.write(wh_client.redis, wh_client.keys, str(handle), results.finish(record), 60)
    for thread in threads:
        thread.join(10)
    assert got == ["done", "done", "done"]
    assert time.monotonic() - started < 2.0  # woken, not found by the next slice
    assert 0 < r.ttl(f"result:{handle}") <= 60


def test_records_written_while_nobody_waits_cost_no_wake_list(
    wh_client: Client, r: redis.Redis
) -> None:
    from workhorse.worker.recorder import ResultRecorder

    recorder = ResultRecorder(wh_client.redis, wh_client.keys)
    for n in range(3):
        recorder.submit(f"{n:024d}", results_success(f"{n:024d}", n), 60, None)
    assert recorder.stop(5)
    assert sorted(r.keys("result*")) == [f"result:{n:024d}" for n in range(3)]
    assert workhorse.job_handle(f"{2:024d}").result(timeout=1) == 2


def results_success(jid: str, value: object) -> str:
    from workhorse import results

    return results.success({"jid": jid}, value)


def test_a_record_is_plain_json_with_non_ascii_values_escaped(
    wh_client: Client, r: redis.Redis
) -> None:
    from workhorse import results

    results.write(
        wh_client.redis,
        wh_client.keys,
        "d" * 24,
        results.finish(results_success("d" * 24, {"naïve": "日本"}), 1733350000.5),
        60,
    )
    raw = r.get(f"result:{'d' * 24}")
    assert raw is not None and raw.isascii()
    assert json.loads(raw) == {
        "state": "succeeded",
        "jid": "d" * 24,
        "attempts": 1,
        "result": {"naïve": "日本"},
        "finished_at": 1733350000.5,
    }


def test_a_store_result_job_reads_running_as_soon_as_it_started_not_a_heartbeat_later(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    handle = jobs.sleeper.set(store_result=True).perform_async(3, "watched")
    worker = start_worker()
    wait_for(lambda: "start:watched" in r.lrange("test:notes", 0, -1), "the job to start")
    deadline = time.monotonic() + 0.5  # the records' linger, not the heartbeat's 5+ s
    while (status := handle.status()).state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (status.state, status.where) == ("running", worker.identity)
    assert status.running_since and 0 <= time.time() - status.running_since < 3
    with pytest.raises(ResultTimeout):
        handle.result(timeout=0.2)  # a running record is no result
    assert handle.result(timeout=10) == "watched"
    assert handle.status().state == "succeeded"


def test_only_a_store_result_job_running_longer_than_the_linger_gets_a_running_record(
    wh_client: Client,
) -> None:
    from workhorse.worker import recorder as recorder_module

    recorder = recorder_module.ResultRecorder(wh_client.redis, wh_client.keys, "host:1:abc")
    now = time.time()
    recorder.running[1] = ({"jid": "q" * 24}, 60, now)  # just started: maybe done in a moment
    recorder.running[2] = ({"jid": "s" * 24, "retry_count": 0}, 60, now - 1)
    (mark,) = recorder._due_running()
    assert mark[0] == "s" * 24 and mark[3] is True  # NX: never over a final record
    assert json.loads(mark[1])["where"] == "host:1:abc" and json.loads(mark[1])["attempts"] == 2
    assert recorder._recheck == recorder_module.LINGER  # the young one is looked at again soon
    assert recorder._due_running() == []  # each job once


def test_a_long_job_that_starts_during_a_steady_stream_of_records_gets_its_running_record(
    wh_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records that keep coming keep the writer writing batch after batch, never back to
    waiting; the running records of jobs that began meanwhile go out with those batches."""
    from workhorse.worker import recorder as recorder_module

    recorder = recorder_module.ResultRecorder(wh_client.redis, wh_client.keys, "host:1:abc")
    writes: list[list[str]] = []

    def write(batch: list[tuple[str, str, int, object]], marks: list[tuple[str, ...]]) -> None:
        writes.append([mark[0] for mark in marks])
        if len(writes) == 1:  # while the first batch is written: more records, a long job
            recorder.submit("n" * 24, results_success("n" * 24, 2), 60, None)
            recorder.running[3] = ({"jid": "l" * 24}, 60, time.time() - 1)
        else:
            recorder._stopping = True

    monkeypatch.setattr(recorder, "_write", write)
    recorder.pending.append(("m" * 24, results_success("m" * 24, 1), 60, None))
    thread = threading.Thread(target=recorder._run, daemon=True)
    recorder._thread = thread  # the writer: submit() starts no other
    recorder._wake.set()
    thread.start()
    thread.join(10)
    assert writes == [[], ["l" * 24]]  # the second batch carries the long job's record


def test_the_recorder_keeps_a_batch_it_failed_to_write_and_tries_again(
    wh_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error (a bug, a Redis error reply) neither loses records nor ends the
    writer thread: with reliable fetch, jobs would never be acknowledged."""
    from workhorse.worker import recorder as recorder_module

    recorder = recorder_module.ResultRecorder(wh_client.redis, wh_client.keys)
    real = recorder._write_packed
    failures = iter([RuntimeError("a bug")])

    def flaky(*batch: object) -> bool:
        for failure in failures:
            raise failure
        return real(*batch)  # type: ignore[arg-type]

    monkeypatch.setattr(recorder, "_write_packed", flaky)
    acked: list[str] = []
    recorder.submit("e" * 24, results_success("e" * 24, 5), 60, lambda: acked.append("e"))
    recorder.started(7, {"jid": "f" * 24}, 60)
    recorder.running[7] = ({"jid": "f" * 24}, 60, time.time() - 1)  # a running record wakes nobody
    assert recorder.stop(10)
    assert workhorse.job_handle("e" * 24).result(timeout=1) == 5 and acked == ["e"]
