"""Encrypted arguments: sealed before they leave the client, opened right before the job runs."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
import redis
import unique_jobs as jobs
from support.waiting import wait_for
from unique_keys import KEY_1, KEY_2

import workhorse
from workhorse.api.records import JobRecord
from workhorse.client import Client
from workhorse.errors import ConfigError
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise.encryption import KeyRing, MissingKey, UndecryptableArgument, generate
from workhorse_enterprise.encryption.cipher import Opener, seal

pytestmark = pytest.mark.usefixtures("uclient")
Start = Callable[..., WorkerProcess]
SECRET = {"card": "4111-1111-1111-1111"}


def everything_stored(rc: redis.Redis) -> str:
    """Every job Redis holds, as one text: queues, schedule, retry and dead."""
    parts = [*rc.lrange("queue:default", 0, -1)]
    for name in ("schedule", "retry", "dead"):
        parts += rc.zrange(name, 0, -1)
    return "\n".join(parts)


def test_the_last_argument_leaves_the_client_sealed_and_the_job_sees_it_clear(
    rc: redis.Redis, start_worker: Start
) -> None:
    jobs.show.perform_async("visible", SECRET)
    stored = json.loads(rc.lindex("queue:default", 0))
    assert stored["encrypt"] is True and stored["args"][0] == "visible"
    assert "4111" not in rc.lindex("queue:default", 0)
    assert JobRecord(rc.lindex("queue:default", 0)).args == ["visible", "[encrypted]"]
    start_worker()
    wait_for(lambda: rc.llen("test:secret") == 1, "the job to run")
    assert json.loads(rc.lindex("test:secret", 0)) == ["visible", SECRET]


def everything_in_redis(rc: redis.Redis) -> str:
    """Every value of every key Redis holds (the Busy page's work hashes included), as text."""
    read = {
        "string": lambda key: [rc.get(key)],
        "list": lambda key: rc.lrange(key, 0, -1),
        "set": rc.smembers,
        "zset": lambda key: rc.zrange(key, 0, -1),
        "hash": lambda key: [*rc.hgetall(key).values()],
    }
    parts: list[str] = []
    for key in rc.scan_iter():
        kind = rc.type(key)
        parts += [str(value) for value in read[kind](key)] if kind in read else []
    return "\n".join(parts)


def running_entry(rc: redis.Redis, jid: str) -> bool:
    """Whether a worker's work hash (what the Busy page shows) lists ``jid`` as running."""
    for key in rc.scan_iter():
        if rc.type(key) == "hash" and any(jid in value for value in rc.hgetall(key).values()):
            return True
    return False


def test_retry_and_dead_entries_never_hold_the_plaintext(
    rc: redis.Redis, start_worker: Start
) -> None:
    jobs.fail.perform_async("v", SECRET)
    jobs.fail.set(retry=0).perform_async("w", SECRET)
    start_worker()
    wait_for(lambda: rc.zcard("retry") == 1 and rc.zcard("dead") == 1, "retry and death")
    text = everything_stored(rc)
    assert "4111" not in text and "failed on purpose" in text
    assert "4111" not in everything_in_redis(rc)


def test_while_an_encrypted_job_runs_redis_and_the_busy_page_hold_only_ciphertext(
    rc: redis.Redis, start_worker: Start
) -> None:
    handle = jobs.hold.perform_async("v", SECRET)
    assert handle is not None
    start_worker(heartbeat_interval=0.1)
    wait_for(lambda: rc.llen("test:started") == 1, "the job to start")
    wait_for(lambda: running_entry(rc, handle.jid), "the Busy page to list the running job")
    assert "4111" not in everything_in_redis(rc)
    rc.rpush("test:go", "1")


def test_an_encrypted_job_pushed_back_at_shutdown_goes_back_sealed(
    rc: redis.Redis, start_worker: Start
) -> None:
    jobs.hold.perform_async("v", SECRET)
    worker = start_worker(concurrency=1, shutdown_timeout=0.2)
    wait_for(lambda: rc.llen("test:started") == 1, "the job to start")
    worker.stop()
    worker.shutdown()  # the job still runs past the shutdown timeout: pushed back
    queued = rc.lrange("queue:default", 0, -1)
    assert len(queued) == 1 and json.loads(queued[0])["encrypt"] is True
    assert "4111" not in everything_in_redis(rc)
    rc.rpush("test:go", "1")


def test_a_job_abandoned_past_its_time_limit_is_retried_sealed(
    rc: redis.Redis, start_worker: Start
) -> None:
    """The watchdog records the failure while the job's thread still runs with the clear
    argument; the retry entry must hold the sealed one all the same."""
    jobs.stubborn.perform_async("v", SECRET)
    sealed = json.loads(rc.lindex("queue:default", 0))["args"][-1]
    start_worker(concurrency=1, timeout_grace=0.1)
    wait_for(lambda: rc.zcard("retry") == 1, "the abandoned job to be scheduled for retry")
    retried = json.loads(rc.zrange("retry", 0, 0)[0])
    assert "abandoned" in retried["error_message"] and retried["args"] == ["v", sealed]
    assert "4111" not in everything_in_redis(rc)


def test_an_encrypted_job_a_limiter_reschedules_is_rescheduled_sealed(
    rc: redis.Redis, start_worker: Start
) -> None:
    """The limiter decides before the argument is opened, so what it writes is sealed."""
    from workhorse_enterprise import limits

    limiter = limits.bucket("encrypted-daily", 1, per="day", wait_timeout=0)
    limiter.acquire()  # today's one admission is spent

    @workhorse.job(name="s.limited", encrypt=True, limiter=limiter)
    def limited(visible: str, secret: object) -> None:
        rc.rpush("test:secret", visible)

    limited.perform_async("v", SECRET)
    start_worker()
    wait_for(lambda: rc.zcard("schedule") == 1, "the job to be rescheduled")
    job = json.loads(rc.zrange("schedule", 0, 0)[0])
    assert job["overrated"] == 1 and job["encrypt"] is True
    assert "4111" not in everything_in_redis(rc) and rc.llen("test:secret") == 0


def test_plain_jobs_never_enter_the_encryption_middleware(
    uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workhorse import plugins
    from workhorse.middleware import JobContext, RunNext, compose_server
    from workhorse_enterprise.encryption.middleware import Decrypt

    seen: list[str] = []

    def spy(self: Decrypt, ctx: JobContext, call_next: RunNext) -> object:
        seen.append(ctx.jid)
        return call_next()

    monkeypatch.setattr(Decrypt, "__call__", spy)
    chain = compose_server(
        plugins.server_middleware(WorkerProcess(uclient.settings, uclient.redis))
    )
    for jid, fields in (("plain", {}), ("sealed", {"encrypt": True})):
        job = {"class": "s.show", "args": ["v", "x"], "jid": jid, "queue": "default", **fields}
        ctx = JobContext(job, "default", json.dumps(job), None)  # type: ignore[arg-type]
        assert chain(ctx, lambda: seen.append("job") or "ran") == "ran"  # type: ignore[func-returns-value]
    assert seen == ["job", "sealed", "job"]  # the plain job went straight through


def test_a_missing_key_version_sends_the_job_to_the_dead_set_naming_the_version(
    rc: redis.Redis, start_worker: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.show.perform_async("v", SECRET)  # sealed with version 1
    monkeypatch.setenv("WORKHORSE_ENCRYPTION_KEYS", KEY_2)
    start_worker()
    wait_for(lambda: rc.zcard("dead") == 1, "the job to reach the dead set")
    dead = json.loads(rc.zrange("dead", 0, 0)[0])
    assert "key version 1" in dead["error_message"]
    assert "4111" not in rc.zrange("dead", 0, 0)[0] and rc.llen("test:secret") == 0


def test_rotation_new_jobs_use_the_newest_key_and_old_queued_jobs_still_run(
    rc: redis.Redis, start_worker: Start, monkeypatch: pytest.MonkeyPatch, uclient: Client
) -> None:
    jobs.show.perform_async("old", SECRET)  # version 1
    monkeypatch.setenv("WORKHORSE_ENCRYPTION_KEYS", f"{KEY_1},{KEY_2}")
    fresh = Client(settings=uclient.settings)  # reads the ring anew: encrypts with version 2
    jobs.show.set().via(fresh).perform_async("new", SECRET)
    versions = sorted(
        base64.b64decode(json.loads(raw)["args"][-1])[0]
        for raw in rc.lrange("queue:default", 0, -1)
    )
    assert versions == [1, 2]
    start_worker()
    wait_for(lambda: rc.llen("test:secret") == 2, "both jobs to run")
    assert rc.zcard("dead") == 0


def test_a_ciphertext_copied_into_another_job_does_not_open(
    rc: redis.Redis, start_worker: Start
) -> None:
    jobs.show.perform_async("v", SECRET)
    original = json.loads(rc.rpop("queue:default"))
    replay = {**original, "jid": "f" * 24}
    rc.lpush("queue:default", json.dumps(replay))
    start_worker()
    wait_for(lambda: rc.zcard("dead") == 1, "the replayed job to reach the dead set")
    assert "altered, or copied from another job" in rc.zrange("dead", 0, 0)[0]
    assert rc.llen("test:secret") == 0


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "not base64!",
        "QUJD",
        42,
        None,
        ["x"],
        "é" * 60,
        "AQ" + "A" * 60 + "\n==",
        "AQ" + "A" * 60 + "=" * 5,
        {"v": 1},
    ],
)
def test_hostile_sealed_values_from_redis_go_dead_and_never_run(
    rc: redis.Redis, start_worker: Start, hostile: object
) -> None:
    job = {
        "class": "s.show",
        "args": ["v", hostile],
        "jid": "e" * 24,
        "queue": "default",
        "encrypt": True,
        "retry": 5,
    }
    rc.lpush("queue:default", json.dumps(job))
    start_worker()
    wait_for(lambda: rc.zcard("dead") == 1, "the job to reach the dead set")
    assert rc.llen("test:secret") == 0 and rc.zcard("retry") == 0


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("1", "not VERSION:BASE64KEY"),
        ("0:" + "A" * 44, "outside 1..255"),
        ("1:***", "not valid base64"),
        ("1:QUJD", "has 3 bytes"),
    ],
)
def test_bad_key_ring_entries_say_what_is_wrong_without_echoing_keys(
    text: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint) as info:
        KeyRing.parse(text, "WORKHORSE_ENCRYPTION_KEYS")
    assert "QUJD" not in str(info.value)


def test_generated_entries_parse_and_a_file_can_hold_the_ring(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "keys"
    path.write_text(f"# rotated 2026-12\n{generate(1)}\n{generate(3)}  # current\n")
    ring = KeyRing.from_env({"WORKHORSE_ENCRYPTION_KEYS_FILE": str(path)})
    assert ring.versions == [1, 3] and ring.newest == 3


def test_pushing_an_encrypted_job_without_keys_is_refused(
    monkeypatch: pytest.MonkeyPatch, rc: redis.Redis, uclient: Client
) -> None:
    monkeypatch.delenv("WORKHORSE_ENCRYPTION_KEYS")
    with pytest.raises(ConfigError, match="no encryption keys"):
        jobs.show.set().via(Client(settings=uclient.settings)).perform_async("v", SECRET)
    assert rc.llen("queue:default") == 0


def test_inline_testing_mode_runs_encrypted_jobs_with_their_clear_argument(
    rc: redis.Redis, uclient: Client
) -> None:
    from workhorse import testing

    with testing.inline(uclient.settings):
        jobs.show.perform_async("inline", SECRET)
    assert json.loads(rc.lindex("test:secret", 0)) == ["inline", SECRET]


@pytest.mark.parametrize(
    "value",
    [{"card": "4111", "nested": [1, 2.5, None, True]}, "ünïcode ✓", 0, -1.5e300, None, [], ""],
)
def test_every_json_value_comes_back_unchanged_from_its_sealed_form(value: object) -> None:
    from workhorse_enterprise.encryption.cipher import open_sealed, seal

    ring = KeyRing.parse(KEY_1, "test")
    token = seal(ring, value, "a" * 24, "s.show")
    assert open_sealed(ring, token, "a" * 24, "s.show") == value


def _opener_and_token(value: object = SECRET) -> tuple[Opener, str]:
    ring = KeyRing.parse(KEY_1, "test")
    return Opener(ring), seal(ring, value, "a" * 24, "s.show")


@pytest.mark.parametrize(
    "token",
    ["", "not base64!", "QUJD", "AQ==", "AQ" + "A" * 20, 42, None, ["x"], {"v": 1}, "é" * 60],
)
def test_a_value_that_is_no_sealed_argument_is_refused_as_such(token: object) -> None:
    """The opener tries the value as it comes and only examines it once that failed:
    every shape of garbage still gets the one reason that fits it."""
    opener, _ = _opener_and_token()
    with pytest.raises(UndecryptableArgument, match="is not a sealed value") as info:
        opener.open(token, "a" * 24, "s.show")
    assert not isinstance(info.value, MissingKey)


def test_a_sealed_argument_of_an_unknown_key_version_names_the_version_it_needs() -> None:
    opener, token = _opener_and_token()
    blob = base64.b64decode(token)
    other = base64.b64encode(bytes([7]) + blob[1:]).decode()
    with pytest.raises(MissingKey, match="key version 7, which this process does not have"):
        opener.open(other, "a" * 24, "s.show")


@pytest.mark.parametrize("jid, name", [("b" * 24, "s.show"), ("a" * 24, "s.other")])
def test_a_sealed_argument_opens_only_for_the_job_it_was_sealed_for(jid: str, name: str) -> None:
    opener, token = _opener_and_token()
    with pytest.raises(UndecryptableArgument, match="altered, or copied") as info:
        opener.open(token, jid, name)
    assert not isinstance(info.value, MissingKey)


def test_a_flipped_ciphertext_bit_is_refused_as_altered() -> None:
    opener, token = _opener_and_token()
    blob = bytearray(base64.b64decode(token))
    blob[-1] ^= 1
    with pytest.raises(UndecryptableArgument, match="altered, or copied"):
        opener.open(base64.b64encode(bytes(blob)).decode(), "a" * 24, "s.show")


def test_a_hand_made_payload_with_a_numeric_jid_opens_as_the_client_sealed_it() -> None:
    """The client seals with ``str(jid)``; the worker opens with the payload's jid as
    it is, which formats the same."""
    ring = KeyRing.parse(KEY_1, "test")
    token = seal(ring, SECRET, str(12345), "s.show")
    assert Opener(ring).open(token, 12345, "s.show") == SECRET


# -- the worker's direct path (issue 19): opened inline, no chain built ----------------
class _NoFetch:
    acknowledges = False

    def acknowledge(self, unit: object) -> None:
        pass


def _processor_counting_chains(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> tuple[object, list[str]]:
    """A worker's job processor, and the jids of the jobs it ran through its chain."""
    from workhorse.middleware import JobContext, RunNext
    from workhorse.worker.async_runner import AsyncRunner
    from workhorse.worker.processor import Processor

    processor = Processor(WorkerProcess(client.settings, client.redis), _NoFetch(), AsyncRunner())  # type: ignore[arg-type]
    chained: list[str] = []
    run_chain = processor.run_chain

    def counting(ctx: JobContext, invoke: RunNext) -> object:
        chained.append(ctx.jid)
        return run_chain(ctx, invoke)

    monkeypatch.setattr(processor, "run_chain", counting)
    return processor, chained


def _process(processor: object, raw: str) -> tuple[int, int]:
    """Run one stored job on ``processor``: (processed, failed)."""
    from workhorse.stats import ThreadStats, snapshot
    from workhorse.types import UnitOfWork

    stats = ThreadStats()
    processor.process_unit(UnitOfWork("default", raw), stats)  # type: ignore[attr-defined]
    counts = snapshot([stats])
    return counts.processed, counts.failed


def test_an_encrypted_job_no_other_middleware_concerns_is_opened_without_the_chain(
    rc: redis.Redis, uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, chained = _processor_counting_chains(uclient, monkeypatch)
    jobs.show.perform_async("visible", SECRET)
    raw = rc.rpop("queue:default")
    assert _process(processor, raw) == (1, 0)
    assert json.loads(rc.lindex("test:secret", 0)) == ["visible", SECRET]
    assert chained == []


def test_a_directly_called_encrypted_job_that_fails_is_retried_sealed(
    rc: redis.Redis, uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, chained = _processor_counting_chains(uclient, monkeypatch)
    jobs.fail.perform_async("v", SECRET)
    raw = rc.rpop("queue:default")
    assert _process(processor, raw) == (1, 1)
    (retried,) = rc.zrange("retry", 0, -1)
    assert json.loads(retried)["args"] == json.loads(raw)["args"] and "4111" not in retried
    assert chained == []


def test_a_directly_called_encrypted_job_that_does_not_open_goes_dead_without_a_retry(
    rc: redis.Redis, uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, chained = _processor_counting_chains(uclient, monkeypatch)
    jobs.fail.perform_async("v", SECRET)  # retry=3, yet no retry can help
    replay = {**json.loads(rc.rpop("queue:default")), "jid": "f" * 24}
    assert _process(processor, json.dumps(replay)) == (1, 1)
    (dead,) = rc.zrange("dead", 0, -1)
    assert "copied from another job" in dead and rc.zcard("retry") == 0
    assert json.loads(dead)["args"] == replay["args"] and chained == []


def test_an_encrypted_job_with_a_time_limit_is_opened_around_its_call_as_well(
    rc: redis.Redis, uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, chained = _processor_counting_chains(uclient, monkeypatch)
    jobs.show.set(timeout=30).perform_async("limited", SECRET)
    assert _process(processor, rc.rpop("queue:default")) == (1, 0)
    assert json.loads(rc.lindex("test:secret", 0)) == ["limited", SECRET]
    assert chained == []


def test_an_encrypted_job_another_only_with_middleware_wraps_goes_through_the_chain(
    rc: redis.Redis, uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique lock's release wraps the job too: it runs through the chain, where the
    argument is opened innermost, as before."""
    processor, chained = _processor_counting_chains(uclient, monkeypatch)
    jobs.pin_once.perform_async(7, "1234")
    raw = rc.rpop("queue:default")
    assert "unique_digest" in json.loads(raw) and "1234" not in raw
    assert _process(processor, raw) == (1, 0)
    assert rc.lrange("test:ran", 0, -1) == ["7"] and chained == [json.loads(raw)["jid"]]


def test_an_unlicensed_worker_fails_encrypted_jobs_and_retries_them_sealed(
    rc: redis.Redis, uclient: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.licenses import licensed

    jobs.fail.perform_async("v", SECRET)
    raw = rc.rpop("queue:default")
    with licensed(("pro",)):
        processor, _ = _processor_counting_chains(uclient, monkeypatch)
        assert _process(processor, raw) == (1, 1)
    (retried,) = rc.zrange("retry", 0, -1)
    assert "nterprise" in json.loads(retried)["error_message"]
    assert json.loads(retried)["args"] == json.loads(raw)["args"]


def test_encrypted_async_jobs_on_the_lane_see_the_clear_argument_and_fail_sealed(
    rc: redis.Redis, start_worker: Start
) -> None:
    jobs.show_async.perform_async("lane", SECRET)
    jobs.fail_async.perform_async("v", SECRET)
    worker = start_worker()
    assert worker.capsules[0].lane is not None
    wait_for(lambda: rc.llen("test:secret") == 1 and rc.zcard("retry") == 1, "both jobs")
    assert json.loads(rc.lindex("test:secret", 0)) == ["lane", SECRET]
    assert "4111" not in everything_stored(rc)
