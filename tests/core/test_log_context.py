"""Job log context: the running job's fields in a context variable and in every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse import logcontext, logs
from workhorse.client import Client
from workhorse.errors import ConfigError, InputError
from workhorse.logcontext import JobFields, current_job
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def start_worker(start_worker: StartWorker) -> StartWorker:
    """Workers of this module log start/done lines (off by default) unless told not to."""

    def start(*args: object, **changes: object) -> WorkerProcess:
        changes.setdefault("job_logs", True)
        return start_worker(*args, **changes)

    return start


seen: list[JobFields | None] = []
app_log = logging.getLogger("myapp.jobs")


@workhorse.job(name="logctx.sees_context", tags=["billing", "eu west"])
def sees_context() -> None:
    seen.append(current_job())
    app_log.info("charging the card")


@workhorse.job(name="logctx.async_sees_context")
async def async_sees_context() -> None:
    seen.append(current_job())


@workhorse.job(name="logctx.quiet_job", log_level="WARNING")
def quiet_job() -> None:
    app_log.info("chatty detail")
    app_log.warning("worth knowing")


@pytest.fixture
def captured() -> Iterator[Callable[[str], io.StringIO]]:
    """``captured(fmt)``: the CLI's handler, formatter and levels, writing to a buffer."""
    root = logging.getLogger()
    levels = {n: logging.getLogger(n).level for n in logs.OUR_LOGGERS}
    saved = (root.handlers[:], root.level, levels)

    def install(fmt: str) -> io.StringIO:
        logs.configure("INFO", fmt)
        buffer = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        return buffer

    seen.clear()
    yield install
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def json_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_running_job_sees_its_jid_class_queue_attempt_and_tags(
    wh_client: Client, start_worker: StartWorker, r: redis.Redis
) -> None:
    seen.clear()
    jid = sees_context.set(queue="low").perform_async()
    start_worker(("low",))
    wait_for(lambda: len(seen) == 1, "the job to run")
    assert seen[0] == JobFields(jid, "logctx.sees_context", "low", 1, None, ("billing", "eu west"))
    assert current_job() is None  # outside a job


def test_an_async_job_sees_its_context_too(wh_client: Client, start_worker: StartWorker) -> None:
    seen.clear()
    jid = async_sees_context.perform_async()
    start_worker()
    wait_for(lambda: len(seen) == 1, "the async job to run")
    assert seen[0] is not None and seen[0].jid == jid


def test_json_lines_carry_job_fields_and_start_done_with_elapsed(
    wh_client: Client, start_worker: StartWorker, captured: Callable[[str], io.StringIO]
) -> None:
    out = captured("json")
    jid = sees_context.perform_async()
    start_worker()
    wait_for(
        lambda: any(e.get("msg", "").startswith("done") for e in json_lines(out)),  # type: ignore[union-attr]
        "the done line",
    )
    mine = [e for e in json_lines(out) if e.get("jid") == jid]
    assert [e["msg"] for e in mine][:2] == ["start", "charging the card"]
    done = mine[-1]
    assert str(done["msg"]).startswith("done: ") and done["lvl"] == "INFO"
    assert isinstance(done["elapsed"], float) and done["elapsed"] >= 0
    assert {k: done[k] for k in ("class", "queue", "attempt", "tags")} == {
        "class": "logctx.sees_context",
        "queue": "default",
        "attempt": 1,
        "tags": ["billing", "eu west"],
    }
    assert all("jid" not in e for e in json_lines(out) if e["logger"] == "workhorse.worker")


def test_text_lines_carry_job_fields_as_key_value(
    wh_client: Client, start_worker: StartWorker, captured: Callable[[str], io.StringIO]
) -> None:
    out = captured("text")
    jid = sees_context.perform_async()
    start_worker()
    wait_for(lambda: "done: " in out.getvalue(), "the done line")
    line = next(x for x in out.getvalue().splitlines() if "charging the card" in x)
    assert (
        f" jid={jid} class=logctx.sees_context queue=default attempt=1 "
        'tags="billing,eu west" INFO myapp.jobs: charging the card'
    ) in line


def test_job_logs_are_off_by_default() -> None:
    assert workhorse.config.Settings().job_logs is False


def test_job_logs_can_be_switched_off(
    wh_client: Client, start_worker: StartWorker, captured: Callable[[str], io.StringIO]
) -> None:
    out = captured("json")
    sees_context.perform_async()
    start_worker(job_logs=False)
    wait_for(lambda: any(e["msg"] == "charging the card" for e in json_lines(out)), "the job")
    assert not [e for e in json_lines(out) if e["msg"] == "start"]


def test_a_jobs_log_level_silences_its_lower_records(
    wh_client: Client, start_worker: StartWorker, captured: Callable[[str], io.StringIO]
) -> None:
    out = captured("json")
    jid = quiet_job.perform_async()
    start_worker()
    wait_for(lambda: any(e["msg"] == "worth knowing" for e in json_lines(out)), "the warning")
    assert [e["msg"] for e in json_lines(out) if e.get("jid") == jid] == ["worth knowing"]


def test_hostile_payload_values_become_safe_fields() -> None:
    fields = logcontext.fields_for(
        {"jid": 7, "class": None, "retry_count": "x", "tags": "notalist", "bid": {"a": 1}},  # type: ignore[typeddict-item]
        "q",
    )
    assert fields == JobFields("7", "None", "q", 1, "{'a': 1}", ())
    assert logcontext.fields_for({"retry_count": 0}, "q").attempt == 2


def test_bad_log_levels_are_rejected_with_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"log_level must be one of .*WARNING"):
        workhorse.job(name="logctx.bad", log_level="LOUD")(lambda: None)


def test_verbose_raises_only_workhorse_loggers(
    captured: Callable[[str], io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    captured("text")
    logs.configure("DEBUG", "text")
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("workhorse.job").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("redis.connection").isEnabledFor(logging.DEBUG)
    monkeypatch.setenv("WORKHORSE_LOG_LEVEL", "chatty")
    with pytest.raises(InputError, match="WORKHORSE_LOG_LEVEL='chatty'"):
        logs.configure("INFO", "text")


def test_consecutive_jobs_on_one_thread_each_see_their_own_fields(
    wh_client: Client, start_worker: StartWorker
) -> None:
    seen.clear()
    first, second = sees_context.perform_async(), sees_context.perform_async()
    start_worker(concurrency=1)
    wait_for(lambda: len(seen) == 2, "both jobs to run")
    assert sorted(f.jid for f in seen if f) == sorted([first, second])


def test_running_sets_the_context_for_custom_runners() -> None:
    with logcontext.running({"jid": "j1", "class": "C", "retry_count": 3}, "q"):
        fields = current_job()
        assert fields is not None and (fields.jid, fields.attempt) == ("j1", 5)
    assert current_job() is None
