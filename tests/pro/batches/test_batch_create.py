"""Creating batches: atomic writes, chunked writes, the license gate, keys and status."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from batch_jobs import record
from support.licenses import licensed
from workhorse_testkeys import reset as reset_license

import workhorse_licensing
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.keys import Keys
from workhorse_pro.batches import Batch, BatchError, BatchStatus, list_batches
from workhorse_pro.batches.keys import BatchKeys


def queued(r: redis.Redis, queue: str = "default") -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in r.lrange(f"queue:{queue}", 0, -1)]


def test_block_writes_every_job_with_its_bid_when_it_ends(
    r: redis.Redis, wh_client: Client
) -> None:
    with Batch(description="import 42") as batch:
        jids = [record.perform_async(i) for i in range(5)]
        assert r.llen("queue:default") == 0, "nothing is written before the block ends"
    jobs = queued(r)
    assert sorted(j["jid"] for j in jobs) == sorted(str(j) for j in jids)
    assert {j["bid"] for j in jobs} == {batch.bid}
    status = BatchStatus(batch.bid)
    assert (status.total, status.pending, status.failures) == (5, 5, 0)
    assert status.description == "import 42"
    assert not status.is_complete
    assert sorted(status.pending_jids) == sorted(j for j in jids if j)


def test_exception_in_the_block_writes_nothing(r: redis.Redis, wh_client: Client) -> None:
    with pytest.raises(ZeroDivisionError), Batch(description="broken") as batch:
        record.perform_async(1)
        raise ZeroDivisionError
    assert r.llen("queue:default") == 0
    assert not r.exists(BatchKeys(Keys()).hash(batch.bid))
    assert list_batches() == []


def test_pushes_outside_the_block_are_not_in_the_batch(r: redis.Redis, wh_client: Client) -> None:
    with Batch():
        record.perform_async("in")
    record.perform_async("out")
    jobs = {j["args"][0]: j for j in queued(r)}
    assert "bid" in jobs["in"] and "bid" not in jobs["out"]


def test_scheduled_jobs_join_the_batch_through_the_schedule(
    r: redis.Redis, wh_client: Client
) -> None:
    with Batch() as batch:
        record.perform_in(3600, "later")
    scheduled: list[tuple[str, float]] = r.zrange(  # type: ignore[assignment]
        "schedule", 0, -1, withscores=True
    )
    ((member, score),) = scheduled
    job = json.loads(member)
    assert job["bid"] == batch.bid and "enqueued_at" not in job and "at" not in job
    assert score > 1e9
    assert BatchStatus(batch.bid).pending == 1


def test_non_atomic_batch_writes_chunks_and_seals_only_at_the_end(
    r: redis.Redis, wh_client: Client
) -> None:
    with Batch(description="big", atomic=False, flush_every=10) as batch:
        for i in range(25):
            record.perform_async(i)
        assert r.llen("queue:default") == 20, "two full chunks are written during the block"
        assert r.hget(BatchKeys(Keys()).hash(batch.bid), "sealed") == "0"
    assert r.llen("queue:default") == 25
    status = BatchStatus(batch.bid)
    assert (status.total, status.pending) == (25, 25)
    assert status.fields["sealed"] == "1"


def test_non_atomic_batch_keeps_written_chunks_when_the_block_raises(
    r: redis.Redis, wh_client: Client
) -> None:
    with pytest.raises(RuntimeError), Batch(atomic=False, flush_every=4) as batch:
        for i in range(6):
            record.perform_async(i)
        raise RuntimeError("stop")
    assert r.llen("queue:default") == 4
    assert BatchStatus(batch.bid).total == 4


def test_without_a_pro_license_creating_a_batch_says_what_to_do(
    wh_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKHORSE_LICENSE", raising=False)
    reset_license()
    with pytest.raises(workhorse_licensing.FeatureNotLicensed, match="WORKHORSE_LICENSE"):
        Batch(description="no license")
    with (
        licensed(("pro",), features=("reliable_fetch",)),
        pytest.raises(workhorse_licensing.FeatureNotLicensed, match="batches"),
    ):
        Batch(description="license without the batches feature")


def test_every_key_carries_the_prefix_so_a_hash_tag_keeps_one_cluster_slot(
    redis_url: str, r: redis.Redis
) -> None:
    client = Client(settings=Settings(redis_url=redis_url, prefix="{wh}"))
    with Batch(description="tagged", client=client) as batch:
        record.set(queue="q1").via(client).perform_async(1)
    keys = [str(key) for key in r.keys("*")]
    assert keys and all(key.startswith("{wh}:") for key in keys), keys
    assert f"{{wh}}:batch:{batch.bid}" in keys


def test_a_batch_inside_a_new_batch_is_refused_with_advice(wh_client: Client) -> None:
    with pytest.raises(BatchError, match=r"Batch\.current"), Batch(), Batch():
        pass


def test_list_and_search_find_batches_newest_first(wh_client: Client) -> None:
    with Batch(description="nightly import") as first:
        record.perform_async(1)
    with Batch(description="monthly report") as second:
        pass
    assert [s.bid for s in list_batches()] == [second.bid, first.bid]
    assert [s.bid for s in list_batches(search="IMPORT")] == [first.bid]
    assert [s.bid for s in list_batches(search=second.bid[:8])] == [second.bid]
    assert len(list_batches(limit=1)) == 1


def test_bad_callback_values_are_refused(wh_client: Client) -> None:
    with pytest.raises(ConfigError, match="on_success must be a job"):
        Batch(on_success=print)  # type: ignore[arg-type]
