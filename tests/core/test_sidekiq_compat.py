"""``--sidekiq-compat 6|7|8``: what workhorse writes for the Sidekiq generation sharing the Redis.

Only Sidekiq 6.4 can be installed here (tests/core/interop runs it for real). The
layouts of 7 and 8 are checked against Sidekiq's public source, read at the tags
v6.4.1, v7.0.0, v7.3.10, v8.0.0 and v8.1.7 of github.com/sidekiq/sidekiq:
- launcher.rb: running jobs go to ``"#{key}:workers"`` in 6.x and ``"#{key}:work"``
  from 7.0; each field a thread id, each value the JSON of processor.rb's
  ``{queue: queue, payload: jobstr, run_at: Time.now.to_i}`` (the job string, int s);
- launcher.rb ``to_data``: ``"queues"`` is ``.uniq`` in every generation; 7+ add
  ``"weights"`` (one name => weight hash per capsule), 8.1 ``"capsules"``;
- job_retry.rb / client.rb: 8.0 writes job times as int epoch ms (``now_in_millis``),
  6 and 7 as float epoch seconds, which is all they can read.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator

import jobs_for_tests as jobs
import pytest
import redis
from click.testing import CliRunner
from support.waiting import wait_for

from workhorse.api import Inspector
from workhorse.cli import main
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


@pytest.mark.parametrize(
    ("compat", "timestamps", "running_jobs_key"),
    [(6, "float", "workers"), (7, "float", "work"), (8, "ms", "work")],
)
def test_each_generation_names_its_timestamps_and_running_jobs_key(
    compat: int, timestamps: str, running_jobs_key: str
) -> None:
    settings = Settings(sidekiq_compat=compat)
    assert settings.timestamp_format == timestamps
    assert settings.generation.running_jobs_key == running_jobs_key


def test_the_default_is_sidekiq_8_and_timestamps_override_it() -> None:
    assert Settings().sidekiq_compat == 8 and Settings().timestamp_format == "ms"
    assert Settings(sidekiq_compat=8, timestamps="float").timestamp_format == "float"
    assert Settings(sidekiq_compat=6, timestamps="ms").timestamp_format == "ms"


def test_the_environment_names_the_generation() -> None:
    settings = Settings.from_env({"WORKHORSE_SIDEKIQ_COMPAT": "6"})
    assert settings.sidekiq_compat == 6 and settings.timestamp_format == "float"
    legacy = Settings.from_env({"WORKHORSE_TIMESTAMPS": "float"})
    assert legacy.sidekiq_compat == 8 and legacy.timestamp_format == "float"


@pytest.mark.parametrize("value", ["5", "9", "seven", "7.5", " ", "-8", "6\x00"])
def test_an_unknown_generation_in_the_environment_is_refused_clearly(value: str) -> None:
    with pytest.raises(ConfigError, match=r"WORKHORSE_SIDEKIQ_COMPAT=.*use 6, 7 or 8"):
        Settings.from_env({"WORKHORSE_SIDEKIQ_COMPAT": value})


@pytest.mark.parametrize("value", [5, 9, True, "7", None])
def test_an_unknown_generation_in_code_is_refused_clearly(value: object) -> None:
    with pytest.raises(ConfigError, match="sidekiq_compat must be 6, 7 or 8"):
        Settings(sidekiq_compat=value).validate()  # type: ignore[arg-type]


def test_the_worker_command_refuses_an_unknown_generation() -> None:
    result = CliRunner().invoke(main, ["worker", "--sidekiq-compat", "5"])
    assert result.exit_code == 2 and "'5' is not one of '6', '7', '8'" in result.output


@pytest.fixture
def held(r: redis.Redis) -> Iterator[None]:
    yield
    r.rpush("test:release", *["go"] * 4)


@pytest.mark.parametrize(
    ("compat", "written", "absent"),
    [
        (6, "workers", "work"),
        (7, "work", "workers"),
        (8, "work", "workers"),
    ],
)
def test_running_jobs_are_written_where_the_generation_reads_them(
    compat: int,
    written: str,
    absent: str,
    wh_client: Client,
    r: redis.Redis,
    start_worker: StartWorker,
    held: None,
) -> None:
    jobs.hold.perform_async("running")
    raw = r.lindex("queue:default", 0)
    worker = start_worker(sidekiq_compat=compat)
    entries = wait_for(
        lambda: r.hgetall(f"{worker.identity}:{written}"), f"the running job under :{written}"
    )
    assert not r.exists(f"{worker.identity}:{absent}")
    (entry,) = (json.loads(value) for value in entries.values())
    assert entry["queue"] == "default" and entry["payload"] == raw  # the job string itself
    assert isinstance(entry["run_at"], int) and abs(entry["run_at"] - time.time()) < 60
    assert 0 < r.ttl(f"{worker.identity}:{written}") <= 60
    worker.stop()
    worker.shutdown()
    assert not r.exists(f"{worker.identity}:work", f"{worker.identity}:workers")


@pytest.mark.parametrize(("compat", "kind"), [(6, float), (7, float), (8, int)])
def test_failure_times_are_written_in_the_generations_form(
    compat: int, kind: type, wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    wh_client.enqueue("jobs_for_tests.always_fails", [1])
    start_worker(sidekiq_compat=compat)
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the retry entry")
    assert type(json.loads(raw)["failed_at"]) is kind


def test_process_info_lists_each_queue_once_with_its_weight(
    r: redis.Redis, start_worker: StartWorker
) -> None:
    worker = start_worker(("critical,3", "default,1"))
    info = json.loads(r.hget(worker.identity, "info") or "{}")
    assert info["queues"] == ["critical", "default"]
    assert info["weights"] == [{"critical": 3, "default": 1}]
    assert info["capsules"]["default"] == {
        "concurrency": worker.settings.concurrency,
        "mode": "weighted",
        "weights": {"critical": 3, "default": 1},
    }


@pytest.mark.parametrize(
    ("queues", "mode"),
    [
        (("a", "b"), "strict"),
        (("a,1", "b,1"), "random"),
        (("a,2", "b"), "weighted"),
    ],
)
def test_capsule_mode_is_named_as_sidekiq_8_names_it(
    queues: tuple[str, ...], mode: str, r: redis.Redis, start_worker: StartWorker
) -> None:
    worker = start_worker(queues)
    info = json.loads(r.hget(worker.identity, "info") or "{}")
    assert info["capsules"]["default"]["mode"] == mode


def live_process(r: redis.Redis, identity: str, info: object = None) -> None:
    r.sadd("processes", identity)
    r.hset(
        identity,
        mapping={
            "info": json.dumps(info or {"hostname": "h", "pid": 1, "queues": ["default"]}),
            "busy": 1,
            "beat": time.time(),
            "quiet": "false",
        },
    )


def job_json(klass: str, jid: str) -> str:
    return json.dumps({"class": klass, "args": [1], "jid": jid, "queue": "default"})


def test_running_jobs_are_read_under_both_names(r: redis.Redis) -> None:
    live_process(r, "six:1:aaaaaaaaaaaa")
    r.hset(
        "six:1:aaaaaaaaaaaa:workers",
        "t1",
        json.dumps(
            {"queue": "default", "payload": job_json("Six", "a" * 24), "run_at": int(time.time())}
        ),
    )
    live_process(r, "seven:2:bbbbbbbbbbbb")
    r.hset(
        "seven:2:bbbbbbbbbbbb:work",
        "t2",
        json.dumps(
            {"queue": "default", "payload": job_json("Seven", "b" * 24), "run_at": int(time.time())}
        ),
    )
    live_process(r, "five:3:cccccccccccc")  # Sidekiq 5 wrote the payload as an object
    r.hset(
        "five:3:cccccccccccc:workers",
        "t3",
        json.dumps(
            {"queue": "low", "payload": json.loads(job_json("Five", "c" * 24)), "run_at": 1.5e9}
        ),
    )
    found = {p.identity.split(":")[0]: p.running for p in Inspector(r).processes.list()}
    assert [w.job.klass for w in found["six"]] == ["Six"]
    assert [w.job.klass for w in found["seven"]] == ["Seven"]
    assert [(w.job.jid, w.queue, w.run_at) for w in found["five"]] == [("c" * 24, "low", 1.5e9)]


HOSTILE_WORK = [
    "{not json",
    "[1, 2]",
    "null",
    '"a string"',
    '{"payload": 5}',
    '{"payload": [1]}',
    '{"payload": {"x": NaN}}',
    '{"queue": null, "payload": "{bad", "run_at": "soon"}',
    '{"payload": "{}", "run_at": 1e400}',
    "",
]


def test_garbled_running_jobs_are_skipped_and_the_readable_ones_shown(r: redis.Redis) -> None:
    identity = "odd:9:dddddddddddd"
    r.sadd("processes", identity)
    r.hset(
        identity,
        mapping={
            "info": json.dumps({"pid": 9, "queues": ["default"]}),
            "busy": "1",
            "beat": "1.5",
            "rss": "10",
            "concurrency": "5",
        },
    )
    r.hset(f"{identity}:workers", mapping={f"t{i}": v for i, v in enumerate(HOSTILE_WORK)})
    r.hset(
        f"{identity}:work",
        "ok",
        json.dumps({"queue": "default", "payload": job_json("Fine", "e" * 24), "run_at": 1}),
    )
    (proc,) = Inspector(r).processes.list()
    assert "Fine" in [w.job.klass for w in proc.running]
    assert all(math.isfinite(w.run_at) for w in proc.running)
    json.dumps(proc.to_dict())  # what `workhorse status --json` prints


def test_garbled_process_fields_leave_the_process_out_with_a_reason(r: redis.Redis) -> None:
    identity = "odd:9:dddddddddddd"
    r.sadd("processes", identity)
    r.hset(
        identity,
        mapping={
            "info": json.dumps({"pid": "nine", "queues": 5, "started_at": [1], "concurrency": {}}),
            "busy": "many",
            "beat": "nan",
            "rss": "1e999",
            "concurrency": "",
        },
    )
    scan = Inspector(r).processes.read()
    assert scan.processes == []
    assert [u.identity for u in scan.unreadable] == [identity]
    r.hset(identity, mapping={"info": "[not an object]", "busy": "1", "beat": "1", "rss": "1"})
    assert "info" in Inspector(r).processes.read().unreadable[0].reason
