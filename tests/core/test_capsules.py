"""Capsules: several sets of queues with threads of their own in one process (issue 22)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import jobs_for_tests  # noqa: F401  (registers the jobs the in-process workers run)
import pytest
import redis
from support.processes import spawn_worker, stop
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import CapsuleSpec, QueueWeight, Settings, capsule, parse_capsule
from workhorse.errors import ConfigError, InputError
from workhorse.worker.capsule import fetch_identity
from workhorse.worker.launcher import WorkerProcess


def test_a_capsule_is_parsed_from_name_queues_and_threads() -> None:
    spec = parse_capsule("bulk:reports,3 exports,1:20")
    assert spec == CapsuleSpec("bulk", (QueueWeight("reports", 3), QueueWeight("exports", 1)), 20)


def test_queue_names_may_hold_colons_the_name_and_threads_are_the_ends() -> None:
    assert parse_capsule("serial:app:payments:1").queues == (QueueWeight("app:payments"),)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "serial",
        "serial:1",
        "serial::1",
        ":payments:1",
        "serial:payments:",
        "serial:payments:x",
        "serial:pay$ments:1",
        "serial:payments,0:1",
        "serial:payments:1.5",
        "\x00:\x00:\x00",
    ],
)
def test_a_malformed_capsule_is_refused_with_the_format_to_use(spec: str) -> None:
    with pytest.raises(InputError, match=r"invalid (capsule|queue)"):
        parse_capsule(spec)


@pytest.mark.parametrize(
    ("capsules", "message"),
    [
        ((capsule("default", ["x"], 1),), "invalid capsule name 'default'"),
        ((capsule("a b", ["x"], 1),), "invalid capsule name 'a b'"),
        ((capsule("serial", ["x"], 0),), "needs 1 or more threads"),
        ((capsule("serial", ["x"], 1, prefetch=-1),), "prefetch of 0 or more"),
        ((capsule("serial", [], 1),), "has no queues"),
        ((capsule("serial", ["default"], 1),), "queue 'default' is in capsules 'default' and"),
        ((capsule("a", ["x"], 1), capsule("b", ["x"], 2)), "queue 'x' is in capsules 'a' and 'b'"),
    ],
)
def test_settings_refuse_capsules_that_cannot_work(
    capsules: tuple[CapsuleSpec, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(capsules=capsules).validate()


def test_the_default_capsule_comes_first_and_threads_add_up() -> None:
    settings = Settings(concurrency=5, capsules=(capsule("serial", ["payments"], 1),))
    assert [c.name for c in settings.capsule_specs] == ["default", "serial"]
    assert settings.total_concurrency == 6


def test_only_other_capsules_fetch_under_an_identity_of_their_own() -> None:
    assert fetch_identity("h:1:abc", "default") == "h:1:abc"
    assert fetch_identity("h:1:abc", "serial") == "h:1:abc#serial"


def test_the_heartbeat_advertises_every_capsule_as_sidekiq_7_and_8_read_them(
    start_worker: Callable[..., WorkerProcess], r: redis.Redis
) -> None:
    worker = start_worker(
        ("critical,2", "default,1"),
        concurrency=4,
        capsules=(capsule("serial", ["payments"], 1), capsule("bulk", ["a,3", "b,1"], 6)),
    )
    fields = r.hgetall(worker.identity)
    info = json.loads(fields["info"])
    assert info["concurrency"] == 11 and fields["concurrency"] == "11"
    assert info["queues"] == ["critical", "default", "payments", "a", "b"]
    assert info["weights"] == [{"critical": 2, "default": 1}, {"payments": 0}, {"a": 3, "b": 1}]
    assert info["capsules"] == {
        "default": {"concurrency": 4, "mode": "weighted", "weights": {"critical": 2, "default": 1}},
        "serial": {"concurrency": 1, "mode": "strict", "weights": {"payments": 0}},
        "bulk": {"concurrency": 6, "mode": "weighted", "weights": {"a": 3, "b": 1}},
    }


def test_each_capsule_works_its_own_queues_with_its_own_threads(
    start_worker: Callable[..., WorkerProcess], r: redis.Redis, wh_client: Client
) -> None:
    worker = start_worker(("default",), concurrency=2, capsules=(capsule("side", ["side"], 3),))
    # Each thread's counts, and the async lane's (issue 24).
    assert [len(c.executor.stats) for c in worker.capsules] == [2 + 1, 3 + 1]
    wh_client.enqueue("jobs_for_tests.record", ["main"])
    wh_client.enqueue("jobs_for_tests.record", ["beside"], queue="side")
    wait_for(lambda: sorted(r.lrange("test:ran", 0, -1)) == ["beside", "main"], "both jobs to run")
    wait_for(
        lambda: [sum(s.processed for s in c.executor.stats) for c in worker.capsules] == [1, 1],
        "each capsule to count the job it ran",
    )


def test_shutdown_pushes_back_the_running_jobs_of_every_capsule(
    start_worker: Callable[..., WorkerProcess], r: redis.Redis, wh_client: Client
) -> None:
    worker = start_worker(
        ("default",), concurrency=1, shutdown_timeout=0.2, capsules=(capsule("side", ["side"], 1),)
    )
    wh_client.enqueue("jobs_for_tests.hold", ["main"])
    wh_client.enqueue("jobs_for_tests.hold", ["beside"], queue="side")
    wait_for(lambda: r.llen("test:started") == 2, "both jobs to start")
    worker.stop()
    worker.shutdown()
    assert r.llen("queue:default") == 1 and r.llen("queue:side") == 1
    r.rpush("test:release", "go", "go")


def test_a_serial_capsule_never_runs_two_jobs_at_once_under_load(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]]
) -> None:
    client = Client(settings=Settings(redis_url=redis_url))
    serial, busy = 30, 200
    probe = "jobs_for_tests.overlap_probe"
    client.push_bulk(
        {"class": probe, "args": ["serial", 0.005], "queue": "serial"} for _ in range(serial)
    )
    client.push_bulk({"class": probe, "args": ["bulk", 0.005]} for _ in range(busy))
    procs.append(spawn_worker(redis_url, "-c", "8", "--capsule", "serial:serial:1"))
    wait_for(lambda: r.llen("test:ran") == serial + busy, "every job to run", 60)
    assert stop(procs[0]) == 0
    assert max(int(n) for n in r.lrange("test:peak:serial", 0, -1)) == 1
    # The other capsule did run jobs side by side: the probe can see an overlap.
    assert max(int(n) for n in r.lrange("test:peak:bulk", 0, -1)) > 1


def test_supervised_children_get_every_capsule() -> None:
    from workhorse.cli.worker_cmd import _child_argv, worker

    specs = ["serial:payments:1", "bulk:reports,3 exports:4"]
    ctx = worker.make_context("worker", ["-p", "2", "--capsule", specs[0], "--capsule", specs[1]])
    argv = _child_argv(ctx)
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "--capsule"] == specs


def test_the_cli_refuses_a_malformed_capsule_as_a_usage_error(redis_url: str) -> None:
    from click.testing import CliRunner

    from workhorse.cli import main

    result = CliRunner().invoke(main, ["worker", "--redis-url", redis_url, "--capsule", "serial"])
    assert result.exit_code == 2
    assert "invalid capsule 'serial': use NAME:QUEUES:THREADS" in result.output
